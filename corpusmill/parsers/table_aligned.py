"""Tables without rules, found from words that line up in columns.

Many real tables (government statistics, financial statements, data sheets,
comparison tables in papers) draw no rules at all: the reader sees columns
because the words of consecutive lines line up, with wide white gaps between
them. This finder looks for exactly that:

1. words are cut into segments at gaps wider than a word space (a segment is
   one cell's text on one line);
2. segments with overlapping vertical extents form rows, top to bottom;
3. a run of consecutive rows, each of at least three segments (or two where
   the run is long), close together and short of text (prose lines are long),
   is a table candidate;
4. its columns are the x-ranges that the segments of its fullest rows cover,
   merged where they overlap (white space that runs down the whole body is
   a column boundary); a segment over several columns spans them;
5. the grid of texts goes to `table_grid.with_header` (header rows merged,
   spanning header cells) and to the renderer.

Cheap: one pass over the page's words (already bucketed by `WordIndex`'s
caller) and over the rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpusmill.parsers.table_grid import is_number, reading_order, with_header
from corpusmill.parsers.table_render import Cell

Box = tuple[float, float, float, float]

# A gap between words wider than this share of the line height separates cells.
_CELL_GAP = 0.9
# A row of a candidate table: at least this many segments...
_MIN_CELLS = 3
# ...and a candidate at least this many such rows.
_MIN_ROWS = 3
# Rows further apart than this many line heights end the run.
_MAX_ROW_GAP = 1.8
# Segments of prose are long; a table's cells are short (characters, median).
_MAX_MEDIAN_CELL = 24
# Dot leaders ("Net interest ......", unmapped leader glyphs) belong to no cell.
_LEADER = re.compile(r"[.\u2026\u00b7\ufffd_]{3,}")
# Share of the grid's slots a table fills.
_MIN_FILL = 0.5
# More columns than this are no table a reader (or Markdown) can use: left as text.
_MAX_COLUMNS = 64
# Full rows a two-column table needs.
_MIN_KEY_VALUE_ROWS = 4
# A column whose cells have a median length over this is a text column beside the table.
_MAX_PROSE_CELL = 30
# ...or a median of this many words.
_MIN_PROSE_WORDS = 5
# A narrow column of prose has short cells too, but they run on: on this share
# of its line pairs a line ends in a hyphen or comma, or ends a sentence inside
# the column, or the next starts in lower case (column heads and wrapped labels
# in a table do now and then, not throughout)...
_MIN_RUN_ON = 0.25
_RUNS_ON = ("-", "\u00ad", ",", ".", "?", "!", ";")
# ...on this share the next line's first word would not have fitted on the line before...
_MIN_WRAPPED = 0.5
# ...its lines hold this many characters (median), the column is this many wide...
_MIN_RUN_ON_CHARS = 16
_MIN_PROSE_WIDTH = 15
# ...on this many line pairs of columns side by side, or of one column beside a
# table (a table's column of short phrases in lower case runs a few rows).
_MIN_RUN_ON_PAIRS = 3
_MIN_PROSE_COLUMN_PAIRS = 6
# A column must hold a segment in at least this share of the body rows.
_MIN_COLUMN_FILL = 0.25
# Rows of fewer cells (section labels, a wrapped label's second line) inside a
# run: at most this many in a row; header rows of two cells or more above it: at most this many.
_MAX_WEAK_ROWS = 3
_MAX_HEADER_ROWS = 3


@dataclass(slots=True)
class _Segment:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    ids: list[int]  # indexes of its words in the input
    line: tuple = ()  # MuPDF's (block, line) of its first word; () for OCR lines
    # The segments it was joined from, left to right (empty: not joined), so that a
    # header row can be cut again at the body's columns.
    pieces: list["_Segment"] = field(default_factory=list)


Found = tuple[Box, list[list[Cell]], list[int]]


def aligned_tables(words: list[tuple]) -> list[Found]:
    """(bbox, rows of cells, indexes of its words) of each rule-less table among `words`.

    Words are MuPDF's (x0, y0, x1, y1, text, ...) or OCR lines as (x0, y0, x1, y1, text).
    """
    rows = _rows(words)
    out: list[Found] = []
    i = done = 0
    while i < len(rows):
        j = _run_end(rows, i)
        if sum(1 for row in rows[i:j] if _strong(row)) >= _MIN_ROWS:
            start = i
            columns = _columns(rows[i:j])  # the body's, to cut header rows at
            while start > done and i - start < _MAX_HEADER_ROWS and _close(rows[start - 1], rows[start]):
                head = _cut_at_columns(rows[start - 1], columns)
                if len(head) < 2:
                    break
                rows[start - 1] = head
                start -= 1
            found = _table(rows[start:j], i - start)
            if found is not None:
                out.append(found)
                i = done = j
                continue
        i += 1
    return out


def _sideways(w: tuple) -> bool:
    """A word of a few characters taller than wide: set vertically, not part of a row."""
    return len(w[4]) >= 3 and (w[3] - w[1]) > 1.2 * (w[2] - w[0])


def _rows(words: list[tuple]) -> list[list[_Segment]]:
    """Words in rows (vertical centres in one band), top to bottom; in each row, words closer
    than a cell gap joined into one segment, left to right."""
    bands: list[list[_Segment]] = []
    band: tuple[float, float] | None = None
    items = sorted(enumerate(words), key=lambda iw: ((iw[1][1] + iw[1][3]) / 2, iw[1][0]))
    # Some fonts give glyph boxes several lines tall: a box is cut to its centre
    # +- the page's usual half height, so bands stay one line each.
    half = 0.75 * _median([w[3] - w[1] for w in words])
    for i, w in items:
        if _sideways(w):
            continue
        cy = (w[1] + w[3]) / 2
        text = _LEADER.sub("", w[4])
        if not text:
            continue
        seg = _Segment(w[0], max(w[1], cy - half), w[2], min(w[3], cy + half), text, [i], tuple(w[5:7]))
        cy = (seg.y0 + seg.y1) / 2
        if band is not None and band[0] <= cy <= band[1]:
            bands[-1].append(seg)
        else:
            bands.append([seg])
            band = (seg.y0, seg.y1)
    rows: list[list[_Segment]] = []
    for row in bands:
        row.sort(key=lambda s: s.x0)
        joined = [row[0]]
        for seg in row[1:]:
            last = joined[-1]
            # Two numbers side by side are two cells, however close (bold figures in tight columns).
            # MuPDF starts a new line at a wide jump: words of two of its lines are two cells;
            # so does the OCR detector: two OCR lines join only where their boxes overlap.
            gap = _CELL_GAP * min(seg.y1 - seg.y0, last.y1 - last.y0) if seg.line else 0.0
            if (seg.x0 - last.x1 <= gap
                    and seg.line == last.line
                    and not (is_number(seg.text) and is_number(last.text.rsplit(" ", 1)[-1]))):
                joined[-1] = _joined((last.pieces or [last]) + [seg])
            else:
                joined.append(seg)
        rows.append(joined)
    return rows


def _cut_at_columns(row: list[_Segment], columns: list[tuple[float, float]]) -> list[_Segment]:
    """A header row's segments cut where their OCR lines fall in different body columns.

    OCR boxes carry padding: a header's boxes overlap their neighbours' and were
    joined into one segment. Text-layer words stay as joined (their gaps are exact).
    """
    out: list[_Segment] = []
    for seg in row:
        if not seg.pieces or seg.line:
            out.append(seg)
            continue
        groups = [[seg.pieces[0]]]
        for a, b in zip(seg.pieces, seg.pieces[1:]):
            if _column_of(a, columns) != _column_of(b, columns):
                groups.append([b])
            else:
                groups[-1].append(b)
        out += [_joined(g) for g in groups]
    return out


def _joined(pieces: list[_Segment]) -> _Segment:
    if len(pieces) == 1:
        return pieces[0]
    return _Segment(pieces[0].x0, min(p.y0 for p in pieces), max(p.x1 for p in pieces), max(p.y1 for p in pieces),
                    " ".join(reading_order([(p.x0, p.y0, p.x1, p.y1, p.text) for p in pieces])),
                    [i for p in pieces for i in p.ids], pieces[0].line, pieces)


def _height(row: list[_Segment]) -> float:
    return max(s.y1 for s in row) - min(s.y0 for s in row)


def _close(above: list[_Segment], below: list[_Segment]) -> bool:
    gap = min(s.y0 for s in below) - max(s.y1 for s in above)
    return gap <= _MAX_ROW_GAP * max(_height(above), 1.0)


def _strong(row: list[_Segment]) -> bool:
    """A row that looks like a table row: three cells or more, or two short ones (label and value)."""
    return len(row) >= _MIN_CELLS or (len(row) == 2 and all(len(s.text) <= _MAX_PROSE_CELL for s in row))


def _run_end(rows: list[list[_Segment]], i: int) -> int:
    """End (exclusive) of the run of table-like rows starting at `i` (i itself when it is none).

    A run is rows of `_MIN_CELLS` cells or more, close together; up to
    `_MAX_WEAK_ROWS` rows of fewer cells between two such rows belong to it.
    """
    if not _strong(rows[i]):
        return i
    end = j = i + 1
    while j < len(rows) and _close(rows[j - 1], rows[j]):
        if _strong(rows[j]):
            end = j + 1
        elif j - end + 1 > _MAX_WEAK_ROWS:
            break
        j += 1
    return end


def _table(rows: list[list[_Segment]], n_head: int) -> Found | None:
    """The table of `rows`, the first `n_head` of them header rows.

    OCR boxes carry padding, so an OCR header's cells overlap and would merge
    the columns: on OCR lines the columns come from the body rows alone.
    """
    ocr = not rows[0][0].line
    columns = _columns(rows[n_head:] if ocr else rows)
    if len(columns) > _MAX_COLUMNS:
        return None
    where = {id(s): _column_of(s, columns) for row in rows for s in row}
    # A column of prose beside the table (a text column whose lines happen to
    # share the rows' baselines) is no part of it: edge columns of long cells go.
    first, last = 0, len(columns)
    column_segs = [[s for row in rows for s in row if where[id(s)] == c] for c in range(len(columns))]

    def prose(c: int) -> bool:
        texts = [s.text for s in column_segs[c]]
        return (_median([len(t) for t in texts]) > _MAX_PROSE_CELL
                or _median([len(t.split()) for t in texts]) >= _MIN_PROSE_WORDS
                or _running_text(column_segs[c], _MIN_PROSE_COLUMN_PAIRS))

    while last - first >= 2 and prose(first):
        first += 1
    while last - first >= 2 and prose(last - 1):
        last -= 1
    # Columns of prose side by side, each too short to tell alone: together.
    kept = [segs for segs in column_segs[first:last] if len(segs) >= 2]
    if sum(len(segs) - 1 for segs in kept) >= _MIN_RUN_ON_PAIRS and all(_running_text(segs, 1) for segs in kept):
        return None
    rows = [[s for s in row if first <= where[id(s)] < last] for row in rows]
    cells = [s for row in rows for s in row]
    if last - first < 2 or _median([len(s.text) for s in cells]) > _MAX_MEDIAN_CELL:
        return None
    grid: list[list[str]] = []
    for row in rows:
        texts = [""] * (last - first)
        for s in row:
            c = where[id(s)] - first
            texts[c] = f"{texts[c]} {s.text}".strip()
        if any(texts):
            grid.append(texts)
    # A candidate whose rows mostly fill one column, or whose columns are mostly
    # empty (words of prose and formulas that happen to leave gaps), is no table.
    if sum(1 for t in grid if sum(1 for x in t if x) >= 2) < _MIN_ROWS:
        return None
    if sum(1 for t in grid for x in t if x) < _MIN_FILL * len(grid) * (last - first):
        return None
    right = [s for row in (rows[n_head:] if ocr else rows) for s in row if where[id(s)] == first + 1]
    if last - first < _MIN_CELLS and not _two_columns(grid, right):
        return None
    box = (min(s.x0 for s in cells), min(s.y0 for s in cells), max(s.x1 for s in cells), max(s.y1 for s in cells))
    return box, with_header(grid), sorted(i for s in cells for i in s.ids)


def _running_text(segs: list[_Segment], min_pairs: int = _MIN_RUN_ON_PAIRS) -> bool:
    """A text column (its lines top to bottom) that reads as text running on, sentences wrapped at the
    column's width, not as cells each complete in itself: successive lines run on, and a line mostly
    ends where the next line's first word would not have fitted after it (a table's text cells end
    where what they say ends), in a column as wide as text is set at least."""
    pairs = list(zip(segs, segs[1:]))
    if len(pairs) < min_pairs or _median([len(a.text) for a, _ in pairs]) < _MIN_RUN_ON_CHARS:
        return False
    if sum(1 for a, b in pairs if a.text.endswith(_RUNS_ON) or b.text[:1].islower()) < _MIN_RUN_ON * len(pairs):
        return False
    left, right = min(s.x0 for s in segs), max(s.x1 for s in segs)
    char = _median([(s.x1 - s.x0) / max(1, len(s.text)) for s in segs])
    if right - left < _MIN_PROSE_WIDTH * char:
        return False  # narrower than any column set for reading: short cells of one length
    wrapped = sum(1 for a, b in pairs if a.x1 + char * (1 + len(b.text.split()[0])) > right)
    return wrapped >= _MIN_WRAPPED * len(pairs)


def _two_columns(grid: list[list[str]], right: list[_Segment]) -> bool:
    """A two-column table (labels and values) needs more evidence than columns of three or more:
    `_MIN_KEY_VALUE_ROWS` full rows, and its second column's cells lined up on one edge (or numbers)."""
    if sum(1 for t in grid if all(t)) < _MIN_KEY_VALUE_ROWS or not right:
        return False
    height = _median([round(s.y1 - s.y0) for s in right])
    lefts, rights = [s.x0 for s in right], [s.x1 for s in right]
    aligned = max(lefts) - min(lefts) <= height or max(rights) - min(rights) <= height
    return aligned or all(is_number(s.text) for s in right)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


def _columns(rows: list[list[_Segment]]) -> list[tuple[float, float]]:
    """Column x-ranges: the union of the segments' ranges over the rows with the most cells."""
    widest = max(len(r) for r in rows)
    full = [r for r in rows if len(r) >= max(_MIN_CELLS, widest - 1)] or rows
    spans = sorted((s.x0, s.x1) for r in full for s in r)
    merged: list[list[float]] = []
    counts: list[int] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], x1)
            counts[-1] += 1
        else:
            merged.append([x0, x1])
            counts.append(1)
    keep = [(a, b) for (a, b), n in zip(merged, counts) if n >= _MIN_COLUMN_FILL * len(full)]
    return keep


def _column_of(s: _Segment, columns: list[tuple[float, float]]) -> int:
    """The column the segment overlaps most, else the nearest by centre."""
    def fit(i: int) -> tuple[float, float]:
        c0, c1 = columns[i]
        return min(s.x1, c1) - max(s.x0, c0), -abs((s.x0 + s.x1) / 2 - (c0 + c1) / 2)

    return max(range(len(columns)), key=fit)
