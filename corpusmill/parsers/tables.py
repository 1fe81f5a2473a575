"""Tables -> Markdown pipe tables (HTML where spans need it), in place of their text blocks.

Four finders, cheapest first; the expensive one runs only where cheap signals
point to a table the cheap finders did not read well:
- Ruled tables (a grid: three horizontal rules of one width with three
  vertical rules between them; a framed box has two of each) go to PyMuPDF's
  `find_tables`, accurate on grids but slow (tenths of a second per page),
  which is why it runs only where a grid is drawn.
- Borderless tables in the booktabs style of LaTeX (and most journals): a
  top rule and a mid rule of one width around a header row of at least two
  cells, then body rows down to a bottom rule of that width (or, for a table
  continued on the next page, while rows keep to the columns). MuPDF already
  gives each cell as its own line, so rows are lines on one baseline and
  columns are the header's cells; a group heading over several columns
  (underlined by a shorter rule, or over two cells of the row below) spans them.
- Other tables (rules only between rows, none at all, grids whose rules do
  not separate all columns) on pages with a grid read poorly or with several
  rows of numbers: PyMuPDF's layout model (`table_model`).
- Tables without rules whose words line up in columns (`table_aligned`) among
  the words no finder above took, on pages with rows of numbers or many
  short lines (and on OCR pages, from the OCR lines' boxes); words set
  sideways in an upright page are read in their own upright frame
  (`table_sideways`).
Text blocks inside a found table are replaced by one `table` block carrying
the Markdown. Pages with more words than a table finder can handle in
bounded time keep their text as it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pymupdf

from corpusmill.parsers.table_aligned import aligned_tables
from corpusmill.parsers.table_grid import WordIndex, grid_rows, is_number, merge_split_numbers
from corpusmill.parsers.table_model import model_tables
from corpusmill.parsers.table_sideways import has_sideways_words, split_by_direction, to_page
from corpusmill.parsers.table_render import Cell, markdown, render
from corpusmill.parsers.text_layer import TEXT_FLAGS, Block, Line, PageText, page_words, unmerged_lines

_MIN_RULES = 3
_NOT_ALNUM = re.compile(r"[\W_]+")
# Words this long tell whether a line's text made it into a table's cells (shorter ones are anywhere).
_LONG_WORD = 4
# Cell text (letters and digits) up to this long is searched for a formula's reordered scripts.
_MAX_ANAGRAM_TEXT = 20_000
_MIN_RULE_LENGTH = 8.0  # points; shorter strokes are glyph parts, not rules
_THIN = 2.5  # a filled rectangle thinner than this is a rule
_MIN_TABLE_WIDTH = 30.0


# Borderless tables: the header sits between two rules at most this far apart.
_MAX_HEADER_HEIGHT = 40.0
# A rule at most this many font sizes under a header line underlines it.
_UNDERLINE_GAP = 1.0
# A row whose single cell is wider than this share of the table is a paragraph.
_PARAGRAPH_SHARE = 0.6
# A vertical gap over this many median row pitches ends a table without a bottom rule.
_MAX_ROW_GAP = 2.5
# Share of body rows that must fill two or more columns.
_MIN_FILLED_ROWS = 0.5


# Grid tables whose cells are filled less than this share are boxes and forms
# (framed text, empty fields), not tables.
_MIN_FILL = 0.4
# A line of a table row: at least this many numbers, making up half its words.
_MIN_NUMBERS = 3
# Rows of numbers outside found tables that make the layout model worth its cost.
_MIN_NUMBER_ROWS = 4
# Above this many words, or rules, on a page the table finders are not run,
# and above _MAX_MODEL_WORDS not the layout model (its cost grows faster than
# the page's words): a table of 500 columns or 10,000 rows stays text, in
# bounded time.
_MAX_WORDS = 6000
_MAX_RULES = 4000
_MAX_MODEL_WORDS = 2500
# Pages with this many lines of at most _SHORT_LINE characters, making up this share
# of their lines, are searched for rule-less tables (prose lines are longer).
_MIN_SHORT_LINES = 6
_SHORT_LINE = 40
_SHORT_SHARE = 0.3
# Word boxes taller than this many font sizes come from a font's wrong metrics.
_TALL_BOXES = 2.0
# A found "table" whose filled cells average more characters than this is prose.
_MAX_MEAN_CELL = 80


@dataclass
class _Rules:
    # (left, right) rounded ends -> y positions of horizontal rules with those ends
    horizontal: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    vertical: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)


def find_tables(page: pymupdf.Page, text: PageText) -> None:
    """Replace the text blocks of the tables on `page` with table blocks."""
    rules = _rules(page)
    grid = _has_grid(rules)
    number_rows = _number_rows(text)
    if not grid and number_rows < _MIN_NUMBER_ROWS:
        _find_borderless(page, text, rules)
        if number_rows or _mostly_short_lines(text):
            _find_aligned(page, text)
        return
    words = page_words(page, TEXT_FLAGS)
    n_rules = len(rules.vertical) + sum(len(ys) for ys in rules.horizontal.values())
    if len(words) > _MAX_WORDS or n_rules > _MAX_RULES:
        return
    index = WordIndex(words)
    poor = grid and _find_ruled(page, text, index)
    _find_borderless(page, text, rules)
    if (poor or _number_rows(text) >= _MIN_NUMBER_ROWS) and len(words) <= _MAX_MODEL_WORDS:
        _find_by_model(page, text, index)
    # Where the layout model found nothing (or did not run): columns from alignment.
    _find_aligned(page, text, words)


def _find_aligned(page: pymupdf.Page, text: PageText, words: list[tuple] | None = None) -> None:
    """Rule-less tables from column alignment, among the words no other finder put in a table."""
    if words is None:
        words = page_words(page, TEXT_FLAGS)
        if len(words) > _MAX_WORDS:
            return
    # Fonts with wrong metrics give word boxes several lines tall, which would merge
    # rows; only then are the boxes measured from the glyphs (slower).
    sizes = sorted(ln.size for b in text.blocks for ln in b.lines)
    heights = sorted(w[3] - w[1] for w in words)
    if sizes and heights and heights[len(heights) // 2] > _TALL_BOXES * sizes[len(sizes) // 2]:
        words = page_words(page, TEXT_FLAGS | pymupdf.TEXT_ACCURATE_BBOXES)
    words = merge_split_numbers(words)
    tables = [b.bbox for b in text.blocks if b.kind == "table"]
    words = [w for w in words if not any(_center_in(w[:4], box) for box in tables)]
    turned: dict[int, list[tuple]] = {}
    if has_sideways_words(words):
        words, turned = split_by_direction(page, words, TEXT_FLAGS)
    # Words in a displayed formula (whose glyph groups leave gaps) are not free; the
    # formula finder reads sideways words as upright glyphs, so theirs stay free.
    formulas = [b.bbox for b in text.blocks if b.kind == "formula"]
    free = [w for w in words if not any(_center_in(w[:4], box) for box in formulas)]
    found = [(box, rows) for box, rows, _ in aligned_tables(free)]
    for turn, sideways in sorted(turned.items()):
        back = to_page(turn)
        found += [(back(box), rows) for box, rows, _ in aligned_tables(sideways)]
    for box, rows in found:
        md = render(rows)
        if md:
            _replace_blocks(text, box, md)


def _mostly_short_lines(text: PageText) -> bool:
    """Many lines of a few words (table rows, cells read one by one), not prose lines."""
    lengths = [len(ln.text) for b in text.blocks if b.kind != "table" for ln in b.lines]
    short = sum(1 for n in lengths if n <= _SHORT_LINE)
    return short >= _MIN_SHORT_LINES and short >= _SHORT_SHARE * len(lengths)


def _find_ruled(page: pymupdf.Page, text: PageText, words: WordIndex) -> bool:
    """Grid tables from the line finder; True where one held whole rows of numbers in single
    cells (its rules did not separate the columns: a job for the layout model)."""
    try:
        found = page.find_tables(strategy="lines", use_layout=False)
    except Exception:  # a table finder failure must not lose the page's text
        return False
    merged = False
    for table in found.tables:
        if table.row_count < 2 or table.col_count < 2:
            continue
        rows = grid_rows([list(row.cells) for row in table.rows], words)
        if any(_numbers(c.text) >= _MIN_NUMBERS for row in rows for c in row):
            merged = True
            continue
        md = render(rows) if _fill(rows) >= _MIN_FILL else ""
        if md:
            _replace_blocks(text, tuple(table.bbox), md)
    return merged


def _find_by_model(page: pymupdf.Page, text: PageText, words: WordIndex) -> None:
    try:
        found = model_tables(page, words)
    except Exception:  # a model failure must not lose the page's text
        return
    for box, rows in found:
        filled = [c.text for row in rows for c in row if c.text]
        if not filled or sum(map(len, filled)) / len(filled) > _MAX_MEAN_CELL or _fill(rows) < _MIN_FILL / 2:
            continue
        md = render(rows)
        if md:
            _replace_blocks(text, box, md)


def _number_rows(text: PageText) -> int:
    """Lines outside found tables made mostly of numbers (rows of a table not yet read)."""
    n = 0
    for b in text.blocks:
        if b.kind == "table":
            continue
        for ln in b.lines:
            nums = _numbers(ln.text)
            if nums >= _MIN_NUMBERS and nums * 2 >= len(ln.text.split()):
                n += 1
    return n


def _numbers(text: str) -> int:
    return sum(1 for t in text.split() if is_number(t))


def _fill(rows: list[list[Cell]]) -> float:
    slots = sum(c.colspan * c.rowspan for row in rows for c in row)
    filled = sum(c.colspan * c.rowspan for row in rows for c in row if c.text)
    return filled / slots if slots else 0.0


def _replace_blocks(text: PageText, box: tuple[float, float, float, float], md: str) -> None:
    """The lines inside `box` become one table block, where the first of them was; a block
    reaching beyond the box (a table read as one paragraph with its caption) keeps its other lines,
    and so does one whose words the table's cells mostly do not show (a paragraph between a heading
    and its table, inside a box drawn too wide): nothing inside the box is lost."""
    cells = _CellWords(md)
    taken: list[Line] = []
    blocks: list[Block] = []
    at: int | None = None
    for b in text.blocks:
        inside = [] if b.kind == "table" else [ln for ln in b.lines if _center_in(ln.bbox, box) and cells.show(ln)]
        if not inside:
            blocks.append(b)
            continue
        if at is None:
            at = len(blocks)
        taken += inside
        rest = [ln for ln in b.lines if all(ln is not t for t in inside)]
        if rest:
            blocks.append(Block(lines=rest, bbox=_union([ln.bbox for ln in rest]), kind=b.kind, level=b.level))
    if at is None:
        return
    blocks.insert(at, Block(lines=taken, bbox=box, kind="table", markdown=md))
    text.blocks = blocks


class _CellWords:
    """The words of a table's cells, to tell whether a line's text made it into them."""

    def __init__(self, md: str) -> None:
        cells = md.lower()
        self.tokens = set(_NOT_ALNUM.split(cells))
        self.joined = _NOT_ALNUM.sub("", cells)
        self.windows: dict[int, set[str]] = {}  # length -> its windows of `joined`, letters sorted

    def show(self, line: Line) -> bool:
        """At least half the line's words of four letters or more are words of the cells. A word with
        digits counts also where the cells have its letters and digits in another order or split
        ("D4h1" as "D1 4h": a formula's scripts), looked for only in tables of modest size."""
        words = [w for w in _NOT_ALNUM.split(line.text.lower()) if len(w) >= _LONG_WORD]
        found = sum(1 for w in words if w in self.tokens or any(c.isdigit() for c in w) and self._anagram(w))
        return 2 * found >= len(words)

    def _anagram(self, word: str) -> bool:
        if len(self.joined) > _MAX_ANAGRAM_TEXT:
            return True  # a huge table: its lines are taken as they were
        n = len(word)
        if n not in self.windows:
            self.windows[n] = {"".join(sorted(self.joined[i:i + n])) for i in range(len(self.joined) - n + 1)}
        return "".join(sorted(word)) in self.windows[n]


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _rules(page: pymupdf.Page) -> _Rules:
    """Thin axis-parallel strokes and rectangles: the page's rules."""
    rules = _Rules()
    horizontal, vertical = rules.horizontal, rules.vertical
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
    for ys in horizontal.values():
        ys.sort()
    return rules


def _has_grid(rules: _Rules) -> bool:
    """Three or more equally long horizontal rules and vertical rules between them.

    Chemical formulas and diagrams draw many short axis-parallel strokes;
    a ruled table's horizontal rules share their left and right ends.
    """
    for (left, right), ys in rules.horizontal.items():
        if len(ys) < _MIN_RULES:
            continue
        top, bottom = min(ys), max(ys)
        if _verticals_between(rules, left, right, top, bottom) >= _MIN_RULES:
            return True
    return False


def _verticals_between(rules: _Rules, left: float, right: float, top: float, bottom: float) -> int:
    return sum(1 for x, y0, y1 in rules.vertical
               if left - 2 <= x <= right + 2 and y0 >= top - 2 and y1 <= bottom + 2)


def _find_borderless(page: pymupdf.Page, text: PageText, rules: _Rules) -> None:
    lines: list[Line] | None = None
    for (left, right), ys in rules.horizontal.items():
        i = 0
        while i + 1 < len(ys):
            top, mid = ys[i], ys[i + 1]
            if not 0 < mid - top <= _MAX_HEADER_HEIGHT:
                i += 1
                continue
            bottom = ys[i + 2] if i + 2 < len(ys) else None
            if _verticals_between(rules, left, right, top, bottom or mid):
                i += 1
                continue  # a ruled table's business
            if lines is None:
                lines = unmerged_lines(page)
            # Shorter rules inside the header underline group headings (booktabs' cmidrule).
            under = [(lo, hi, y) for (lo, hi), yy in rules.horizontal.items() for y in yy
                     if top < y < mid and (lo, hi) != (left, right)]
            found = _booktabs(lines, left, right, top, mid, bottom, under)
            if found is not None:
                box, md = found
                _replace_blocks(text, box, md)
            i += 3 if bottom is not None else 2


def _booktabs(lines: list[Line], left: float, right: float, top: float, mid: float, bottom: float | None,
              under: list[tuple[float, float, float]]) -> tuple[tuple[float, float, float, float], str] | None:
    """The table under a header between rules `top` and `mid`, as (bbox, Markdown), or None.

    `under`: (left, right, y) of shorter rules inside the header, under group headings."""
    def within(ln: Line, y0: float, y1: float) -> bool:
        cx, cy = (ln.bbox[0] + ln.bbox[2]) / 2, (ln.bbox[1] + ln.bbox[3]) / 2
        return left - 3 <= cx <= right + 3 and y0 <= cy <= y1

    header = _rows([ln for ln in lines if within(ln, top, mid)])
    # A heading over a group of columns (above a row with two or more cells under
    # it) spans them; the columns come from the cells under it.
    # A rule just under a heading gives the width it spans.
    reach = {id(ln): (ln.bbox[0], 0.0, ln.bbox[2], 0.0) for row in header for ln in row}
    for row in header:
        for ln in row:
            for lo, hi, y in under:
                if 0 <= y - ln.bbox[3] <= _UNDERLINE_GAP * ln.size and lo <= (ln.bbox[0] + ln.bbox[2]) / 2 <= hi:
                    reach[id(ln)] = (lo, 0.0, hi, 0.0)
    spanning = {id(ln) for upper, lower in zip(header, header[1:]) for ln in upper
                if sum(1 for m in lower if _overlap(reach[id(ln)], m.bbox) > 0) >= 2}
    columns = _columns([[ln for ln in row if id(ln) not in spanning] for row in header])
    if len(columns) < 2:
        return None
    below = _rows([ln for ln in lines if within(ln, mid, bottom if bottom is not None else float("inf"))])
    body: list[list[Line]] = []
    width = right - left
    pitches: list[float] = []
    for row in below:
        if len(row) == 1 and row[0].bbox[2] - row[0].bbox[0] > _PARAGRAPH_SHARE * width:
            break
        if body:
            pitch = row[0].bbox[1] - body[-1][0].bbox[1]
            if bottom is None and pitches and pitch > _MAX_ROW_GAP * sorted(pitches)[len(pitches) // 2]:
                break
            pitches.append(pitch)
        body.append(row)
    cells = [_cells(row, columns) for row in header + body]
    filled = sum(1 for row in cells[len(header):] if sum(1 for c in row if c) >= 2)
    if len(body) < 2 or filled < _MIN_FILLED_ROWS * len(body):
        return None
    if spanning:
        head_cells = _spanned_header(header, columns, {i: reach[i] for i in spanning})
        md = render(head_cells + [[Cell(t) for t in row] for row in cells[len(header):]])
    else:
        head = [" ".join(c for c in col if c) for col in zip(*cells[:len(header)])]
        md = markdown([head] + cells[len(header):])
    if not md:
        return None
    last = max(ln.bbox[3] for row in body for ln in row)
    return (left, top, right, bottom if bottom is not None else last + 1), md


def _spanned_header(header: list[list[Line]], columns: list[tuple[float, float]],
                    spanning: dict[int, tuple[float, float, float, float]]) -> list[list[Cell]]:
    """Header rows as cells, a group heading spanning the columns it reaches over."""
    out: list[list[Cell]] = []
    for row in header:
        cells: list[Cell | None] = [Cell("", header=True) for _ in columns]
        for ln in row:
            if id(ln) in spanning:
                cols = [i for i, c in enumerate(columns) if _overlap(spanning[id(ln)], (c[0], 0, c[1], 0)) > 0] or [0]
            else:
                cols = [_column(ln, columns)]
            if cells[cols[0]] is None:
                continue
            first = cells[cols[0]]
            first.text = f"{first.text} {ln.text}".strip()
            for i in cols[1:]:
                if cells[i] is not None and not cells[i].text:
                    first.colspan += 1
                    cells[i] = None
        out.append([c for c in cells if c is not None])
    return out


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows (overlapping vertically), top to bottom, cells left to right."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        cy = (ln.bbox[1] + ln.bbox[3]) / 2
        if rows and rows[-1][0].bbox[1] <= cy <= rows[-1][0].bbox[3]:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [sorted(row, key=lambda ln: ln.bbox[0]) for row in rows]


def _columns(header: list[list[Line]]) -> list[tuple[float, float]]:
    """Column spans from the header cells: horizontally overlapping cells are one column."""
    spans = sorted((ln.bbox[0], ln.bbox[2]) for row in header for ln in row)
    columns: list[tuple[float, float]] = []
    for x0, x1 in spans:
        if columns and x0 <= columns[-1][1]:
            columns[-1] = (columns[-1][0], max(columns[-1][1], x1))
        else:
            columns.append((x0, x1))
    return columns


def _cells(row: list[Line], columns: list[tuple[float, float]]) -> list[str]:
    """Each line of the row in the column it overlaps most (or lies nearest)."""
    out = [""] * len(columns)
    for ln in row:
        i = _column(ln, columns)
        out[i] = f"{out[i]} {ln.text}".strip()
    return out


def _column(ln: Line, columns: list[tuple[float, float]]) -> int:
    """The column the line overlaps most (or lies nearest)."""
    def fit(i: int) -> tuple[float, float]:
        c0, c1 = columns[i]
        overlap = min(ln.bbox[2], c1) - max(ln.bbox[0], c0)
        return overlap, -abs((ln.bbox[0] + ln.bbox[2]) / 2 - (c0 + c1) / 2)

    return max(range(len(columns)), key=fit)


def _center_in(bbox, box) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


# Page margins where running headers and footers sit, as shares of the page height.
_MARGIN = 0.08


def join_continued(pages: list[PageText]) -> None:
    """A Markdown table continued at the top of the next page gets the header of its first part.

    Without it the continuation's first body row would stand in the header row
    of its own pipe table. The part before must end its page and the
    continuation start the next (only running headers/footers around them),
    with as many columns and no header of its own (a repeated header is left).
    """
    for prev, cur in zip(pages, pages[1:]):
        if cur.number != prev.number + 1:
            continue
        last, first = _edge_table(prev, last=True), _edge_table(cur, last=False)
        if last is None or first is None or not last.markdown or not first.markdown:
            continue
        head, lines = last.markdown.split("\n")[:2], first.markdown.split("\n")
        if not (head[0].startswith("|") and lines[0].startswith("|")) or lines[0] == head[0]:
            continue
        if head[1].count("---") != lines[1].count("---"):
            continue
        first.markdown = "\n".join(head + [lines[0]] + lines[2:])


def _edge_table(page: PageText, last: bool) -> Block | None:
    tables = [b for b in page.blocks if b.kind == "table"]
    if not tables:
        return None
    top, bottom = _MARGIN * page.height, (1 - _MARGIN) * page.height
    if last:
        table = max(tables, key=lambda b: b.bbox[3])
        beyond = [b for b in page.blocks if b.kind != "table" and table.bbox[3] <= b.bbox[1] < bottom]
    else:
        table = min(tables, key=lambda b: b.bbox[1])
        beyond = [b for b in page.blocks if b.kind != "table" and top < b.bbox[3] <= table.bbox[1]]
    return None if beyond else table
