"""html_to_text on real html-dev pages and on the inputs that break extractors."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from corpusmill.extract import MAX_HTML_CHARS, Extraction, html_to_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"
EXPECTATIONS = json.loads((FIXTURES / "expectations.json").read_text(encoding="utf-8"))
# Small html-dev pages (copied into fixtures/) on which the default engine is exact.
CLEAN_PAGES = ["td0099", "td0134", "td0223", "td0395", "td0511", "td0775"]
PARAGRAPH = ("Dies ist ein ausreichend langer Absatz mit echtem Inhalt, der als Haupttext "
             "erkannt werden soll, weil er aus ganzen Sätzen besteht. ")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page(name: str) -> bytes:
    return (FIXTURES / f"{name}.html").read_bytes()


@pytest.mark.parametrize("name", CLEAN_PAGES)
def test_real_page_main_text_in_boilerplate_out(name):
    exp = EXPECTATIONS[name]
    text = norm(html_to_text(page(name), url=exp["url"]).text)
    for snippet in exp["with"]:
        assert norm(snippet) in text
    for snippet in exp["without"]:
        assert norm(snippet) not in text


def test_legacy_charset_page_main_text():
    exp = EXPECTATIONS["td0491"]  # windows-1250, Polish
    text = norm(html_to_text(page("td0491")).text)
    for snippet in exp["with"]:
        assert norm(snippet) in text
    assert "Licencja na publikację" not in text  # the licence footer


def test_metadata_from_a_real_blog_post():
    md = html_to_text(page("td0099"), url=EXPECTATIONS["td0099"]["url"]).metadata
    assert md["title"] == "Copy & paste from tmux to system clipboard"
    assert md["author"] == "Florian Posdziech"
    assert md["date"] == "2020-01-16"
    assert md["language"] == "en"
    assert md["url"].startswith("https://flowfx.de/blog/copy-paste-from-tmux")
    assert md["description"].startswith("For the first time in many years")


def test_metadata_date_and_sitename_from_other_pages():
    assert html_to_text(page("td0223")).metadata["date"] == "2019-12-11"
    # a date only in the URL (/news/2012-06/04/...)
    assert html_to_text(page("td0511"), url=EXPECTATIONS["td0511"]["url"]).metadata["date"] == "2012-06-04"
    assert html_to_text(page("td0099")).metadata["sitename"] == "FlowFX"


def test_paragraphs_lists_and_tables_are_readable():
    html = f"""<html lang="de-AT"><head><title>Ein Bericht | Beispielzeitung</title></head><body>
    <nav><ul><li><a href="/">Start</a></li><li><a href="/politik">Politik</a></li></ul></nav>
    <div class="cookie-banner">Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten.</div>
    <article><h1>Ein Bericht</h1>
      <p>{PARAGRAPH}</p><p>Zweiter Absatz: {PARAGRAPH}</p>
      <ul><li>Erster Punkt der Liste</li><li>Zweiter Punkt mit <b>Fettdruck</b></li></ul>
      <table><tr><th>Stadt</th><th>Einwohner</th></tr><tr><td>Graz</td><td>291 000</td></tr>
      <tr><td>Linz</td><td>207 000</td></tr></table>
      <p>{PARAGRAPH}</p>
    </article>
    <aside><h3>Meistgelesen</h3><p>Ein ganz anderer Artikel, den Sie auch lesen könnten.</p></aside>
    <footer><p>Impressum · Datenschutz · © Beispielzeitung</p></footer></body></html>"""
    result = html_to_text(html)
    text = result.text
    assert f"{PARAGRAPH.strip()}\n\nZweiter Absatz:" in text  # a blank line between paragraphs
    assert "- Erster Punkt der Liste\n- Zweiter Punkt mit Fettdruck" in text
    assert "| Stadt | Einwohner |" in text and "| Graz | 291 000 |" in text
    for boilerplate in ("Politik", "Cookies", "Meistgelesen", "Impressum", "anderer Artikel"):
        assert boilerplate not in text
    assert "Ein Bericht" not in text  # the headline is metadata
    assert result.metadata["title"] == "Ein Bericht"
    assert result.metadata["language"] == "de"


def test_comment_section_is_not_main_text():
    comments = "".join(f'<li class="comment"><p>Kommentar Nummer {i}: {PARAGRAPH}</p></li>'
                       for i in range(3))
    html = (f'<html><body><div class="post"><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div>'
            f'<div id="comments"><h3>3 Kommentare</h3><ol class="commentlist">{comments}</ol>'
            f"</div></body></html>")
    text = html_to_text(html).text
    assert PARAGRAPH.strip() in text
    assert "Kommentar Nummer" not in text


@pytest.mark.parametrize("engine", ["trafilatura", "trafilatura-fast", "resiliparse"])
def test_peer_engines(engine):
    exp = EXPECTATIONS["td0099"]
    result = html_to_text(page("td0099"), url=exp["url"], engine=engine)
    assert isinstance(result, Extraction) and result.engine == engine
    assert norm(exp["with"][1]) in norm(result.text)
    assert result.metadata["title"].startswith("Copy & paste from tmux")


def test_default_engine_is_corpusmill():
    assert html_to_text(page("td0099")).engine == "corpusmill"


def test_argument_errors():
    with pytest.raises(TypeError):
        html_to_text(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        html_to_text(b"<p>x</p>", url=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        html_to_text(b"<p>x</p>", engine="no-such-engine")


@pytest.mark.parametrize("html", [b"", "", "   ", b"\x00\x00\x00", "<html></html>", "<?xml version='1.0' encoding='utf-8'?>"])
def test_empty_pages_give_empty_text(html):
    assert html_to_text(html).text == ""


@pytest.mark.parametrize("engine", ["corpusmill", "trafilatura", "resiliparse"])
def test_random_bytes_never_raise(engine):
    rng = random.Random(3)
    for _ in range(5):
        content = bytes(rng.getrandbits(8) for _ in range(5000))
        assert isinstance(html_to_text(content, engine=engine).text, str)


def test_xml_declaration_in_str_input():
    html = f"<?xml version='1.0' encoding='utf-8'?><html><body><article><p>{PARAGRAPH}</p></article></body></html>"
    assert PARAGRAPH.strip() in html_to_text(html).text


def test_50_mb_page_is_capped_not_fatal():
    html = (f"<html><body><article><p>{PARAGRAPH}</p><p>" + "wort " * 10_000_000
            + "</p></article></body></html>")
    assert len(html) > 50_000_000
    text = html_to_text(html).text
    assert text.startswith("wort wort")  # the big block is the main text here
    assert len(text) <= MAX_HTML_CHARS


@pytest.mark.parametrize("opening", ["<div>", "<span><div>", "<ul><li>", "<table><tr><td>"])
def test_100k_deep_nesting_does_not_overflow(opening):
    closing = "".join(f"</{t}>" for t in reversed(re.findall(r"<(\w+)>", opening)))
    html = "<html><body>" + opening * 100_000 + f"<p>{PARAGRAPH}</p>" + closing * 100_000
    result = html_to_text(html)
    assert isinstance(result.text, str)  # libxml2 stops below its depth limit; no crash


def test_moderately_deep_nesting_keeps_the_text():
    html = "<html><body>" + "<div>" * 1500 + f"<p>{PARAGRAPH}</p>" + "</div>" * 1500
    assert PARAGRAPH.strip() in html_to_text(html).text
