"""A table's cell grid -> Markdown, or HTML where Markdown would lose its structure.

A Markdown pipe table has one header row and no spanning cells. A table with
a cell spanning columns or rows, or with a header of several rows, is written
as an HTML `<table>` with colspan/rowspan (Markdown renderers and LLM training
data both accept inline HTML), so each cell keeps its neighbours.
"""
from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(slots=True)
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    header: bool = False


def render(rows: list[list[Cell]]) -> str:
    """Markdown for a plain grid, HTML for spans or several header rows; "" for fewer than two rows."""
    rows = [row for row in rows if any(c.text for c in row)]
    if len(rows) < 2:
        return ""
    spans = any(c.colspan > 1 or c.rowspan > 1 for row in rows for c in row)
    header_rows = sum(1 for row in rows if row and all(c.header for c in row))
    if spans or header_rows > 1:
        return _html(rows)
    return markdown([[c.text for c in row] for row in rows])


def markdown(rows: list[list[str | None]]) -> str:
    """A pipe table, the first row as its header; "" for fewer than two non-empty rows."""
    cells = [[_md_cell(c) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    if len(cells) < 2:
        return ""
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def _md_cell(value: str | None) -> str:
    return " ".join((value or "").split()).replace("|", "\\|")


def _html(rows: list[list[Cell]]) -> str:
    parts = ["<table>"]
    for row in rows:
        parts.append("<tr>")
        for c in row:
            tag = "th" if c.header else "td"
            attrs = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (
                f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
            parts.append(f"<{tag}{attrs}>{html.escape(' '.join(c.text.split()), quote=False)}</{tag}>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)
