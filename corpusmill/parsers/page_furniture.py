"""Running headers, footers, page numbers, margin stamps: found on every page.

Across pages: a line near the top or bottom edge whose text (digits ignored)
comes back on many pages is a running header or footer. On any page, even a
document's only one: a lone number or "Page n of m" at an edge is a page
number; the outermost line at the top or bottom edge, set apart from the body
and no larger than it, is a header or footer; a line in the edge band shaped
like furniture (a download or copyright stamp, a journal citation line, a
printer's slug, a bare URL or date) is one whatever its size; vertical text in
a side margin of a horizontally set page is a margin note (arXiv and download
stamps, watermarks). All are marked (kept in `pages[].blocks` for provenance)
and left out of the text.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from corpusmill.parsers.text_layer import Block, Line, PageText, body_size

# Top/bottom band of the page where running headers and footers live; books
# set theirs as far as 0.14 down the page, where a repeated line must also
# carry its page number to count (a letterhead there is the letter's).
_EDGE = 0.1
_WIDE_EDGE = 0.15
# Page numbers sit further in: LaTeX puts them as high as 0.82 of an A4 page.
# Only a page's outermost block in this band can be one.
_NUMBER_EDGE = 0.25
# How many blocks from each edge are candidates.
_PER_EDGE = 2
# A candidate repeated on this share of pages (at least 2) is furniture;
# running heads alternate between left and right pages, so a third suffices.
_MIN_SHARE = 0.3
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:(?:page|p\.|seite|pag\.?)\s*)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:of|/|von|de)\s*\d{1,5})?[\W_]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")
Box = tuple[float, float, float, float]
# Roman page numbers at either end of a running head ("Report title vii").
_ROMAN_END = re.compile(r"^[ivxlcdm]+\b|\b[ivxlcdm]+$")
_SPACES = re.compile(r"\s+")
_ALNUM = re.compile(r"[\W_]+")
# An OCR line this long (letters and digits) or longer can be matched to text-layer furniture.
_MIN_MATCH_CHARS = 6

# Single-page rules. The top band reaches further in than the bottom one:
# running heads of journals sit up to ~14% down the page, footers below 92%.
_TOP_BAND = 0.14
_BOTTOM_BAND = 0.08
# Furniture-shaped text counts a little further in (stamps above a footer).
EDGE_STAMP_BAND = 0.12
# A header/footer is set apart from the body by at least this many of its line heights.
_MIN_GAP_LINES = 1.0
_MAX_LINES = 2
# Sizes this far apart (points) set a running head apart from the text next to it.
_SET_APART_SIZE = 1.0
_MAX_CHARS = 200
# OCR lines: a furniture line's neighbour this short and this close (share of its height) is of its block.
_MAX_STACK_CHARS = 40
_STACK_GAP = 0.2
# ...and a line reaching this share of its height past another's edge still lies beyond it.
_ROW_SLACK = 0.3
# An edge line of this many glyphs without a letter or digit is an ornament, not text.
_MIN_SYMBOLS = 3
# Side margins (share of the page width) where margin stamps live.
_SIDE_MARGIN = 0.1
_STAMP = re.compile(
    r"downloaded from|this content downloaded|all use subject to|all rights reserved|rights reserved|"
    r"this journal is|©|\(c\) ?\d{4}|copyright|\bpage \d+ (?:of|/) \d+|^\W*\d{1,4} ?/ ?\d{1,4}\W*$|"
    r"\bjournal\b[^.]{0,80}\b(?:19|20)\d\d\b|\bvol(?:\.|ume)? ?\d+|\bno\. ?\d+\b|\bdoi:|"
    r"^\W*(?:[^\W\d]{2,12}:\s*)?(?:https?://|www\.)\S+\W*$|"
    r"^\W*page\s*[|:.]?\s*\d{1,5}\b|\bpage\s*[|:.]?\s*\d{1,5}\W*$|^\W*\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d\d(?::\d\d)? ?(?:[AP]M)?\W*$|"
    r"\bverdate\b|\bjkt \d|\bfrm \d|\.qxd\b|\bpass pages\b|\bcat\. no\.|"
    # A form's number and revision: "Form W-4 (Rev. 12-2019)", "DCF-F-2476-E (R. 04/2014)", "Form 1040 (2010)".
    r"\((?:rev(?:ised)?|r)\.? ?\d{1,2}[/.-](?:\d{1,2}[/.-])?\d{2,4}\)|^\W*form [\w-]*\d[\w-]* \((?:19|20)\d\d\)\W*$",
    re.I,
)
# A folio beside the stamp on its line ("1 www.ck12.org", "Journal of X, vol. 3 | 12").
_FOLIO_ENDS = re.compile(r"^\s*\d{1,4}\s*[|·•–-]?\s+|\s+[|·•–-]?\s*\d{1,4}\s*$")
_FOLIO_END = re.compile(r"\s+[|·•–-]?\s*\d{1,4}\s*$")
# Not furniture however placed: a footnote (starts with its marker), a
# numbered heading or list item, a caption.
_NOT_FURNITURE = re.compile(
    r"^\s*(?:(?:\d{1,3}|[*†‡§¶]+\d*|\(\d{1,3}\)|\[\d{1,3}\])\s*[^\W\d]|(?:\d{1,3}|[*†‡§¶])\s|"
    r"\d+(?:\.\d+)*[.)]?\s|[A-Za-z]\d*[.)]\s|(?:table|figure|fig\.|chart|exhibit)\b)",
    re.I,
)
_WORDS = re.compile(r"[^\W\d_]{2,}")
# A sentence's end with its footnote's number after it ("... sans-serif bold.1"): body text, not a
# running head ("Section 2.1" has a digit before its point).
_NOTED_SENTENCE_END = re.compile(r"[^\W\d_][.:?!]\d{1,2}$")
# Letter-spaced words ("P a g e"), closed up before the stamp patterns look.
_LETTER_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")
# A folio at the start (two digits or more: "5 Results" is a numbered heading)
# or at the end of a line of words without a sentence's end.
_FOLIO_LINE = re.compile(
    r"^(?:\d{2,4}\s+(?P<head>[^\d\s].*?[^.!?:,;\s])|(?P<tail>\S.*?[^.!?:,;\s])\s+\d{1,4})$"
)
# A vertical margin stamp keeps this share of the page width clear beside it.
_SIDE_GAP = 0.02


class _Candidate(NamedTuple):
    block: Block
    key: str  # the text with digits (and Roman numerals at its ends) masked, for repetition
    edge: str  # "top" or "bottom"
    outermost: bool  # no other block between it and the page edge
    in_edge: bool  # within the _EDGE band, where running headers and footers live


def mark_furniture(pages: list[PageText]) -> None:
    """Set `kind` of running headers/footers and page numbers on all pages."""
    candidates = [_candidates(p) for p in pages]
    counts: Counter[str] = Counter()
    for cands in candidates:
        counts.update({c.key for c in cands if c.in_edge})
    threshold = max(2, _MIN_SHARE * len(pages))
    # Side-margin text repeated page after page (a printer's stamp, a
    # download line) is a margin note whatever its orientation.
    margins = [_side_blocks(p) for p in pages]
    side_counts = Counter(k for blocks in margins for k in {_key(b.text) for b in blocks})
    for blocks in margins:
        for b in blocks:
            if len(pages) >= 2 and side_counts[_key(b.text)] >= threshold:
                b.kind = "margin_note"
    for cands in candidates:
        for c in cands:
            # A lone number is a page number only as the page's outermost
            # block; one further in may be a table cell or a display label.
            if c.outermost and _PAGE_NUMBER.match(c.block.text.strip()):
                c.block.kind = "page_number"
            elif c.in_edge and len(pages) >= 2 and counts[c.key] >= threshold:
                c.block.kind = "page_header" if c.edge == "top" else "page_footer"
    # A repeated block level with a running header or footer is of its row, though it reaches a little
    # further in (a letter's footer of three columns, one of them a line taller).
    repeated = Counter(k for cands in candidates for k in {c.key for c in cands})
    for cands in candidates:
        running = [c for c in cands if c.block.kind in ("page_header", "page_footer")]
        for c in cands:
            if (not c.block.removed and len(pages) >= 2 and repeated[c.key] >= threshold
                    and any(r.edge == c.edge and _same_row(c.block, r.block) for r in running)):
                c.block.kind = "page_header" if c.edge == "top" else "page_footer"
    body = body_size(pages)
    for page in pages:
        _mark_single_page(page, body)
        _mark_inner_page_number(page)


def _mark_inner_page_number(page: PageText) -> None:
    """A lone number that is the outermost block once the furniture beyond it is set aside."""
    kept = [b for b in page.blocks if not b.removed]
    if len(kept) < 2:
        return  # no body to tell the folio from
    for edge, blocks in (("top", [b for b in kept if b.bbox[3] <= page.height * _NUMBER_EDGE]),
                         ("bottom", [b for b in kept if b.bbox[1] >= page.height * (1 - _NUMBER_EDGE)])):
        for b in blocks:
            if _PAGE_NUMBER.match(b.text.strip()) and _outermost_row(b, kept, edge):
                b.kind = "page_number"


def is_stamp(text: str) -> bool:
    """Text shaped like furniture: a download/copyright stamp, journal line, slug, bare URL or date."""
    return bool(_STAMP.search(_LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)))


def _stamp_block(b: Block, text: str, body: float) -> bool:
    """A stamp, alone or with its page number beside it ("1 www.ck12.org", "Journal of X 12").

    A number before the stamp is a folio only in a line set no smaller than
    the body: a footnote ("3 http://example.org") is set smaller.
    """
    if is_stamp(text):
        return True
    folio = _FOLIO_ENDS if b.lines[0].size >= body - 0.5 else _FOLIO_END
    stripped = folio.sub("", text)
    return stripped != text and is_stamp(stripped)


def is_folio_line(text: str, top: bool = True) -> bool:
    """A running head with its page number: "102 CHAPTER 2. INDUCTION", "2.2. EXAMPLES 105".

    At the bottom (`top` false) only with the number last: a line there
    starting with a number is a footnote.
    """
    m = _FOLIO_LINE.match(text.strip())
    if not m or m.group("head") and not top:
        return False
    return len(_WORDS.findall(m.group("head") or m.group("tail"))) >= 2


def is_edge_furniture(text: str, top: bool = True) -> bool:
    """A line at a page edge that is furniture by its text alone: a stamp, a page number, a running
    head with its folio (OCR pages)."""
    return is_stamp(text) or bool(_PAGE_NUMBER.match(text.strip())) or is_folio_line(text, top)


def same_furniture(ocr_text: str, furniture_text: str) -> bool:
    """An OCR line reading as a furniture block of the text layer (OCR may split or misread a little)."""
    a, b = _ALNUM.sub("", ocr_text.lower()), _ALNUM.sub("", furniture_text.lower())
    return len(a) >= _MIN_MATCH_CHARS and a in b


def outermost_line(i: int, boxes: list[Box], furniture: set[int], top: bool) -> bool:
    """No line but furniture lies between line `i` and its page edge, overlapping it sideways (OCR lines:
    a layout model's header region reaching over a subtitle or a column's first lines keeps those)."""
    x0, y0, x1, y1 = boxes[i]
    return not any(j != i and j not in furniture and b[0] < x1 and b[2] > x0
                   and (b[3] <= y0 + _ROW_SLACK * (y1 - y0) if top else b[1] >= y1 - _ROW_SLACK * (y1 - y0))
                   for j, b in enumerate(boxes))


def in_side_margin(box: Box, width: float) -> bool:
    """Wholly inside the left or right margin band of the page."""
    return box[2] <= width * _SIDE_MARGIN or box[0] >= width * (1 - _SIDE_MARGIN)


def stacked_furniture(boxes: list[Box], texts: list[str], removed: set[int], height: float) -> set[int]:
    """Short edge-band lines stacked on furniture with no space between, as the lines of one footer
    block are ("August 1978" over "Volume 21" over "Number 8"): furniture too (OCR lines, one a line)."""
    out = set(removed)
    grew = True
    while grew:
        grew = False
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            if i in out or len(texts[i]) > _MAX_STACK_CHARS or not (
                    y1 <= EDGE_STAMP_BAND * height or y0 >= (1 - EDGE_STAMP_BAND) * height):
                continue
            h = y1 - y0
            for j in out:
                b = boxes[j]
                gap = max(b[1] - y1, y0 - b[3])
                if b[0] < x1 and b[2] > x0 and gap <= _STACK_GAP * h:
                    out.add(i)
                    grew = True
                    break
    return out - removed


def _mark_single_page(page: PageText, body: float) -> None:
    """Furniture a single page shows by itself: edge lines set apart, stamps, margin notes."""
    kept = [b for b in page.blocks if not b.removed]
    if len(kept) < 2:
        return  # a page of one block has no body to set furniture apart from
    h, w = page.height, page.width
    for b in kept:
        x0, y0, x1, y1 = b.bbox
        text = b.text.strip()
        in_margin = in_side_margin(b.bbox, w)
        if in_margin and _vertical(b) and _horizontal_page(kept) and _alone_beside(b, kept, w):
            b.kind = "margin_note"
            continue
        if in_margin and all(_PAGE_NUMBER.match(line.text.strip()) for line in b.lines) \
                and _alone_beside(b, kept, w):
            b.kind = "page_number"  # a folio in the outer margin, level with the body
            continue
        if len(b.lines) > _MAX_LINES or len(text) > _MAX_CHARS:
            continue
        edge = "top" if y1 <= h / 2 else "bottom"
        stamp_band = y1 <= h * EDGE_STAMP_BAND or y0 >= h * (1 - EDGE_STAMP_BAND)
        edge_band = y1 <= h * _TOP_BAND or y0 >= h * (1 - _BOTTOM_BAND)
        if stamp_band and _stamp_block(b, text, body) and _outermost_row(b, kept, edge):
            b.kind = "page_header" if edge == "top" else "page_footer"
        elif edge_band and _plain_edge_line(b, text, body) and _set_apart(b, kept, edge, body, h):
            b.kind = "page_header" if edge == "top" else "page_footer"
        elif edge_band and _folio_edge_line(b, body, edge) and _set_apart(b, kept, edge, body, h, relaxed=True):
            b.kind = "page_header" if edge == "top" else "page_footer"
        elif stamp_band and b.kind == "paragraph" and _symbols_only(text) and _outermost_row(b, kept, edge):
            b.kind = "page_header" if edge == "top" else "page_footer"  # a rule, ornament or barcode set in a font
    # A stamp with furniture beyond it (a DOI line above a download stamp) is the outermost once that is set aside.
    rest = [b for b in kept if not b.removed]
    if len(rest) < len(kept):
        for b in rest:
            y0, y1 = b.bbox[1], b.bbox[3]
            edge = "top" if y1 <= h / 2 else "bottom"
            if (y1 <= h * EDGE_STAMP_BAND or y0 >= h * (1 - EDGE_STAMP_BAND)) and len(b.lines) <= _MAX_LINES \
                    and _stamp_block(b, b.text.strip(), body) \
                    and _outermost_row(b, rest, edge):
                b.kind = "page_header" if edge == "top" else "page_footer"


def _symbols_only(text: str) -> bool:
    """A run of glyphs with no letter or digit ("❙❚❘❙❚❘", "* * *", "———"): no words to keep."""
    glyphs = text.replace(" ", "")
    return len(glyphs) >= _MIN_SYMBOLS and not any(c.isalnum() for c in glyphs)


def _folio_edge_line(b: Block, body: float, edge: str) -> bool:
    """A running head or foot carrying its page number beside its words, alone, or first over a second
    line (a source or title line: "206  Law Enforcement, Courts, and Prisons" / "U.S. Census Bureau, ...").

    No line bold or ending a sentence. At the top no larger than the body (a
    numbered heading may sit there); at the bottom, where no heading ends a page,
    any size, and the number may come first where the line is set no smaller
    than the body (a footnote, set smaller, starts with its number).
    """
    if any(line.bold or line.text.rstrip().endswith((".", "?", "!", ":")) for line in b.lines):
        return False
    if len(b.lines) > 1 and not _folio_first(b):
        return False  # two lines ending in page numbers are a table of contents
    if edge == "top":
        return all(line.size <= body + 0.5 for line in b.lines) and any(is_folio_line(line.text) for line in b.lines)
    return any(is_folio_line(line.text, line.size >= body - 0.5) for line in b.lines)


def _side_blocks(page: PageText) -> list[Block]:
    """Blocks of two words or more wholly inside a side margin."""
    w = page.width
    return [b for b in page.blocks
            if in_side_margin(b.bbox, w) and len(_WORDS.findall(b.text)) >= 2]


def _plain_edge_line(b: Block, text: str, body: float) -> bool:
    """Shaped like a running head: one plain line of words, no heading, caption, footnote or sentence."""
    line = b.lines[0]
    return (
        len(b.lines) == 1
        and not line.bold
        and not line.mono
        and line.size <= body + 0.5
        and len(_WORDS.findall(text)) >= 2
        and sum(c.isalpha() or c.isspace() for c in text) >= 0.6 * len(text)
        and not _NOT_FURNITURE.match(text)
        and not text.endswith((".", ":", "?", "!", ","))
        and not _NOTED_SENTENCE_END.search(text)
    )


def _alone_beside(b: Block, blocks: list[Block], width: float) -> bool:
    """No block level with `b` comes within _SIDE_GAP of it (a rotated table label sits by its table)."""
    gap = _SIDE_GAP * width
    for o in blocks:
        if o is b or o.bbox[3] <= b.bbox[1] or o.bbox[1] >= b.bbox[3] or _vertical(o) and _vertical(b):
            continue  # two stamps stacked in one margin leave each other alone
        if o.bbox[0] < b.bbox[2] + gap and o.bbox[2] > b.bbox[0] - gap:
            return False
    return True


def _outermost_row(b: Block, blocks: list[Block], edge: str) -> bool:
    """No block lies between `b` and the page edge (blocks beside it count as level)."""
    if edge == "top":
        return not any(o is not b and o.bbox[3] <= b.bbox[1] + 1 and not _same_row(o, b) for o in blocks)
    return not any(o is not b and o.bbox[1] >= b.bbox[3] - 1 and not _same_row(o, b) for o in blocks)


def _set_apart(b: Block, blocks: list[Block], edge: str, body: float, page_height: float,
               relaxed: bool = False) -> bool:
    """The outermost row at its edge, set apart from the next block inwards.

    Smaller than the body, or `relaxed` (its words already look like a running
    head), a line's height of space suffices; `relaxed` with its folio first
    ("206  Law Enforcement", a shape no contents line has), no space where its
    size differs from the next block's; at body size the gap must be
    twice that and twice the next block's own line spacing (a double-spaced
    body line at the top of a page is not set apart).
    """
    if not _outermost_row(b, blocks, edge):
        return False
    line_h = max(1.0, b.bbox[3] - b.bbox[1])
    if edge == "top":
        inner = [o for o in blocks if o.bbox[1] >= b.bbox[3] - 1 and not _same_row(o, b)]
    else:
        inner = [o for o in blocks if o.bbox[3] <= b.bbox[1] + 1 and not _same_row(o, b)]
    # Within the outer band, the text under (or over) it, where there is some: a
    # head set to one side is apart from a heading beside its column, however
    # close that is. Further in (a figure's labels over its picture) any text counts.
    if (b.bbox[3] if edge == "top" else page_height - b.bbox[1]) <= _EDGE * page_height:
        inner = [o for o in inner if o.bbox[0] < b.bbox[2] and o.bbox[2] > b.bbox[0]] or inner
    if edge == "top":
        nearest = min(inner, key=lambda o: o.bbox[1], default=None)
        gap = nearest.bbox[1] - b.bbox[3] if nearest else float("inf")
    else:
        nearest = max(inner, key=lambda o: o.bbox[3], default=None)
        gap = b.bbox[1] - nearest.bbox[3] if nearest else float("inf")
    if relaxed and nearest is not None and _folio_first(b) and _sizes_differ(b, nearest, edge):
        # Set apart by its type where the page leaves it no room (glyph boxes may touch).
        return _line_gap(b, nearest, edge) >= -1.0
    if relaxed or b.lines[0].size <= body - 0.5:
        return gap >= _MIN_GAP_LINES * line_h
    spacing = _line_spacing(nearest) if nearest else 0.0
    return gap >= 2 * _MIN_GAP_LINES * line_h and gap >= 2 * spacing


def _folio_first(b: Block) -> bool:
    """A line of the block starts with a page number of two digits or more before its words."""
    return any((m := _FOLIO_LINE.match(line.text.strip())) and m.group("head") for line in b.lines)


def _facing(block: Block, top: bool) -> Line:
    """The block's first line (`top`) or its last."""
    return (min if top else max)(block.lines, key=lambda line: line.bbox[1])


def _sizes_differ(b: Block, inner: Block, edge: str) -> bool:
    """The lines of `b` and of the block inwards from it that face each other differ in size."""
    return abs(_facing(b, edge == "bottom").size - _facing(inner, edge == "top").size) >= _SET_APART_SIZE


def _line_gap(b: Block, inner: Block, edge: str) -> float:
    """Space between the facing lines of `b` and the block inwards (a table's box reaches past its text)."""
    if edge == "top":
        return _facing(inner, True).bbox[1] - _facing(b, False).bbox[3]
    return _facing(b, True).bbox[1] - _facing(inner, False).bbox[3]


def _line_spacing(b: Block) -> float:
    """The largest gap between successive lines of a block (0 for one line)."""
    ys = sorted((line.bbox[1], line.bbox[3]) for line in b.lines)
    return max((n[0] - p[1] for p, n in zip(ys, ys[1:])), default=0.0)


def _vertical(b: Block) -> bool:
    x0, y0, x1, y1 = b.bbox
    return y1 - y0 > 3 * (x1 - x0) and b.chars >= 4


def _horizontal_page(blocks: list[Block]) -> bool:
    """Most text runs left to right (a page printed rotated is not margin-noted away)."""
    vertical = sum(b.chars for b in blocks if _vertical(b))
    return vertical < 0.2 * sum(b.chars for b in blocks)


def _size(b: Block) -> float:
    weight: Counter[float] = Counter()
    for line in b.lines:
        weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0]


def _candidates(page: PageText) -> list[_Candidate]:
    """The blocks nearest each edge, within the page-number band."""
    top = page.height * _NUMBER_EDGE
    bottom = page.height * (1 - _NUMBER_EDGE)
    upper = sorted((b for b in page.blocks if b.bbox[3] <= top), key=lambda b: b.bbox[1])
    lower = sorted((b for b in page.blocks if b.bbox[1] >= bottom), key=lambda b: -b.bbox[3])
    out = [_Candidate(b, _key(b.text), "top", _outermost(b, upper), _in_edge(b, b.bbox[3] / page.height))
           for b in _nearest(upper)]
    out += [_Candidate(b, _key(b.text), "bottom", _outermost(b, lower), _in_edge(b, 1 - b.bbox[1] / page.height))
            for b in _nearest(lower)]
    return out


def _nearest(edge_blocks: list[Block]) -> list[Block]:
    """The _PER_EDGE blocks nearest the edge, and those level with them (a footer set in columns)."""
    picked = edge_blocks[:_PER_EDGE]
    return picked + [b for b in edge_blocks[_PER_EDGE:] if any(_same_row(b, p) for p in picked)]


def _in_edge(b: Block, depth: float) -> bool:
    """Within the running-head band, `depth` being how far in from its edge it reaches (share of the height)."""
    return depth <= _EDGE or depth <= _WIDE_EDGE and is_folio_line(b.text)


def _outermost(block: Block, edge_blocks: list[Block]) -> bool:
    """No other block lies between this one and the page edge (side by side counts as level)."""
    first = edge_blocks[0]
    return block is first or _same_row(block, first)


def _same_row(a: Block, b: Block) -> bool:
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    return overlap > 0.5 * min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])


def _key(text: str) -> str:
    key = _SPACES.sub(" ", _DIGITS.sub("#", text.lower())).strip()
    return _ROMAN_END.sub("#", key)
