"""What each block is: heading (with level), list item, code, formula or paragraph.

Headings come from font-size statistics over the whole document: the body
size is the size most characters are set in; short blocks set clearly larger
are headings, ranked by size into `#`, `##`, `###`. Short bold blocks at body
size that start with a section number are headings one level below the
smallest sized heading.
"""
from __future__ import annotations

import re
from collections import Counter

from corpusmill.parsers.text_layer import Block, PageText, body_size

_HEADING_RATIO = 1.12
_MAX_HEADING_CHARS = 160
_MAX_HEADING_LINES = 3
_MAX_LEVEL = 4
_BULLET = re.compile(r"^\s*([•◦▪▫‣∙·○●■□–—\-\*➢►▶✓])\s*")
_NUMBERED = re.compile(r"^\s*(\(?\d{1,3}[.)]|\(?[a-z][.)]|\([ivx]+\))\s+\S")
_SECTION_NUMBER = re.compile(r"^(\d+(\.\d+)*\.?|[A-Z]\.|[IVX]+\.)\s+\S")
# A block is a formula when most of its characters are in math fonts.
_FORMULA_SHARE = 0.5


def classify_blocks(pages: list[PageText]) -> float:
    """Set `kind`/`level` on every non-furniture block; returns the body font size."""
    body = body_size(pages)
    if not body:
        return 0.0

    heading_sizes: set[float] = set()
    for page in pages:
        for b in page.blocks:
            if not b.removed and _heading_shaped(b) and _block_size(b) >= body * _HEADING_RATIO:
                heading_sizes.add(_block_size(b))
    ranked = sorted(heading_sizes, reverse=True)
    # Sizes within half a point are one level.
    levels: dict[float, int] = {}
    level = 0
    prev: float | None = None
    for s in ranked:
        if prev is None or prev - s > 0.5:
            level = min(_MAX_LEVEL, level + 1)
        levels[s] = level
        prev = s
    bold_level = min(_MAX_LEVEL, level + 1)

    for page in pages:
        for b in page.blocks:
            if b.removed:
                continue
            _classify(b, body, levels, bold_level)
    return body


def _classify(b: Block, body: float, levels: dict[float, int], bold_level: int) -> None:
    if b.kind == "formula" and b.markdown:  # LaTeX already found (formula_blocks)
        return
    text = b.text
    size = _block_size(b)
    math = sum(line.math_chars for line in b.lines)
    nonspace = max(1, len(text.replace(" ", "")))
    if math >= _FORMULA_SHARE * nonspace:
        b.kind = "formula"
    elif size in levels and _heading_shaped(b):
        b.kind, b.level = "heading", levels[size]
    elif _heading_shaped(b) and all(line.bold for line in b.lines) and _SECTION_NUMBER.match(text) \
            and len(b.lines) <= 2:
        b.kind, b.level = "heading", bold_level
    elif all(line.mono for line in b.lines):
        b.kind = "code"
    elif _BULLET.match(text) or _NUMBERED.match(text):
        b.kind = "list_item"


def _heading_shaped(b: Block) -> bool:
    text = b.text
    return (
        len(b.lines) <= _MAX_HEADING_LINES
        and 0 < len(text) <= _MAX_HEADING_CHARS
        and any(c.isalpha() for c in text)
    )


def _block_size(b: Block) -> float:
    weight: Counter[float] = Counter()
    for line in b.lines:
        weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0]


def bullet_to_markdown(line: str) -> str:
    """A bulleted line as a Markdown list item ("• x" -> "- x")."""
    return _BULLET.sub("- ", line, count=1)


def starts_item(line: str) -> bool:
    return bool(_BULLET.match(line) or _NUMBERED.match(line))
