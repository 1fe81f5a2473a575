"""Running headers, footers and page numbers: found by repetition across pages.

A line near the top or bottom edge whose text (digits ignored) comes back on
many pages is a running header or footer; a lone number or "Page n of m" at
an edge is a page number. Both are marked (kept in `pages[].blocks` for
provenance) and left out of the text.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from corpusmill.parsers.text_layer import Block, PageText

# Top/bottom band of the page where running headers and footers live.
_EDGE = 0.1
# Page numbers sit further in: LaTeX puts them as high as 0.82 of an A4 page.
# Only a page's outermost block in this band can be one.
_NUMBER_EDGE = 0.25
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


class _Candidate(NamedTuple):
    block: Block
    key: str  # the text with digits (and Roman numerals at its ends) masked, for repetition
    edge: str  # "top" or "bottom"
    outermost: bool  # no other block between it and the page edge
    in_edge: bool  # within the _EDGE band, where running headers and footers live


def mark_furniture(pages: list[PageText]) -> None:
    """Set `kind` of running headers/footers and page numbers on all pages."""
    candidates = [_candidates(p) for p in pages]
    counts: Counter[str] = Counter()
    for cands in candidates:
        counts.update({c.key for c in cands if c.in_edge})
    threshold = max(2, _MIN_SHARE * len(pages))
    for cands in candidates:
        for c in cands:
            # A lone number is a page number only as the page's outermost
            # block; one further in may be a table cell or a display label.
            if c.outermost and _PAGE_NUMBER.match(c.block.text.strip()):
                c.block.kind = "page_number"
            elif c.in_edge and len(pages) >= 2 and counts[c.key] >= threshold:
                c.block.kind = "page_header" if c.edge == "top" else "page_footer"


def _candidates(page: PageText) -> list[_Candidate]:
    """The blocks nearest each edge, within the page-number band."""
    top = page.height * _NUMBER_EDGE
    bottom = page.height * (1 - _NUMBER_EDGE)
    upper = sorted((b for b in page.blocks if b.bbox[3] <= top), key=lambda b: b.bbox[1])
    lower = sorted((b for b in page.blocks if b.bbox[1] >= bottom), key=lambda b: -b.bbox[3])
    out = [_Candidate(b, _key(b.text), "top", _outermost(b, upper), b.bbox[3] <= page.height * _EDGE)
           for b in upper[:_PER_EDGE]]
    out += [_Candidate(b, _key(b.text), "bottom", _outermost(b, lower), b.bbox[1] >= page.height * (1 - _EDGE))
            for b in lower[:_PER_EDGE]]
    return out


def _outermost(block: Block, edge_blocks: list[Block]) -> bool:
    """No other block lies between this one and the page edge (side by side counts as level)."""
    first = edge_blocks[0]
    return block is first or _same_row(block, first)


def _same_row(a: Block, b: Block) -> bool:
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    return overlap > 0.5 * min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])


def _key(text: str) -> str:
    key = _SPACES.sub(" ", _DIGITS.sub("#", text.lower())).strip()
    return _ROMAN_END.sub("#", key)
