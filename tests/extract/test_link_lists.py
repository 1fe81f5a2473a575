"""Link lists inside an article: the off-site lists it gives (sources, products,
references) are its text; menus, related-article lists and social icons are not.
On a real html-dev page (fixtures/extract, copied as it is) and on small pages."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from corpusmill.extract import html_to_text
from corpusmill.extract.main_text import _site

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"
EXPECTATIONS = json.loads((FIXTURES / "expectations.json").read_text(encoding="utf-8"))

PROSE = ("Die Studie hat über drei Jahre hinweg das Verhalten von Lachsen in Zuchtanlagen "
         "beobachtet und dabei Messungen aus vier Ländern zusammengetragen. ")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page(items: str, heading: str = "Quellen der Studie", before: int = 6, after: int = 0) -> str:
    return ("<html><body><div class='article'>"
            + f"<p>{PROSE * 2}</p>" * before
            + f"<p><strong>{heading}</strong></p><ul>{items}</ul>"
            + f"<p>{PROSE * 2}</p>" * after
            + "</div><div id='aside'><p>Kurz notiert.</p></div></body></html>")


def links(hrefs_titles: list[tuple[str, str]]) -> str:
    return "".join(f"<li><a href='{h}'>{t}</a></li>" for h, t in hrefs_titles)


TITLES = ["Pain and stress responses in farmed fish", "Why fish do not feel pain at all",
          "Evolution of nociception and pain in fish models", "The controversy on fish pain today"]


def test_deals_post_keeps_its_product_lists_and_their_headings():
    # mixed.de: a deals post whose offers are lists of shop links inside the article, and
    # whose "Empfehlungen von ..." headings (a related-section word) stand over such lists.
    content = gzip.decompress((FIXTURES / "td0064.html.gz").read_bytes())
    text = norm(html_to_text(content, url=EXPECTATIONS["td0064"]["url"]).text)
    for snippet in EXPECTATIONS["td0064"]["with"]:
        assert norm(snippet) in text, snippet
    assert "Sandisk Ultra Flash-Laufwerk mit 16 Gigabyte USB 3.0 für 6 Euro" in text
    for snippet in ("Katzenschreck", "Avengers", "Unterstütze unsere Arbeit"):  # the sidebar
        assert snippet not in text


def test_offsite_list_of_titles_is_kept():
    items = links([(f"https://journal{i}.example.org/paper/{i}", t) for i, t in enumerate(TITLES)])
    text = html_to_text(page(items), url="https://www.angelmagazin.de/fische/").text
    for title in TITLES:
        assert f"- {title}" in text
    assert "Quellen der Studie" in text


@pytest.mark.parametrize(("url", "hrefs"), [
    # no address: nothing tells the site's links from others (as before: link-dense lists go)
    (None, [f"https://journal{i}.example.org/p" for i in range(4)]),
    # the site's own pages: relative, absolute, another subdomain, another suffix of its name
    ("https://www.angelmagazin.de/fische/", [f"/artikel/{i}" for i in range(4)]),
    ("https://www.angelmagazin.de/fische/", [f"https://shop.angelmagazin.de/{i}" for i in range(4)]),
    ("https://www.angelmagazin.de/fische/", [f"https://angelmagazin.co.uk/{i}" for i in range(4)]),
])
def test_link_list_within_the_site_or_without_address_is_left_out(url, hrefs):
    items = links(list(zip(hrefs, TITLES)))
    text = html_to_text(page(items), url=url).text
    assert PROSE.strip() in text
    assert not any(title in text for title in TITLES)


def test_offsite_icons_and_buttons_are_left_out():
    items = links([("https://twitter.com/x", "Twitter"), ("https://github.com/x", "GitHub"),
                   ("https://shop.example.com/buy", "Hier bestellen!"), ("https://bsky.app/x", "Bluesky")])
    text = html_to_text(page(items, heading="Folgen"), url="https://www.angelmagazin.de/a").text
    assert PROSE.strip() in text
    assert "Twitter" not in text and "Hier bestellen" not in text


def test_related_heading_over_offsite_titles_is_no_section_end():
    # "Empfehlungen" opens a related section on most sites; over links to other sites
    # it is the heading of what the article recommends.
    items = links([(f"https://shop{i}.example.com/item", t) for i, t in enumerate(TITLES)])
    url = "https://mixed.de/deals/"
    kept = html_to_text(page(items, heading="Empfehlungen von Dennis:"), url=url).text
    assert "Empfehlungen von Dennis:" in kept and f"- {TITLES[2]}" in kept
    # The same heading over the site's own articles still ends the article.
    own = links([(f"/artikel/{i}", t) for i, t in enumerate(TITLES)])
    cut = html_to_text(page(own, heading="Empfehlungen der Redaktion", after=0), url=url).text
    assert "Empfehlungen" not in cut and TITLES[0] not in cut


@pytest.mark.parametrize(("url", "site"), [
    ("https://www.bbc.co.uk/news/a", "bbc"),
    ("https://bbc.com/", "bbc"),
    ("http://amzn.to/2oEjVI1", "amzn"),
    ("https://news.zdf.de/x", "zdf"),
    ("http://127.0.0.1:8000/page", "127.0.0.1"),
    ("http://[::1]/page", "::1"),
    ("not a url", None),
    (None, None),
])
def test_site_of_an_address(url, site):
    assert _site(url) == site
