"""`corpusmill crawl` end to end: the real CLI crawls a real site on 127.0.0.1, then the crawled
WARCs go through the normal WARC job (extraction, filters, dedup, PII) into OUT/.

One crawl (module fixture) feeds every test; the article text comes from real pages of the
html-dev corpus so that the quality filters judge real prose, not lorem ipsum.
"""
from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from crawl_site import Site

from corpusmill.acquire.crawler.render import find_chromium
from corpusmill.record import Record

ROOT = Path(__file__).resolve().parents[3]
HTML_DEV = ROOT / ".." / "shared" / "corpora" / "html-dev" / "pages"
CLI_TIMEOUT = 120


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _paragraphs(page: str, encoding: str | None = None, max_words: int = 420) -> list[str]:
    """The article paragraphs of an html-dev page (long <p>s, in order) up to about max_words;
    with `encoding`, only paragraphs that encoding can represent (for the legacy-charset pages)."""
    path = HTML_DEV / f"{page}.html.gz"
    if not path.exists():
        pytest.skip(f"html-dev corpus not found at {HTML_DEV} (needs /work/shared/corpora)")
    doc = lxml.html.document_fromstring(gzip.decompress(path.read_bytes()).decode("utf-8"))
    out: list[str] = []
    words = 0
    for p in doc.iter("p"):
        text = _words(p.text_content())
        if len(text) < 150 or text in out:
            continue
        if encoding and text.encode(encoding, "ignore").decode(encoding) != text:
            continue
        out.append(text)
        words += len(text.split())
        if words >= max_words:
            break
    assert words >= 150, f"{page}: only {words} words of article text"
    return out


def _page(title: str, paragraphs: list[str], head: str = "", body_extra: str = "", nav: bool = True) -> str:
    """An ordinary article page: site chrome (a nav bar, unless nav=False) around a main article."""
    ps = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    links = ('<a href="/">Home</a> | <a href="/about">About us</a> | <a href="/contact">Contact</a>' if nav
             else "Stories")
    return (f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body>"
            f"<header><nav>{links}</nav></header><main><article><h1>{title}</h1>\n{ps}\n</article></main>{body_extra}"
            "<footer><p>Copyright the site. All rights reserved.</p></footer></body></html>")


@dataclass
class Crawled:
    out: Path
    host: str                        # ip:port of the site
    base: str
    site: Site
    cmd: list[str]
    articles: dict[str, list[str]]   # path -> paragraphs expected in the record of that page
    first: subprocess.CompletedProcess[str]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, check=False)


JS_APP = """
// The whole article is written by this script: the static HTML holds an empty root.
const article = %s;
const root = document.getElementById('root');
const parts = ['<article><h1>' + article.title + '</h1>'];
for (const p of article.paragraphs) parts.push('<p>' + p + '</p>');
parts.push('</article>');
root.innerHTML = parts.join('\\n');
"""


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    energy = _paragraphs("td0195")                        # wired.com, English, UTF-8
    rust = _paragraphs("td0284")                          # stackoverflow.blog, English, UTF-8
    redonda = _paragraphs("td0288")                       # nationalgeographic, English: the JS-only page
    hummeln = _paragraphs("td0126", "cp1252")             # German with „“ – ä ö ü ß: windows-1252
    polish = _paragraphs("td0490", "iso-8859-2")          # polityka.pl, Polish ą ę ł ś ż ź ć ń ó: iso-8859-2

    site = Site()
    h = site.add_host()
    base = f"http://{h}"
    links = ["/news/ai-energy", "/blog/why-rust", "/js/redonda", "/de/hummeln", "/pl/urlop",
             "/mirror/ai-energy-copy"]
    site.page(h, "/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    intro = ("Latest stories from around the site, updated whenever something new is written. "
             "Pick an article below to read it in full.")
    site.page(h, "/", _page("Front page", [intro],
                            body_extra="<ul>" + "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
                            + "</ul>"))
    site.page(h, "/news/ai-energy", _page("AI and energy", energy))
    # the same article under another URL, with different chrome: a duplicate for dedup to find
    site.page(h, "/mirror/ai-energy-copy", _page("AI and energy", energy, body_extra="<aside>Mirrored</aside>"))
    site.page(h, "/blog/why-rust", _page("Why Rust", rust))
    site.page(h, "/js/redonda", '<!DOCTYPE html><html><head><title>Redonda</title></head><body>'
                                '<div id="root"></div><script src="/static/app.js"></script></body></html>')
    site.page(h, "/static/app.js", JS_APP % json.dumps({"title": "Redonda", "paragraphs": redonda}),
              "application/javascript")
    # legacy charsets declared only in the page (the HTTP header names no charset)
    site.page(h, "/de/hummeln", _page("Tote Hummeln", hummeln, head='<meta charset="windows-1252">')
              .encode("cp1252"), "text/html")
    site.page(h, "/pl/urlop", _page("Urlop", polish,
                                    head='<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">')
              .encode("iso-8859-2"), "text/html")
    site.start()

    out = tmp_path_factory.mktemp("crawl") / "out"
    seeds = out.parent / "seeds.txt"
    seeds.write_text(f"# the front page links to everything\n{base}/\n")
    cmd = ["crawl", str(seeds), "-o", str(out), "--allow-private", "--delay", "0", "--max-pages", "20",
           "--max-depth", "2", "--render", "auto", "--scope", "same-host"]
    first = _cli(*cmd)
    articles = {"/news/ai-energy": energy, "/blog/why-rust": rust, "/js/redonda": redonda,
                "/de/hummeln": hummeln, "/pl/urlop": polish}
    try:
        yield Crawled(out, h, base, site, cmd, articles, first)
    finally:
        site.stop()


def _records(out: Path, folder: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for f in sorted((out / folder).glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            # Corpus files hold nested fields as JSON text: read them back as records.
            rows += [Record.from_dict(json.loads(line)).to_dict() for line in fh if line.strip()]
    return rows


def _by_uri(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["source"].get("uri"), []).append(r)
    return out


def _assert_has_article(record: dict[str, Any], paragraphs: list[str]) -> None:
    text = _words(record["text"])
    for p in paragraphs:
        # PII scrubbing may rewrite a span, so compare the first sentence-sized slice of every paragraph
        assert p[:120] in text, f"{record['source']['uri']}: paragraph missing: {p[:120]!r}\n--- got:\n{text[:600]}"


def test_crawl_runs_the_warc_job(crawled: Crawled) -> None:
    r = crawled.first
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    warcs = sorted((crawled.out / "warc").glob("*.warc.gz"))
    assert warcs, "no WARC files in OUT/warc"
    assert (crawled.out / "report.html").stat().st_size > 0
    stats = json.loads((crawled.out / "stats.json").read_text())
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"], stats
    data, rejects = _records(crawled.out, "data"), _records(crawled.out, "rejects")
    assert stats["output"] == len(data)
    assert stats["dropped"] + stats["errors"] == len(rejects)
    kept = _by_uri(data)
    for path in ("/news/ai-energy", "/blog/why-rust"):
        recs = kept.get(crawled.base + path)
        assert recs and len(recs) == 1, f"{path} not (or twice) in OUT/data; kept: {sorted(kept)}"
        assert recs[0]["status"] == "ok" and recs[0]["media_type"] == "text/html"
        _assert_has_article(recs[0], crawled.articles[path])
    # site chrome is not article text
    assert "All rights reserved" not in kept[crawled.base + "/blog/why-rust"][0]["text"]


def test_js_page_rendered_dom_replaces_static_response(crawled: Crawled) -> None:
    if find_chromium() is None:
        pytest.skip("no chromium binary (apt-get install -y chromium): --render auto cannot render")
    url = crawled.base + "/js/redonda"
    kept = _by_uri(_records(crawled.out, "data")).get(url, [])
    assert len(kept) == 1, f"rendered page not kept once: {[r['source'].get('warc_type') for r in kept]}"
    dom = kept[0]
    assert dom["source"]["warc_type"] == "conversion"
    _assert_has_article(dom, crawled.articles["/js/redonda"])
    # the WARC's request record for the page is in rejects too (warc_type:request); the response is the one
    static = [r for r in _records(crawled.out, "rejects")
              if r["source"].get("uri") == url and r["source"].get("warc_type") == "response"]
    assert len(static) == 1, static
    assert crawled.articles["/js/redonda"][0][:80] not in static[0]["text"]   # only the script writes it
    assert static[0]["status"] == "dropped"
    reasons = [(p["stage"], p.get("reason")) for p in static[0]["provenance"] if p["action"] == "dropped"]
    assert reasons == [("warc_reader", "superseded:rendered_dom")], static[0]["provenance"]
    assert dom["id"] in next(p.get("detail") or "" for p in static[0]["provenance"] if p["action"] == "dropped")


@pytest.mark.parametrize("path", ["/de/hummeln", "/pl/urlop"])
def test_legacy_charset_pages_decoded(crawled: Crawled, path: str) -> None:
    recs = _by_uri(_records(crawled.out, "data")).get(crawled.base + path, [])
    assert len(recs) == 1, f"{path} not kept once"
    _assert_has_article(recs[0], crawled.articles[path])
    text = recs[0]["text"]
    assert "\ufffd" not in text
    if path == "/de/hummeln":
        assert all(ch in text for ch in "äöüß„–"), "windows-1252 characters lost"
    else:
        assert all(ch in text for ch in "ąęłśżó"), "iso-8859-2 characters lost"


def test_duplicate_article_found(crawled: Crawled) -> None:
    stages = [s["name"] for s in json.loads((crawled.out / "stats.json").read_text())["stages"]]
    if not {"exact_dedup", "minhash_dedup"} & set(stages):
        pytest.skip(f"no dedup stage in the default crawl pipeline: {stages}")
    urls = {crawled.base + "/news/ai-energy", crawled.base + "/mirror/ai-energy-copy"}
    kept = [r for r in _records(crawled.out, "data") if r["source"].get("uri") in urls]
    removed = [r for r in _records(crawled.out, "rejects")
               if r["source"].get("uri") in urls and r["source"].get("warc_type") == "response"]
    assert len(kept) == 1 and len(removed) == 1, (len(kept), len(removed))
    assert removed[0]["metadata"]["dedup"]["duplicate_of"] == kept[0]["id"]
    assert any(p["action"] == "duplicate" for p in removed[0]["provenance"]), removed[0]["provenance"]


def test_explain_kept_record(crawled: Crawled) -> None:
    url = crawled.base + "/blog/why-rust"
    rec = _by_uri(_records(crawled.out, "data"))[url][0]
    r = _cli("explain", str(crawled.out), rec["id"])
    assert r.returncode == 0, r.stderr
    assert f"source.uri: {url}" in r.stdout
    for p in rec["provenance"]:
        assert f"{p['stage']} v{p['version']}: {p['action']}" in r.stdout
    assert {"html_extract", "language", "pii"} <= {p["stage"] for p in rec["provenance"]}
    missing = _cli("explain", str(crawled.out), "no-such-id")
    assert missing.returncode == 1 and "no record" in missing.stderr


def test_rerun_finished_crawl_adds_nothing(crawled: Crawled) -> None:
    before = sorted(r["id"] for r in _records(crawled.out, "data") + _records(crawled.out, "rejects"))
    fetched = Counter(crawled.site.paths(crawled.host))
    r = _cli(*crawled.cmd)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    after = [r["id"] for r in _records(crawled.out, "data") + _records(crawled.out, "rejects")]
    dupes = [i for i, n in Counter(after).items() if n > 1]
    assert not dupes, f"records written twice: {dupes}"
    assert sorted(after) == before
    stats = json.loads((crawled.out / "stats.json").read_text())
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"] == len(after)
    # a finished crawl fetches no page again
    refetched = Counter(crawled.site.paths(crawled.host)) - fetched
    assert not {p for p in refetched if p in crawled.articles}, refetched


INDEX_TEXT = ("An index of the stories on this site, one after the other, "
              "each one linking to the next for readers who like to browse.")


def _ids(out: Path) -> list[str]:
    return [r["id"] for r in _records(out, "data") + _records(out, "rejects")]


def test_continued_crawl_reprocesses_the_whole_archive_once(tmp_path: Path) -> None:
    """A crawl stopped by --max-pages and continued with a higher limit adds a WARC file; the job
    then runs anew over both files: every page once, the first session's records under the same ids."""
    site = Site()
    h = site.add_host()
    base = f"http://{h}"
    articles = {"/a": _paragraphs("td0283"), "/b": _paragraphs("td0264"), "/c": _paragraphs("td0282")}
    chain = ["/", *articles]   # each page links to the next, so the page limit decides where session 1 stops
    for path, nxt in zip(chain, [*chain[1:], None], strict=True):
        more = f'<p><a href="{nxt}">Next story</a></p>' if nxt else ""
        paragraphs = articles.get(path) or [INDEX_TEXT]
        site.page(h, path, _page(f"Story {path}", paragraphs, body_extra=more, nav=False))
    site.page(h, "/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    site.start()
    try:
        seeds = tmp_path / "seeds.txt"
        seeds.write_text(f"{base}/\n")
        out = tmp_path / "out"
        common = ["crawl", str(seeds), "-o", str(out), "--allow-private", "--delay", "0", "--render", "never"]
        first = _cli(*common, "--max-pages", "2")
        assert first.returncode == 0, first.stderr
        kept_first = {r["source"]["uri"]: r["id"] for r in _records(out, "data")}
        assert base + "/a" in kept_first and base + "/c" not in kept_first, (sorted(kept_first), first.stdout)
        second = _cli(*common, "--max-pages", "10")
        assert second.returncode == 0, second.stderr
    finally:
        site.stop()
    assert len(list((out / "warc").glob("*.warc.gz"))) == 2
    ids = _ids(out)
    assert not [i for i, n in Counter(ids).items() if n > 1], "records written twice"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == stats["output"] + stats["dropped"] + stats["errors"] == len(ids)
    kept = _by_uri(_records(out, "data"))
    for path, paragraphs in articles.items():
        assert len(kept.get(base + path, [])) == 1, f"{path} not kept exactly once: {sorted(kept)}"
        _assert_has_article(kept[base + path][0], paragraphs)
    for uri, rid in kept_first.items():
        assert kept[uri][0]["id"] == rid, f"{uri} changed id between runs"
    assert Counter(p for p in site.paths(h) if p in articles) == Counter(list(articles))   # nothing fetched twice
