"""Reading order of a page's text blocks: one column, two columns, slides.

Content-stream order is what the producer wrote, which is often, but not
always, reading order (floats, footnotes and headers are written whenever the
typesetter got to them). We rebuild the order from geometry: blocks that span
the text width cut the page into horizontal bands; inside a band with two
columns the left column is read before the right one; otherwise top to
bottom, and blocks side by side on one row left to right.
"""
from __future__ import annotations

from corpusmill.parsers.text_layer import Block

# A block belongs to a column if it stays within this fraction of the text
# width past the gutter; wider blocks span both columns.
_GUTTER_TOLERANCE = 0.03
# Both columns must hold this share of the band's characters to call it
# two-column (one short marginal note does not make a column).
_MIN_COLUMN_SHARE = 0.15


def order_blocks(blocks: list[Block]) -> list[Block]:
    """Blocks in reading order."""
    if len(blocks) < 2:
        return list(blocks)
    x0 = min(b.bbox[0] for b in blocks)
    x1 = max(b.bbox[2] for b in blocks)
    width = max(1.0, x1 - x0)
    mid = _gutter(blocks, x0, x1)
    tol = _GUTTER_TOLERANCE * width

    def side(b: Block) -> str:
        if b.bbox[2] <= mid + tol:
            return "L"
        if b.bbox[0] >= mid - tol:
            return "R"
        return "S"

    sides = [side(b) for b in blocks]
    left = sum(b.chars for b, s in zip(blocks, sides) if s == "L")
    right = sum(b.chars for b, s in zip(blocks, sides) if s == "R")
    total = max(1, sum(b.chars for b in blocks))
    if left < _MIN_COLUMN_SHARE * total or right < _MIN_COLUMN_SHARE * total:
        return _rows(blocks)

    # Two columns: spanning blocks cut the page into bands, read in turn.
    ordered: list[Block] = []
    band: list[tuple[Block, str]] = []
    for b, s in sorted(zip(blocks, sides), key=lambda bs: bs[0].bbox[1]):
        if s == "S" and not _overlaps_band(b, band):
            ordered.extend(_read_band(band))
            band = []
            ordered.append(b)
        else:
            band.append((b, s))
    ordered.extend(_read_band(band))
    return ordered


def _gutter(blocks: list[Block], x0: float, x1: float) -> float:
    """The x of the widest vertical gap between blocks near the middle, else the middle."""
    mid = (x0 + x1) / 2
    width = x1 - x0
    lo, hi = mid - 0.2 * width, mid + 0.2 * width
    # Sweep the covered x-intervals of narrow blocks and find the widest hole.
    spans = sorted((b.bbox[0], b.bbox[2]) for b in blocks if b.bbox[2] - b.bbox[0] < 0.6 * width)
    best, best_gap = mid, 0.0
    reach = x0
    for a, z in spans:
        if a > reach:
            gap_mid = (reach + a) / 2
            if lo <= gap_mid <= hi and a - reach > best_gap:
                best, best_gap = gap_mid, a - reach
        reach = max(reach, z)
    return best


def _overlaps_band(b: Block, band: list[tuple[Block, str]]) -> bool:
    # A spanning block beside column text (a wide float) does not end the band.
    y0, y1 = b.bbox[1], b.bbox[3]
    return any(o.bbox[1] < y1 - 2 and o.bbox[3] > y0 + 2 for o, s in band if s != "S")


def _read_band(band: list[tuple[Block, str]]) -> list[Block]:
    left = [b for b, s in band if s in ("L", "S")]
    right = [b for b, s in band if s == "R"]
    return _rows(left) + _rows(right)


def _rows(blocks: list[Block]) -> list[Block]:
    """Top to bottom; blocks on one row (overlapping vertically) left to right."""
    ordered = sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))
    rows: list[list[Block]] = []
    for b in ordered:
        if rows:
            row = rows[-1]
            ry0 = min(o.bbox[1] for o in row)
            ry1 = max(o.bbox[3] for o in row)
            h = min(ry1 - ry0, b.bbox[3] - b.bbox[1])
            if h > 0 and min(ry1, b.bbox[3]) - max(ry0, b.bbox[1]) > 0.5 * h and _single_row(row, b):
                row.append(b)
                continue
        rows.append([b])
    return [b for row in rows for b in sorted(row, key=lambda o: o.bbox[0])]


def _single_row(row: list[Block], b: Block) -> bool:
    # Only short blocks form rows (author boxes, table-like cells); a tall
    # paragraph next to a short one is read after it, not interleaved.
    return all(len(o.lines) <= 3 for o in row) and len(b.lines) <= 3
