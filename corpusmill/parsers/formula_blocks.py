"""Type a page's displayed formulas and give them LaTeX (see `math_latex`).

Lines that read as mathematics are gathered into regions with the small
lines stacked next to them (numerators, denominators, limits, equation
numbers), even across MuPDF's blocks; each region becomes one `formula`
block whose Markdown is its `$$…$$` rows. A region the converter cannot read
keeps its text, still typed `formula`.
"""
from __future__ import annotations

import pymupdf

from corpusmill.parsers import math_latex
from corpusmill.parsers.page_model import BlockType
from corpusmill.parsers.text_layer import Block, Line, PageText, page_raw

# A line this short without words may be part of a formula next to it.
_SMALL_LINE = 14
_MAX_REGION_LINES = 40
_MATHY_LINE = 40


def has_math(pt: PageText) -> bool:
    """Cheap gate: any math-font glyph or math symbol on the page."""
    return any(line.math_chars or not math_latex.MATH_SYMBOLS.isdisjoint(line.text)
               for b in pt.blocks for line in b.lines)


def mark_formulas(page: pymupdf.Page, pt: PageText) -> None:
    """Replace the page's formula lines by `formula` blocks carrying LaTeX."""
    if not has_math(pt):
        return
    entries = [line for b in pt.blocks if not b.removed and b.kind != "table" for line in b.lines]
    flagged = [not line.mono and math_latex.is_formula_text(line.text, line.math_chars) for line in entries]
    if not any(flagged):
        return
    regions = _regions(entries, flagged)
    if not regions:
        return
    try:
        chars = math_latex.page_chars(page_raw(page))
        rules = math_latex.page_rules(page)
    except Exception:  # the page's text stands as read; only its formulas stay flat
        return
    claimed: dict[int, Block] = {}  # id(line) -> its formula block
    for members in regions:
        lines = [entries[i] for i in members]
        box = _union([line.bbox for line in lines])
        try:
            rows = math_latex.to_latex(math_latex.glyphs_in(chars, box), rules)
        except Exception:  # a formula the converter cannot read keeps its text
            rows = None
        markdown = "\n".join(_row_markdown(r) for r in rows) if rows else None
        block = Block(lines=lines, bbox=box, kind=BlockType.FORMULA, markdown=markdown)
        for line in lines:
            claimed[id(line)] = block
    _rebuild(pt, claimed)


def _row_markdown(latex: str) -> str:
    """A row as displayed LaTeX; a row whose layout was misread as the glyphs it shows."""
    return f"$$\n{latex}\n$$" if math_latex.readable(latex) else math_latex.latex_to_text(latex)


def _regions(entries: list[Line], flagged: list[bool]) -> list[list[int]]:
    """Formula lines grouped with touching formula lines and small neighbours."""
    n = len(entries)
    member = [i for i in range(n) if flagged[i]]
    small = [i for i in range(n) if not flagged[i] and (_small(entries[i]) or _mathy(entries[i]))]
    groups = [[i] for i in member]
    changed = True
    while changed:
        changed = False
        # merge groups that touch
        merged: list[list[int]] = []
        for g in groups:
            for m in merged:
                if _touch(_union([entries[i].bbox for i in m]), _union([entries[i].bbox for i in g]),
                          _size(entries, m + g)):
                    m.extend(g)
                    changed = True
                    break
            else:
                merged.append(list(g))
        groups = merged
        for i in list(small):
            for g in groups:
                if _touch(_union([entries[k].bbox for k in g]), entries[i].bbox, _size(entries, g)):
                    g.append(i)
                    small.remove(i)
                    changed = True
                    break
    return [sorted(g) for g in groups if len(g) <= _MAX_REGION_LINES]


def _small(line: Line) -> bool:
    text = line.text.replace(" ", "")
    return 0 < len(text) <= _SMALL_LINE and not math_latex.has_words(line.text)


def _mathy(line: Line) -> bool:
    """A short run of math glyphs with at most one word (a script glued to its base: "Thalf"),
    which joins a formula beside it; alone it is no formula."""
    return line.math_chars > 0 and len(line.text) <= _MATHY_LINE and len(math_latex.words(line.text)) <= 1


def _size(entries: list[Line], idx: list[int]) -> float:
    return max(entries[i].size for i in idx) or 10.0


def _touch(a, b, size: float) -> bool:
    """Boxes that overlap horizontally and lie within half a line vertically."""
    h = min(a[2], b[2]) - max(a[0], b[0])
    v = max(a[1], b[1]) - min(a[3], b[3])
    return h > -0.5 * size and v < 0.45 * size


def _rebuild(pt: PageText, claimed: dict[int, Block]) -> None:
    """Blocks in their order, formula lines taken out into their formula blocks."""
    out: list[Block] = []
    placed: set[int] = set()
    for b in pt.blocks:
        if b.removed or b.kind == "table" or not any(id(line) in claimed for line in b.lines):
            out.append(b)
            continue
        run: list[Line] = []
        for line in b.lines:
            f = claimed.get(id(line))
            if f is None:
                run.append(line)
                continue
            if run:
                out.append(Block(lines=run, bbox=_union([ln.bbox for ln in run])))
                run = []
            if id(f) not in placed:
                placed.add(id(f))
                out.append(f)
        if run:
            out.append(Block(lines=run, bbox=_union([ln.bbox for ln in run])))
    pt.blocks = out


def _union(boxes) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
