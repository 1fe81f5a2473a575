"""Running headers, footers and page numbers: found by repetition across pages.

A line near the top or bottom edge whose text (digits ignored) comes back on
many pages is a running header or footer; a lone number or "Page n of m" at
an edge is a page number. Both are marked (kept in `pages[].blocks` for
provenance) and left out of the text.
"""
from __future__ import annotations

import re
from collections import Counter

from corpusmill.parsers.text_layer import Block, PageText

# Top/bottom band of the page where running furniture lives.
_EDGE = 0.1
# How many blocks from each edge are candidates.
_PER_EDGE = 2
# A candidate repeated on this share of pages (at least 2) is furniture;
# running heads alternate between left and right pages, so a third suffices.
_MIN_SHARE = 0.3
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|seite|pag\.?)\s*)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|/|von|de)\s*\d{1,5})?[\W_]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")
# Roman page numbers at either end of a running head ("Report title vii").
_ROMAN_END = re.compile(r"^[ivxlcdm]+\b|\b[ivxlcdm]+$")
_SPACES = re.compile(r"\s+")


def mark_furniture(pages: list[PageText]) -> None:
    """Set `kind` of running headers/footers and page numbers on all pages."""
    candidates: list[list[tuple[Block, str, str]]] = [_candidates(p) for p in pages]
    counts: Counter[str] = Counter()
    for cands in candidates:
        counts.update({key for _, key, _ in cands})
    threshold = max(2, _MIN_SHARE * len(pages))
    for cands in candidates:
        for block, key, edge in cands:
            if _PAGE_NUMBER.match(block.text.strip()):
                block.kind = "page_number"
            elif len(pages) >= 2 and counts[key] >= threshold:
                block.kind = "page_header" if edge == "top" else "page_footer"


def _candidates(page: PageText) -> list[tuple[Block, str, str]]:
    top = page.height * _EDGE
    bottom = page.height * (1 - _EDGE)
    upper = sorted((b for b in page.blocks if b.bbox[3] <= top), key=lambda b: b.bbox[1])
    lower = sorted((b for b in page.blocks if b.bbox[1] >= bottom), key=lambda b: -b.bbox[3])
    out = [(b, _key(b.text), "top") for b in upper[:_PER_EDGE]]
    out += [(b, _key(b.text), "bottom") for b in lower[:_PER_EDGE]]
    return out


def _key(text: str) -> str:
    key = _SPACES.sub(" ", _DIGITS.sub("#", text.lower())).strip()
    return _ROMAN_END.sub("#", key)
