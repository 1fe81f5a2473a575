"""The extraction engines behind `html_to_text`: corpusmill's own and two peers.

Each engine maps decoded HTML (already capped to `MAX_HTML_CHARS`) and an optional URL
to (main text, metadata). Peers are imported on first use so that choosing the default
engine never pays for loading them; corpusmill's own engine asks resiliparse's
main-content mode (~1.5 ms a page) only as a second opinion, when its own strategies
disagree or find next to nothing.
"""
from __future__ import annotations

from typing import Any, Callable

from corpusmill.extract.dom import parse_html
from lxml import etree

from corpusmill.extract.block_filters import drop_title
from corpusmill.extract.main_text import extract_main_text, word_agreement
from corpusmill.extract.metadata import extract_metadata, fallback_date

EngineResult = tuple[str, dict[str, Any]]

# Below this many characters of main text the first attempt probably pruned the article
# itself (a wrapper named like a sidebar, a page hidden until scripts run): try again
# without name-based pruning and keep the longer result.
_RETRY_BELOW_CHARS = 250

# A first text this long may be the whole of a short page.
_SHORT_PAGE_MIN_CHARS = 80

# resiliparse's extractor slows to a crawl on pathologically nested pages (minutes for
# 100k nested <div>s); real pages stay far below this depth.
_RESILIPARSE_MAX_DEPTH = 256

_METADATA_KEYS = ("title", "author", "date", "sitename", "language", "description", "url")


def corpusmill_engine(html: str, url: str | None) -> EngineResult:
    root = parse_html(html)
    if root is None:
        return "", {}
    metadata = extract_metadata(root, url)  # first: pruning removes <head> and bylines
    if metadata["date"] is None:
        metadata["date"] = fallback_date(html, url)
    # The page's address tells the site's own links from links to other sites.
    url = url or metadata.get("url")
    text = extract_main_text(root, second_opinion=lambda: _resiliparse_if_shallow(html), url=url)
    if len(text) < _RETRY_BELOW_CHARS:
        retry = _second_opinion(html, url)
        if len(retry) > len(text) and not _keeps_first(text, retry, html):
            text = retry
    return drop_title(text, metadata.get("title")), metadata


def _second_opinion(html: str, url: str | None) -> str:
    """Main text by other means, for pages where pruning left next to nothing: the
    same extractor without name-based pruning, else resiliparse's main-content mode
    (a different algorithm: it reads the page without our pruning and block choice)."""
    second = parse_html(html)
    if second is None:
        return ""
    deep = _deeper_than(second, _RESILIPARSE_MAX_DEPTH)
    relaxed = extract_main_text(second, prune_names=False, url=url)
    if len(relaxed) >= _RETRY_BELOW_CHARS:
        return relaxed
    other = "" if deep else _resiliparse_main(html)
    if len(other) >= _RETRY_BELOW_CHARS:
        return max(relaxed, other, key=len)
    # Nobody finds text outside links: a post that is a list of links (a link roundup,
    # a reading list). Read links as text.
    third = parse_html(html)
    listed = extract_main_text(third, links_are_text=True, url=url) if third is not None else ""
    return max(relaxed, other, listed, key=len)


def _keeps_first(first: str, retry: str, html: str) -> bool:
    """A short page (a stub, a short docs page) is short: keep its first text when
    another extractor agrees with it more than with the longer retry, which may have
    gained its length from the footer and menus that pruning had removed."""
    if len(first) < _SHORT_PAGE_MIN_CHARS:
        return False
    reference = set(_resiliparse_if_shallow(html).split())
    return bool(reference) and word_agreement(first, reference) > word_agreement(retry, reference)


def _resiliparse_if_shallow(html: str) -> str:
    root = parse_html(html)
    if root is None or _deeper_than(root, _RESILIPARSE_MAX_DEPTH):
        return ""
    return _resiliparse_main(html)


def _resiliparse_main(html: str) -> str:
    """resiliparse's main-content text: a different algorithm (~1.5 ms a page), asked
    when our own strategies disagree or find next to nothing."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True, list_bullets=True).strip()


def _deeper_than(root: etree._Element, limit: int) -> bool:
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in el.iterchildren(tag=etree.Element))
    return False


def trafilatura_engine(html: str, url: str | None) -> EngineResult:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=True, include_formatting=False,
        with_metadata=True,
    )
    if doc is None:
        return "", {}
    return doc.text or "", {k: getattr(doc, k, None) for k in _METADATA_KEYS}


def trafilatura_fast_engine(html: str, url: str | None) -> EngineResult:
    """trafilatura without its fallback extractors (readability, jusText)."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=True, include_formatting=False,
        with_metadata=True, fast=True,
    )
    if doc is None:
        return "", {}
    return doc.text or "", {k: getattr(doc, k, None) for k in _METADATA_KEYS}


def resiliparse_engine(html: str, url: str | None) -> EngineResult:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    text = extract_plain_text(tree, main_content=True)
    root = tree.document.query_selector("html")
    description = tree.head.query_selector('meta[name="description"]') if tree.head else None
    metadata = {
        "title": tree.title or None,
        "language": (root.getattr("lang") or None) if root is not None else None,
        "description": description.getattr("content") if description is not None else None,
        "url": url,
    }
    return text, metadata


ENGINES: dict[str, Callable[[str, str | None], EngineResult]] = {
    "corpusmill": corpusmill_engine,
    "trafilatura": trafilatura_engine,
    "trafilatura-fast": trafilatura_fast_engine,
    "resiliparse": resiliparse_engine,
}
