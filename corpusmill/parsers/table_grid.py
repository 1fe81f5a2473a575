"""Cell boxes of a found table -> rows of cells with their text and header spans.

Table finders give a grid of cell boxes; the text comes from MuPDF's words
(the finders' own extraction drops spaces where the PDF has no space
characters). Words are bucketed by position once, so filling a grid costs
about one pass over the words and one over the cells, whatever the table's
size.

The header is rebuilt where the grid flattened it:
- a header cell's text wrapped over several grid rows ("Medical &" /
  "Public" / "Health") is one cell again: a header row whose every filled
  cell sits under a filled cell of the row above continues that row;
- a header cell with empty cells to its right, above a row that fills those
  columns ("Revenue" over "Medical" and "Family") spans them (colspan);
- a header cell with nothing below it down to the body spans those rows
  (rowspan), so it stays the heading of its column.
A body row the grid drew around several stacked rows of values is split back
into those rows.
"""
from __future__ import annotations

import re
from collections import defaultdict

from corpusmill.parsers.ligatures import RTL
from corpusmill.parsers.table_render import Cell

Box = tuple[float, float, float, float]
_BUCKET = 24.0  # points
# A number as tables print it: signs, brackets, currency, thousands separators, percent.
_NUMBER = re.compile(r"^[-+−–(\[]?[$€£¥₹`]?\s?\d[\d,.\s]*%?[)\]]?$")
# A number cut in two by a space inside it: "467. 9" (a decimal point set
# loose in a justified row) and "98 452" (thousands grouped by a space).
_DECIMAL_HEAD = re.compile(r"^[-+−–(]?\d[\d,]*[.,]$")
_DECIMAL_TAIL = re.compile(r"^\d+%?[)]?$")
_GROUP_HEAD = re.compile(r"^[-+−–(]?\d{1,3}( \d{3})*$")
_GROUP_TAIL = re.compile(r"^\d{3}([.,]\d+)?%?[)]?$")
# ...where the space is no wider than this share of the text height.
_NUMBER_SPACE = 0.4
# Stacked values are short (numbers, labels); longer lines are a wrapped cell.
_MAX_STACKED_WORDS = 3
# At most this many leading rows are searched for the header.
_MAX_HEADER_ROWS = 5


def reading_order(words: list[tuple]) -> list[str]:
    """The texts of one line's words (x0, y0, x1, y1, text, ...) in reading order.

    A line mostly in a right-to-left script (Arabic, Hebrew, ...) reads from
    right to left, each run of left-to-right words in it (a Latin name,
    "Jeremy is") still left to right; other lines read left to right.
    """
    ordered = sorted(words, key=lambda w: w[0])
    rtl = sum(1 for w in ordered for ch in w[4] if RTL.match(ch))
    ltr = sum(1 for w in ordered for ch in w[4] if ch.isalpha() and not RTL.match(ch))
    if rtl <= ltr:
        return [w[4] for w in ordered]
    out: list[str] = []
    run: list[str] = []
    for w in reversed(ordered):
        if any(ch.isalpha() for ch in w[4]) and not RTL.search(w[4]):
            run.insert(0, w[4])
            continue
        out += run
        run = []
        out.append(w[4])
    return out + run


def merge_split_numbers(words: list[tuple]) -> list[tuple]:
    """MuPDF words with a number cut by a space inside it joined again ("467." "9" -> "467.9").

    Only neighbours in one MuPDF line, a word space apart: numbers of two cells
    are further apart (or in two lines).
    """
    out: list[tuple] = []
    for w in words:
        if out and len(w) >= 8 and _same_number(out[-1], w):
            a = out[-1]
            glue = "" if _DECIMAL_HEAD.match(a[4]) else " "
            out[-1] = (a[0], min(a[1], w[1]), w[2], max(a[3], w[3]), a[4] + glue + w[4], *a[5:])
        else:
            out.append(w)
    return out


def _same_number(a: tuple, b: tuple) -> bool:
    if a[5:7] != b[5:7] or b[0] - a[2] > _NUMBER_SPACE * min(a[3] - a[1], b[3] - b[1]):
        return False
    return bool((_DECIMAL_HEAD.match(a[4]) and _DECIMAL_TAIL.match(b[4]))
                or (_GROUP_HEAD.match(a[4]) and _GROUP_TAIL.match(b[4])))


class WordIndex:
    """MuPDF words (x0, y0, x1, y1, text, block, line, word) bucketed by their centre."""

    def __init__(self, words: list[tuple]) -> None:
        self._buckets: dict[tuple[int, int], list[tuple[int, tuple]]] = defaultdict(list)
        for i, w in enumerate(merge_split_numbers(words)):
            cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
            self._buckets[(int(cx // _BUCKET), int(cy // _BUCKET))].append((i, w))

    def text(self, box: Box) -> str:
        """The words whose centre lies in `box`, in MuPDF's reading order, one text line per line."""
        x0, y0, x1, y1 = box
        hits: list[tuple[int, str]] = []
        for bx in range(int(x0 // _BUCKET), int(x1 // _BUCKET) + 1):
            for by in range(int(y0 // _BUCKET), int(y1 // _BUCKET) + 1):
                for i, w in self._buckets.get((bx, by), ()):
                    cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
                    if x0 <= cx <= x1 and y0 <= cy <= y1:
                        hits.append((i, w))
        hits.sort()
        lines: list[list[tuple]] = []
        key = None
        for _, w in hits:
            if (w[5], w[6]) != key:
                lines.append([])
                key = (w[5], w[6])
            lines[-1].append(w)
        return "\n".join(" ".join(reading_order(ln)) for ln in lines)


def grid_rows(boxes: list[list[Box | None]], words: WordIndex) -> list[list[Cell]]:
    """Rows of cells for a grid of cell boxes (None: a slot covered by a merged cell, left empty)."""
    texts = [[words.text(b) if b is not None else "" for b in row] for row in boxes]
    return with_header(texts, _box_spans(boxes))


def _box_spans(boxes: list[list[Box | None]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) -> (rowspan, colspan) of each cell whose box reaches over the empty slots
    right of it or below it (a merged cell of the grid)."""
    width = max((len(r) for r in boxes), default=0)
    col_x0 = [min((r[c][0] for r in boxes if c < len(r) and r[c] is not None), default=None) for c in range(width)]
    row_y0 = [min((b[1] for b in r if b is not None), default=None) for r in boxes]
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(boxes):
        for c, box in enumerate(row):
            if box is None:
                continue
            cs = 1
            while (c + cs < len(row) and row[c + cs] is None and col_x0[c + cs] is not None
                   and box[2] > col_x0[c + cs] + 1):
                cs += 1
            rs = 1
            while (r + rs < len(boxes) and row_y0[r + rs] is not None and box[3] > row_y0[r + rs] + 1
                   and all(c + k < len(boxes[r + rs]) and boxes[r + rs][c + k] is None for k in range(cs))):
                rs += 1
            if rs > 1 or cs > 1:
                spans[(r, c)] = (rs, cs)
    return spans


def with_header(texts: list[list[str]],
                spans: dict[tuple[int, int], tuple[int, int]] | None = None) -> list[list[Cell]]:
    """A grid of texts as cells: empty rows and columns dropped, header rows merged and spanned.

    `spans` gives the merged cells the grid itself drew ((row, col) -> (rowspan,
    colspan)); those inside the body are kept, so a label beside several rows
    stays their neighbour.
    """
    width = max((len(r) for r in texts), default=0)
    rows_kept = [i for i, r in enumerate(texts) if any(r)]
    texts = [texts[i] + [""] * (width - len(texts[i])) for i in rows_kept]
    # Columns empty in every row come from rules split into pieces or shading edges.
    keep = [c for c in range(width) if any(r[c] for r in texts)]
    texts = [[r[c] for c in keep] for r in texts]
    if not texts:
        return []
    n_head = _header_rows(texts)
    head = _merge_wrapped(texts[:n_head])
    rows = [[Cell(" ".join(t.split()), header=True) for t in r] for r in head]
    body = [_split_stacked(r) for r in texts[n_head:]]
    covered: set[tuple[int, int]] = set()
    if spans and len(head) == n_head and all(len(b) == 1 for b in body):
        # The grid drew its merged cells, and no row was merged or split: its spans hold.
        rows += [b[0] for b in body]
        new_row = {old: new for new, old in enumerate(rows_kept)}
        new_col = {old: new for new, old in enumerate(keep)}
        _box_spans_to_cells(rows, covered, {
            (new_row[r], new_col[c]): (sum(1 for k in range(r, r + rs) if k in new_row),
                                       sum(1 for k in range(c, c + cs) if k in new_col))
            for (r, c), (rs, cs) in spans.items() if r in new_row and c in new_col})
        _span(rows[:len(head)], covered)
    else:
        _span(rows, covered)
        for b in body:
            rows += b
    return [[cell for c, cell in enumerate(row) if (r, c) not in covered] for r, row in enumerate(rows)]


def _box_spans_to_cells(rows: list[list[Cell]], covered: set[tuple[int, int]],
                        spans: dict[tuple[int, int], tuple[int, int]]) -> None:
    """The given cells span; the slots they cover (empty) are added to `covered`."""
    for (r, c), (rs, cs) in sorted(spans.items()):
        if (r, c) in covered or r + rs > len(rows) or c + cs > len(rows[r]):
            continue
        slots = {(r + i, c + j) for i in range(rs) for j in range(cs)} - {(r, c)}
        if any(rows[i][j].text for i, j in slots) or slots & covered:
            continue  # text in a covered slot: the grid's box was wrong, keep the cells
        rows[r][c].rowspan, rows[r][c].colspan = rs, cs
        covered |= slots


def _split_stacked(row: list[str]) -> list[list[Cell]]:
    """A grid row holding k text rows ("OTSL" over "HTML", "0.965" over "0.969") as k rows.

    The grid finder saw one row where the cells of several cells are stacked;
    when the filled cells hold either k short lines or one line, it is k rows,
    and a one-line cell (a label centred beside them) spans all k.
    """
    parts = [t.split("\n") if t else [] for t in row]
    counts = [len(p) for p in parts if p]
    k = max(counts, default=1)
    stacked = sum(1 for n in counts if n == k)
    if (k < 2 or any(n not in (1, k) for n in counts) or stacked < max(2, (len(counts) + 1) // 2)
            or any(len(line.split()) > _MAX_STACKED_WORDS for p in parts if len(p) == k for line in p)):
        return [[Cell(" ".join(t.split())) for t in row]]
    out: list[list[Cell]] = [[] for _ in range(k)]
    for p in parts:
        if len(p) == k:
            for i, line in enumerate(p):
                out[i].append(Cell(line))
        elif p:
            out[0].append(Cell(p[0], rowspan=k))
        else:
            for sub in out:
                sub.append(Cell(""))
    return out


def is_number(text: str) -> bool:
    return _NUMBER.match(text) is not None


def _header_rows(texts: list[list[str]]) -> int:
    """Leading rows before the first body row; one if none is found.

    A body row is mostly numbers; the second row is one too where it holds a
    number under a heading that is text (a header cell wrapped onto a second
    line is text, never a figure).
    """
    if len(texts) > 1 and any(is_number(t) and h and not is_number(h) for t, h in zip(texts[1], texts[0])):
        return 1
    for i, row in enumerate(texts[:_MAX_HEADER_ROWS + 1]):
        filled = [t for t in row if t]
        if i and filled and sum(1 for t in filled if is_number(t)) * 2 > len(filled):
            return i
    return 1


def _merge_wrapped(head: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for row in head:
        if out and all(not t or out[-1][c] for c, t in enumerate(row)):
            out[-1] = [f"{a} {b}".strip() for a, b in zip(out[-1], row)]
        else:
            out.append(list(row))
    return out


def _span(rows: list[list[Cell]], covered: set[tuple[int, int]]) -> None:
    """Colspans and rowspans inside the header; the slots they cover are added to `covered`."""
    n = len(rows)
    for r in range(n):
        width = len(rows[r])
        for c in range(width):
            cell = rows[r][c]
            if not cell.text or (r, c) in covered or cell.colspan > 1 or cell.rowspan > 1:
                continue
            if r + 1 < n:
                k = c + 1
                while (k < width and not rows[r][k].text and rows[r + 1][k].text
                       and (r, k) not in covered and (r + 1, k) not in covered):
                    k += 1
                if k - c > 1:
                    cell.colspan = k - c
                    covered.update((r, j) for j in range(c + 1, k))
            down = r + 1
            while down < n and all(not rows[down][j].text and (down, j) not in covered
                                   for j in range(c, c + cell.colspan)):
                down += 1
            if down - r > 1:
                cell.rowspan = down - r
                covered.update((i, j) for i in range(r + 1, down) for j in range(c, c + cell.colspan))
