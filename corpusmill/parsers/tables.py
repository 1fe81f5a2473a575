"""Ruled tables -> Markdown pipe tables, in place of their text blocks.

PyMuPDF's `find_tables` is accurate on ruled tables but slow (tenths of a
second per page), so it only runs on pages whose vector drawings contain a
grid: three horizontal rules of one width with three
vertical rules between them (a framed box has two of each). Text blocks inside a
found table are replaced by one `table` block carrying the Markdown.
"""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.text_layer import TEXT_FLAGS, Block, PageText

_MIN_RULES = 3
_MIN_RULE_LENGTH = 8.0  # points; shorter strokes are glyph parts, not rules
_THIN = 1.5  # a filled rectangle thinner than this is a rule
_MIN_TABLE_WIDTH = 30.0


def find_tables(page: pymupdf.Page, text: PageText) -> None:
    """Replace the text blocks of ruled tables on `page` with table blocks."""
    if not _has_grid(page):
        return
    try:
        found = page.find_tables(strategy="lines", use_layout=False)
    except Exception:  # a table finder failure must not lose the page's text
        return
    words = None
    for table in found.tables:
        if table.row_count < 2 or table.col_count < 2:
            continue
        if words is None:
            words = page.get_text("words", flags=TEXT_FLAGS)
        md = _markdown(_cell_texts(table, words))
        if not md:
            continue
        box = tuple(table.bbox)
        inside = [b for b in text.blocks if _center_in(b.bbox, box)]
        if not inside:
            continue
        first = text.blocks.index(inside[0])
        text.blocks = [b for b in text.blocks if not _center_in(b.bbox, box)]
        text.blocks.insert(min(first, len(text.blocks)),
                           Block(lines=[ln for b in inside for ln in b.lines], bbox=box, kind="table", markdown=md))


def _has_grid(page: pymupdf.Page) -> bool:
    """Three or more equally long horizontal rules and vertical rules between them.

    Chemical formulas and diagrams draw many short axis-parallel strokes;
    a ruled table's horizontal rules share their left and right ends.
    """
    horizontal: dict[tuple[int, int], list[float]] = {}
    vertical: list[tuple[float, float, float]] = []
    for path in page.get_cdrawings():
        for item in path["items"]:
            if item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
            elif item[0] == "re":
                x0, y0, x1, y1 = item[1]
                if min(abs(x1 - x0), abs(y1 - y0)) > _THIN:
                    continue
            else:
                continue
            w, h = abs(x1 - x0), abs(y1 - y0)
            if h <= _THIN and w >= _MIN_TABLE_WIDTH:
                horizontal.setdefault((round(min(x0, x1)), round(max(x0, x1))), []).append((y0 + y1) / 2)
            elif w <= _THIN and h >= _MIN_RULE_LENGTH:
                vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))
    for (left, right), ys in horizontal.items():
        if len(ys) < _MIN_RULES:
            continue
        top, bottom = min(ys), max(ys)
        inner = sum(1 for x, y0, y1 in vertical if left - 2 <= x <= right + 2 and y0 >= top - 2 and y1 <= bottom + 2)
        if inner >= _MIN_RULES:
            return True
    return False


def _cell_texts(table, words: list[tuple]) -> list[list[str | None]]:
    """Cell texts from MuPDF's words (the table finder's own extraction drops
    spaces where the PDF has no space characters)."""
    rows: list[list[str | None]] = []
    for row in table.rows:
        cells: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                cells.append(None)
                continue
            x0, y0, x1, y1 = cell
            inside = [w[4] for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
            cells.append(" ".join(inside))
        rows.append(cells)
    return rows


def _markdown(rows: list[list[str | None]]) -> str:
    cells = [[_cell(c) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    if len(cells) < 2:
        return ""
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def _cell(value: str | None) -> str:
    return " ".join((value or "").split()).replace("|", "\\|")


def _center_in(bbox, box) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
