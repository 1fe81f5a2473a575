"""Writes bench/html_warc_dev.json: a second HTML dev set from the dev WARC's documentation pages.

html-dev is news and blogs; the dev WARC also holds 130 Python documentation pages (Sphinx),
a layout html-dev lacks: a long reference body with code blocks, definition lists and
tables between a navigation bar, a sidebar ("Table of Contents", "Previous topic",
"This Page") and a footer. The snippets are taken from each page's own markup, not from
any extractor: `with` = slices of the first, a middle and the last paragraph of the
Sphinx body (`role="main"`) and the first line of its first code block; `without` = the
sidebar's headings, the related-navigation bar and the footer's copyright line. A snippet
is kept only if it is unambiguous: `with` text occurs in the body, `without` text does
not. Same pages, same file: the choice depends on nothing but the page.

The set also holds forum threads and shop product pages of the WARC (kind "forum",
"shop"), with snippets written by hand from reading the pages: the opening post and
replies (a forum's replies are its content) or the product description as `with`;
forum navigation, member data, cart and shop menus as `without`. This script keeps
them as they are and rewrites only the "docs" entries.

    .venv/bin/python bench/make_html_warc_dev.py
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpusmill.acquire.warc_reader import WarcReader  # noqa: E402
from corpusmill.extract.dom import parse_html, text_of  # noqa: E402

WARC = ROOT / ".." / "shared" / "corpora" / "warc" / "dev.warc.gz"
OUT = ROOT / "bench" / "html_warc_dev.json"
SNIPPET_CHARS = 60
MIN_PARAGRAPH = 80


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippets(html: str) -> tuple[list[str], list[str]] | None:
    root = parse_html(html)
    if root is None:
        return None
    body = root.find('.//div[@role="main"]')
    if body is None:
        return None
    body_text = norm(text_of(body))
    paragraphs = [t for t in (norm(text_of(p)) for p in body.iter("p")) if len(t) >= MIN_PARAGRAPH]
    if len(paragraphs) < 2:
        return None
    with_: list[str] = []
    for i, t in enumerate(dict.fromkeys((paragraphs[0], paragraphs[len(paragraphs) // 2], paragraphs[-1]))):
        start = 0 if i == 0 else max(0, (len(t) - SNIPPET_CHARS) // 2)
        with_.append(t[start:start + SNIPPET_CHARS].strip())
    pre = body.find(".//pre")
    if pre is not None:
        line = next((norm(x) for x in "".join(pre.itertext()).splitlines() if len(norm(x)) >= 20), None)
        if line:
            with_.append(line[:SNIPPET_CHARS])
    without: list[str] = []
    sidebar = root.find('.//div[@class="sphinxsidebar"]')
    if sidebar is not None:
        without += [norm(text_of(h)) for h in sidebar.iter("h3", "h4")][:3]
    related = root.find('.//div[@class="related"]')
    if related is not None:
        without += [norm(text_of(a)) for a in related.iter("a") if len(norm(text_of(a))) >= 12][:1]
    footer = root.find('.//div[@class="footer"]')
    if footer is not None:
        without.append(norm(text_of(footer))[:SNIPPET_CHARS].strip())
    with_ = [s for s in with_ if s and s in body_text]
    without = [s for s in dict.fromkeys(without) if s and s not in body_text]
    return (with_, without) if with_ and without else None


def main() -> None:
    old = json.loads(OUT.read_text(encoding="utf-8"))["pages"] if OUT.exists() else {}
    pages: dict[str, dict] = {k: v for k, v in old.items() if v.get("kind") != "docs"}
    for record in WarcReader().read(WARC):
        uri = record.source.get("uri") or ""
        if record.media_type != "text/html" or not isinstance(record.content, bytes) \
                or not uri.startswith("https://docs.python.org/"):
            continue
        made = snippets(record.content.decode("utf-8", errors="replace"))
        if made is None:
            continue
        name = "py-" + re.sub(r"[^a-z0-9]+", "-", uri.removeprefix("https://docs.python.org/3.11/").lower()).strip("-")
        pages[name] = {"url": uri, "kind": "docs", "with": made[0], "without": made[1]}
    OUT.write_text(json.dumps({
        "about": "Second HTML dev set from ../shared/corpora/warc/dev.warc.gz: Python 3.11 "
                 "documentation pages (snippets from each page's Sphinx markup, "
                 "bench/make_html_warc_dev.py), forum threads and shop pages (snippets "
                 "written by hand from the pages).",
        "pages": dict(sorted(pages.items())),
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(pages)} pages")


if __name__ == "__main__":
    main()
