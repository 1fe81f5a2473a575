"""Reading order of OCR lines: columns, and lines that span them.

Line detectors report lines top to bottom across the whole page, which on a
two-column page interleaves the columns. We look for a gutter: a vertical
strip that few lines cross while substantial text stands on both sides of it
at the same heights. Lines crossing the gutter (titles, full-width headings,
figure captions, single-column passages) cut the page into bands; inside a
band the left column is read before the right one, and each side is ordered
again the same way, so three columns work too. Lines on one row (a heading
number and its title, table cells) are read left to right. Scans with gutters
narrower than the detector's box padding (newspapers) are read too: a line
must reach well past a gutter to cross it, and a line the detector joined
across one, with both columns' text just above and below it, stays in its
column rather than cutting them into bands.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from corpusmill.layout.ocr_lines import OcrLine

# The gutter is searched in this middle part of the region (as a share of its
# width): a column narrower than a quarter of the text is a margin note.
_GUTTER_SEARCH = (0.2, 0.8)
_GUTTER_STEP = 0.005
# At most this share of the lines beside the columns may cross a real gutter
# (headings, captions); a single-column page has most of its lines across it.
_MAX_CROSSING_SHARE = 0.2
# Each column must hold at least this many lines and this share of the lines
# (a slide's right-aligned attribution and footer are not a column).
_MIN_COLUMN_LINES = 5
_MIN_COLUMN_SHARE = 0.15
# Columns stand side by side: this share of the smaller column's lines must
# have a line of the other column at the same height.
_MIN_SIDE_BY_SIDE = 0.5
# Table cells are narrow, columns of prose are not: this share of a column's
# text (by line length; equations and paragraph ends are short) must stand in
# lines filling this share of the column's width.
_MIN_FILL = 0.6
_FILL_SHARE = 0.3
# Two lines are on one row when they overlap vertically by this share of the
# shorter one.
_ROW_OVERLAP = 0.5
# A line crosses a gutter only when it reaches past it by more than this many
# line heights on both sides: on a scan with narrow gutters (a newspaper) the
# detector's boxes of two neighbouring columns overlap by a few characters.
# A short line (a page number, a centred heading) crosses with this share of
# its width on either side.
_CROSS_MARGIN = 1.0
_CROSS_SHARE = 0.25
# Lines at least this many of their heights long place the gutter.
_LONG_LINE = 6.0
# A line with lines of the column on either side at most this many of its
# heights above and below (centre to centre) stands inside the column's text.
_INSIDE_PITCH = 1.5
# Two lines stand over one another when they overlap horizontally by this
# share of the narrower one.
_STACKED = 0.5
_MAX_DEPTH = 3
_BROKEN_WORD = re.compile(r"[^\W\d_]-$")


def order_lines(lines: list[OcrLine], page_width: float) -> list[OcrLine]:
    """`lines` in reading order (a new list; the lines themselves are unchanged)."""
    if len(lines) < 2:
        return list(lines)
    return _order(list(lines), 0.0, float(page_width), _MAX_DEPTH)


def _order(lines: list[OcrLine], x_lo: float, x_hi: float, depth: int) -> list[OcrLine]:
    gutter = _find_gutter(lines, x_lo, x_hi) if depth > 0 else None
    if gutter is None:
        return _rows(lines)
    left, right = _sides(lines, gutter)
    # A crossing line inside both columns is the detector joining two column lines over a narrow
    # gutter: read with the column it starts in, it does not cut the columns into bands.
    joined = {id(line) for line in lines
              if _crosses(line, gutter) and _inside(line, left) and _inside(line, right)}
    out: list[OcrLine] = []
    band: list[OcrLine] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])):
        if _crosses(line, gutter) and id(line) not in joined:
            out.extend(_read_band(band, x_lo, gutter, x_hi, depth, joined))
            band = []
            out.append(line)
        else:
            band.append(line)
    out.extend(_read_band(band, x_lo, gutter, x_hi, depth, joined))
    return out


def _read_band(band: list[OcrLine], x_lo: float, gutter: float, x_hi: float, depth: int,
               joined: set[int]) -> list[OcrLine]:
    left, right = _sides(band, gutter)
    left += [line for line in band if id(line) in joined]
    return _order(left, x_lo, gutter, depth - 1) + _order(right, gutter, x_hi, depth - 1)


def _inside(line: OcrLine, column: Sequence[OcrLine]) -> bool:
    """Whether `column` has lines just above and just below `line` (within `_INSIDE_PITCH` of its
    height, centre to centre) under it: the line sits within the column's running text, where a
    spanning title or caption has space or a figure above or below it."""
    h = line.bbox[3] - line.bbox[1]
    mid = (line.bbox[1] + line.bbox[3]) / 2
    near = [(other.bbox[1] + other.bbox[3]) / 2 - mid for other in column if _h_overlap(line, other) > 0]
    return any(-_INSIDE_PITCH * h <= d < 0 for d in near) and any(0 < d <= _INSIDE_PITCH * h for d in near)


def _find_gutter(lines: Sequence[OcrLine], x_lo: float, x_hi: float) -> float | None:
    """The x of the clearest column gap in [x_lo, x_hi], or None for one column."""
    if len(lines) < 2 * _MIN_COLUMN_LINES:
        return None
    text_lo = min(ln.bbox[0] for ln in lines)
    text_hi = max(ln.bbox[2] for ln in lines)
    width = text_hi - text_lo
    if width <= 0:
        return None
    steps = int((_GUTTER_SEARCH[1] - _GUTTER_SEARCH[0]) / _GUTTER_STEP) + 1
    xs = [text_lo + width * (_GUTTER_SEARCH[0] + i * _GUTTER_STEP) for i in range(steps)]
    # Where the gap is, short lines (a page number, a centred heading, a speck) do not say: they
    # would cut its strip in two.
    long = [ln for ln in lines if ln.bbox[2] - ln.bbox[0] >= _LONG_LINE * (ln.bbox[3] - ln.bbox[1])]
    crossing = [sum(1 for ln in long if _crosses(ln, x)) for x in xs]
    fewest = min(crossing)
    # The middle of the widest run of positions with the fewest crossings: the
    # centre of the white strip, not its edge.
    best_run: tuple[int, int] = (0, -1)
    start = None
    for i, c in enumerate(crossing + [fewest + 1]):
        if c == fewest and start is None:
            start = i
        elif c != fewest and start is not None:
            if i - start > best_run[1] - best_run[0] + 1:
                best_run = (start, i - 1)
            start = None
    gutter = (xs[best_run[0]] + xs[best_run[1]]) / 2
    left, right = _sides(lines, gutter)
    # Checked before `_is_column` looks into each side: a side holding every line would search it again.
    if min(len(left), len(right)) < max(_MIN_COLUMN_LINES, _MIN_COLUMN_SHARE * len(lines)):
        return None
    if not _is_column(left, len(lines)) or not _is_column(right, len(lines)):
        return None
    if not _side_by_side(left, right):
        return None
    # Only lines crossing the gutter where both columns run count against it:
    # a full-width title and abstract above the columns (a paper's first page)
    # or a footer below them do not.
    top = max(min(ln.bbox[1] for ln in left), min(ln.bbox[1] for ln in right))
    bottom = min(max(ln.bbox[3] for ln in left), max(ln.bbox[3] for ln in right))
    within = [ln for ln in lines if top <= (ln.bbox[1] + ln.bbox[3]) / 2 <= bottom]
    crossing_within = sum(1 for ln in within if _crosses(ln, gutter))
    if crossing_within > _MAX_CROSSING_SHARE * len(within):
        return None
    return gutter


def _crosses(line: OcrLine, x: float) -> bool:
    x0, y0, x1, y1 = line.bbox
    margin = min(_CROSS_MARGIN * (y1 - y0), _CROSS_SHARE * (x1 - x0))
    return x0 + margin < x < x1 - margin


def _sides(lines: Sequence[OcrLine], gutter: float) -> tuple[list[OcrLine], list[OcrLine]]:
    """The lines left and right of `gutter` (by their centre), those crossing it on neither side."""
    left: list[OcrLine] = []
    right: list[OcrLine] = []
    for line in lines:
        if not _crosses(line, gutter):
            (left if line.bbox[0] + line.bbox[2] < 2 * gutter else right).append(line)
    return left, right


def _is_column(lines: Sequence[OcrLine], total: int) -> bool:
    if len(lines) < max(_MIN_COLUMN_LINES, _MIN_COLUMN_SHARE * total):
        return False
    lo = min(ln.bbox[0] for ln in lines)
    hi = max(ln.bbox[2] for ln in lines)
    widths = [ln.bbox[2] - ln.bbox[0] for ln in lines]
    # Counted by text (line length), not by lines: a table's many short cells in a column do not
    # outvote its prose.
    if sum(w for w in widths if w >= _MIN_FILL * (hi - lo)) >= _FILL_SHARE * sum(widths):
        return True
    # Two or more columns side by side also make up one side of a gutter.
    return _find_gutter(lines, lo, hi) is not None


def _side_by_side(left: Sequence[OcrLine], right: Sequence[OcrLine]) -> bool:
    small, big = (left, right) if len(left) <= len(right) else (right, left)
    beside = sum(1 for a in small if any(_v_overlap(a, b) > 0 for b in big))
    return beside >= _MIN_SIDE_BY_SIDE * len(small)


def _rows(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom; lines sharing a row left to right.

    Lines standing over one another are never one row, however close: on a
    tightly set or skewed scan the boxes of a column's next lines overlap, and
    rows chained through them would read a column (or a page) left to right.
    """
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        if rows and any(_same_row(line, other) for other in rows[-1]) \
                and not any(_stacked(line, other) for other in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.bbox[0])]


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    shorter = min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
    return shorter > 0 and _v_overlap(a, b) >= _ROW_OVERLAP * shorter


def _stacked(a: OcrLine, b: OcrLine) -> bool:
    """Whether one line stands over the other (neighbouring words of a row overlap by a few pixels only)."""
    narrower = min(a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0])
    return _h_overlap(a, b) > _STACKED * narrower


def _h_overlap(a: OcrLine, b: OcrLine) -> float:
    return min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0])


def _v_overlap(a: OcrLine, b: OcrLine) -> float:
    return min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])


def lines_to_text(lines: Sequence[OcrLine], dehyphenate: bool = True) -> str:
    """Ordered lines as text, one per line.

    With `dehyphenate`, a word broken across lines ("type-" + "setting") is
    joined again, as pdftotext does for text layers: a lowercase letter and a
    hyphen at the end of a line followed by a lowercase letter. Corpora want
    the word, not the typesetter's line break.
    """
    out: list[str] = []
    for line in lines:
        text = line.text.strip()
        if dehyphenate and out and _BROKEN_WORD.search(out[-1]) and text[:1].islower():
            out[-1] = out[-1][:-1] + text
        else:
            out.append(text)
    return "\n".join(out)
