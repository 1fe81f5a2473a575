"""Reading order of a page's text blocks: one column, two columns, slides.

Content-stream order is what the producer wrote, which is often, but not
always, reading order (floats, footnotes and headers are written whenever the
typesetter got to them). We rebuild the order from geometry: blocks that span
the text width cut the page into horizontal bands; inside a band with two
columns the left column is read before the right one; otherwise top to
bottom, and blocks side by side on one row left to right.
"""
from __future__ import annotations

import re
from dataclasses import replace

from corpusmill.parsers.text_layer import Block, Line

# A block belongs to a column if it stays within this fraction of the text
# width past the gutter; wider blocks span both columns.
_GUTTER_TOLERANCE = 0.03
# Both columns must hold this share of the band's characters to call it
# two-column (one short marginal note does not make a column).
_MIN_COLUMN_SHARE = 0.15
# The gutter may be crossed by this share of the characters (a line set across it).
_MAX_GUTTER_CROSSING = 0.05


# A heading set on two lines that MuPDF split into two blocks (a centred
# title) is one heading when the next line follows within this many of its
# line heights.
_HEADING_LINE_GAP = 0.8
# A drop cap is at least this many times the size of its paragraph's text.
_DROP_CAP_SIZE = 2.0
# A caption or footnote is set at most this share of the size of the text it interrupts.
_FLOAT_SIZE = 0.9
# Text stopping in the middle of a sentence (a word, a number, a comma or hyphen last) ...
_MID_SENTENCE = re.compile(r"[^\W_][,;\-\u2010]?\s*$")
# ... and text going on: in lower case, or with any word after a comma or hyphen.
_GOES_ON = re.compile(r"^\s*[^\W\d_]")
_CUT = re.compile(r"[,;\-\u2010]\s*$")
# How captions and footnotes start (any language's "Figure 2", a note's marker).
_CAPTION_START = re.compile(
    r"^\s*(?:(?:fig(?:ure)?|table|tab|abb(?:ildung)?|tabelle|bild|image|photo|foto|chart|graph|map|karte|source|"
    r"quelle|illustration|tableau|tabla|figura|rys(?:unek)?|tabela)\.?\s*\d|(?:\d{1,3}|[*†‡§¶])\s?[^\W\d_])",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_MIN_FLOAT_WORDS = 5
_FULL_LINE = 0.8
_MIN_FLOAT_LETTERS = 0.7
# A side holding less than _MIN_COLUMN_SHARE of the text is still a column when
# its blocks are as wide as the other side's (within this ratio) and share its left
# edge alignment: the end of a paragraph carried over into the next column.
_COLUMN_WIDTH_RATIO = 0.85
_EDGE_TOLERANCE = 2.0
_MIN_ALIGNED = 0.75
_MIN_PARAGRAPH_LINES = 3


def order_blocks(blocks: list[Block]) -> list[Block]:
    """Blocks in reading order; a heading broken over lines, and a drop cap and its paragraph, joined;
    a caption or footnote that falls inside a sentence read after it."""
    return _defer_floats(_join_heading_lines(_order(blocks)))


def _defer_floats(blocks: list[Block]) -> list[Block]:
    """A block set smaller than the text around it (a figure caption, a footnote), read between two
    parts of one paragraph, goes after the second part.

    A paragraph broken around a figure, or at the foot of a column above the
    footnotes, is read as its first part, the caption or note, then the rest:
    the sentence is cut in two. The first part ending without a sentence's
    end and the second starting with a word say it is one paragraph.
    """
    out = list(blocks)
    i = 1
    while i < len(out) - 1:
        a, f, b = out[i - 1], out[i], out[i + 1]
        if (a.kind == b.kind == "paragraph" and f.kind == "paragraph" and _float_shaped(f)
                and _size(f) < _FLOAT_SIZE * min(_size(a), _size(b))
                and _MID_SENTENCE.search(a.text) and _runs_to_the_end(a, f, b) and _GOES_ON.match(b.text)
                and (b.text.lstrip()[:1].islower() or _CUT.search(a.text))):
            out[i], out[i + 1] = b, f
            i += 2
        else:
            i += 1
    return out


def _runs_to_the_end(*blocks: Block) -> bool:
    """The first block's last line is as wide as the widest of the blocks: a paragraph cut by the
    column's end or a figure, not a short line ("Figures", a title) that ends there."""
    last = blocks[0].lines[-1].bbox
    return last[2] - last[0] >= _FULL_LINE * max(b.bbox[2] - b.bbox[0] for b in blocks)


def _float_shaped(b: Block) -> bool:
    """A caption ("Figure 3.", "Abb. 2:") or footnote ("1 See ...") by its start, or a few words of
    prose (a photo caption); not a displayed formula (symbols, few words) between its sentences."""
    text = b.text
    if _CAPTION_START.match(text):
        return True
    letters = sum(c.isalpha() for c in text)
    return (sum(line.math_chars for line in b.lines) == 0 and len(_WORD.findall(text)) >= _MIN_FLOAT_WORDS
            and letters >= _MIN_FLOAT_LETTERS * len(text.replace(" ", "")))


def _size(b: Block) -> float:
    """The size most of the block's characters are set in."""
    weight: dict[float, int] = {}
    for line in b.lines:
        weight[line.size] = weight.get(line.size, 0) + len(line.text)
    return max(sorted(weight), key=weight.__getitem__)


def _join_heading_lines(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev is not None and _continues_heading(prev, b):
            out[-1] = Block(lines=prev.lines + b.lines, bbox=_union(prev.bbox, b.bbox), kind="heading",
                            level=prev.level)
        elif prev is not None and _drop_cap(prev, b):
            first = b.lines[0]
            lines = [replace(first, text=prev.text.strip() + first.text.lstrip()), *b.lines[1:]]
            out[-1] = Block(lines=lines, bbox=_union(prev.bbox, b.bbox), kind=b.kind, level=b.level)
        else:
            out.append(b)
    return out


def _drop_cap(a: Block, b: Block) -> bool:
    """`a` is the large initial letter of paragraph `b` ("I" + "n May 1998, ..."), set beside its first lines."""
    text = a.text.strip()
    if len(a.lines) != 1 or not (1 <= len(text) <= 2 and text.isalpha()) or not b.lines:
        return False
    height = a.bbox[3] - a.bbox[1]
    return (
        a.lines[0].size >= _DROP_CAP_SIZE * b.lines[0].size
        and -1 <= b.lines[0].bbox[0] - a.bbox[2] <= 0.5 * height
        and abs(b.bbox[1] - a.bbox[1]) <= 0.5 * height
        and b.text[:1].isalpha()
    )


def _continues_heading(a: Block, b: Block) -> bool:
    """`b` is the next line of heading `a`: same level and style, just below it, under its span."""
    if a.kind != "heading" or b.kind != "heading" or a.level != b.level:
        return False
    la, lb = a.lines[-1], b.lines[0]
    height = la.bbox[3] - la.bbox[1]
    gap = lb.bbox[1] - la.bbox[3]
    return (
        _same_style(la, lb)
        and -0.2 * height <= gap <= _HEADING_LINE_GAP * height
        and b.bbox[0] >= a.bbox[0] - 1
        and b.bbox[2] <= a.bbox[2] + 1
    )


def _same_style(a: Line, b: Line) -> bool:
    return abs(a.size - b.size) <= 0.5 and a.bold == b.bold


def _union(a: tuple[float, float, float, float], b: tuple[float, float, float, float]):
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _order(blocks: list[Block]) -> list[Block]:
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
    if (left < _MIN_COLUMN_SHARE * total or right < _MIN_COLUMN_SHARE * total) \
            and not _like_columns([b for b, s in zip(blocks, sides) if s == "L"],
                                  [b for b, s in zip(blocks, sides) if s == "R"]):
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


def _like_columns(left: list[Block], right: list[Block]) -> bool:
    """Both sides set as text columns of one width, most blocks of a side starting at its left edge.

    A marginal note or a label beside the text is narrower than the column it
    sits by; a column that holds only the end of a paragraph is as wide.
    """
    if not left or not right or not any(len(b.lines) >= 2 for b in left + right):
        return False
    # The fuller side is set in paragraphs, not fields of a line or two (a letterhead, a form).
    full = max(left, right, key=lambda side: sum(b.chars for b in side))
    lines = sorted(len(b.lines) for b in full)
    if lines[len(lines) // 2] < _MIN_PARAGRAPH_LINES:
        return False
    widths = sorted(b.bbox[2] - b.bbox[0] for b in left), sorted(b.bbox[2] - b.bbox[0] for b in right)
    wl, wr = widths[0][len(widths[0]) // 2], widths[1][len(widths[1]) // 2]
    if min(wl, wr) < _COLUMN_WIDTH_RATIO * max(wl, wr):
        return False
    return all(_aligned_share(side) >= _MIN_ALIGNED for side in (left, right))


def _aligned_share(blocks: list[Block]) -> float:
    """The share of the blocks starting at the side's most common left edge (a caption may stick out)."""
    edges = sorted(b.bbox[0] for b in blocks)
    return max(sum(1 for e in edges if abs(e - x) <= _EDGE_TOLERANCE) for x in edges) / len(edges)


def _gutter(blocks: list[Block], x0: float, x1: float) -> float:
    """The x near the middle that the fewest characters of narrow blocks cross, else the middle.

    Of the positions crossed least (none, between two columns), the middle of
    the widest run. A line straddling the gutter (a dateline set across the
    top of the columns) only raises the count there: the gutter below it
    still shows, as long as it carries little of the text.
    """
    mid = (x0 + x1) / 2
    width = x1 - x0
    n = int(width) + 2
    delta = [0] * (n + 1)
    narrow = [b for b in blocks if b.bbox[2] - b.bbox[0] < 0.6 * width]
    for b in narrow:
        delta[int(b.bbox[0] - x0)] += b.chars
        delta[min(n, int(b.bbox[2] - x0) + 1)] -= b.chars
    cover, run = [], 0
    for d in delta:
        run += d
        cover.append(run)
    lo, hi = int(mid - 0.2 * width - x0), int(mid + 0.2 * width - x0)
    window = cover[lo:hi + 1]
    least = min(window, default=0)
    if least > _MAX_GUTTER_CROSSING * sum(b.chars for b in narrow):
        return mid
    best, best_len, start = mid, 0, None
    for i, c in enumerate(window + [least + 1]):
        if c == least and start is None:
            start = i
        elif c != least and start is not None:
            if i - start > best_len:
                best, best_len = x0 + lo + (start + i - 1) / 2, i - start
            start = None
    return best


def _overlaps_band(b: Block, band: list[tuple[Block, str]]) -> bool:
    # A spanning block beside column text (a wide float) does not end the band.
    y0, y1 = b.bbox[1], b.bbox[3]
    return any(o.bbox[1] < y1 - 2 and o.bbox[3] > y0 + 2 for o, s in band if s != "S")


def _read_band(band: list[tuple[Block, str]]) -> list[Block]:
    left = [b for b, s in band if s in ("L", "S")]
    right = [b for b, s in band if s == "R"]
    # Each side may hold columns of its own (three-column pages): read it the same way.
    if not left or not right:
        return _rows(left or right)
    return _order(left) + _order(right)


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
