"""Tables found by PyMuPDF 2's bundled layout model, fused with its line finder.

`page.find_tables(union=True, refine=True)` runs the layout GNN that ships in
the `pymupdf` wheel (`pymupdf/layout/resources/onnx/`, with its table-grid
model) and fuses its table grids with the rule-based finder's candidates.
It finds tables without rules and splits merged rows/columns, which the rule
finder alone cannot, but costs tenths of a second per page: the caller runs it
only on pages whose cheap signals (rules, rows of numbers) point to a table
the cheap detectors did not read well.
"""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.table_grid import WordIndex, grid_rows
from corpusmill.parsers.table_render import Cell

Box = tuple[float, float, float, float]

_activated = False


def model_tables(page: pymupdf.Page, words: WordIndex) -> list[tuple[Box, list[list[Cell]]]]:
    """(bbox, rows) of each table the layout model and line finder agree on."""
    _activate()
    found = page.find_tables(union=True, refine=True)
    out: list[tuple[Box, list[list[Cell]]]] = []
    for table in found.tables:
        if table.row_count < 2 or table.col_count < 2:
            continue
        placements = table.placements
        if placements is None:
            boxes = [list(row.cells) for row in table.rows]
        else:
            boxes = _slot_boxes(placements, table.col_count)
        rows = grid_rows(boxes, words)
        if rows:
            out.append((tuple(table.bbox), rows))
    return out


def _slot_boxes(placements, width: int) -> list[list[Box | None]]:
    """The placement grid (cells listed where they start) as one box per slot."""
    grid: list[list[Box | None]] = []
    pending: dict[tuple[int, int], bool] = {}
    for r, row in enumerate(placements):
        out: list[Box | None] = []
        c = 0
        for cell in row:
            while (r, c) in pending:
                out.append(None)
                c += 1
            out.append(tuple(cell.bbox) if cell.bbox is not None else None)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if dr or dc:
                        pending[(r + dr, c + dc)] = True
            out += [None] * (cell.colspan - 1)
            c += cell.colspan
        while c < width and (r, c) in pending:
            out.append(None)
            c += 1
        grid.append(out)
    return grid


def _activate() -> None:
    """Register the layout model with PyMuPDF (loads the ONNX models once per process)."""
    global _activated
    if not _activated:
        import pymupdf.layout  # noqa: F401  (importing it activates the model)
        _activated = True
