"""Read a PDF page's text layer into blocks of lines, with fonts and boxes.

PyMuPDF (MuPDF, AGPL-3.0) gives text as blocks -> lines -> spans with font,
size and flags. We keep what later steps need: per line its text, box,
dominant font size, and whether it is bold, monospaced or set in a math font;
per block its lines. Ligatures are expanded (the corpus wants "fi", not
U+FB01) and MuPDF joins words hyphenated at line ends inside a block.
TeX's separate accent glyphs are composed with their letter, and a subscript
stacked under a superscript is put back into its formula.
"""
from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import pymupdf

from corpusmill.parsers import glyph_shapes, hidden_text, ligatures
from corpusmill.parsers.page_model import FURNITURE, BlockType
from corpusmill.parsers.math_latex import MATH_FONT

# Expand ligatures (no TEXT_PRESERVE_LIGATURES), keep unmapped glyphs as
# U+FFFD (the router counts them), join end-of-line hyphenation, and ignore
# text outside the page (print marks, clipped-away text).
TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_WHITESPACE
    | pymupdf.TEXT_MEDIABOX_CLIP
    | pymupdf.TEXT_DEHYPHENATE
)

_BOLD_FLAG = 16
# A span at most this share of its line's main size is a sub- or superscript ...
_SCRIPT_SIZE = 0.85
# ... and text whose baseline is within this share of it from the line's is on that line.
_SAME_BASELINE = 0.1
# How an ion's charge ends ("+", "2-", "3–").
_CHARGE_SIGNS = ("+", "-", "\u2212", "\u2013")
# A horizontal gap wider than this share of the font size separates words.
_WORD_GAP = 0.25
_MONO_FLAG = 8
_MONO_FONT = re.compile(r"mono|courier|inconsolata|cmtt|lmtt|typewriter|consol|menlo|txtt|beramono", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|\bbx|-bx|cmbx|lmbx|\.b$|tb$", re.I)
# Symbol fonts without a Unicode map (the non-embedded standard ZapfDingbats
# that R and old PostScript drivers use for plot marks and bullets, Wingdings
# in office exports): MuPDF reports their glyphs as ASCII letters or private-use
# code points, which would read as words ("G GG GGG"). Which symbol it was is
# not recoverable from the text layer, so each becomes a bullet. An embedded dingbat subset without
# an encoding (pifont's \ding) has its glyph names ("a19") read as control codes (U+0013).
_DINGBAT_FONT = re.compile(r"dingbat|wingding|webding", re.I)
_DINGBAT_UNMAPPED = re.compile(r"[\x01-\x1fA-Za-z0-9\ue000-\uf8ff]")
# A symbolic TrueType font (Word's SymbolMT) whose glyphs MuPDF can only map to
# U+F0xx, the font's own code plus 0xF000: its codes are the Adobe Symbol
# encoding, so U+F061 is alpha. Bracket pieces and the like stay unmapped.
_SYMBOL_FONT = re.compile(r"symbol", re.I)
_SYMBOL_CODES = dict(zip(
    range(0xF020, 0xF100),
    " !∀#∃%&∋()∗+,−./0123456789:;<=>?≅ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ[∴]⊥_‾αβχδεφγηιϕκλμνοπθρστυϖωξψζ{|}∼"
    "\x7f" + "\x00" * 32 + "€ϒ′≤⁄∞ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈…⏐⎯↵ℵℑℜ℘⊗⊕∅∩∪⊃⊇⊄⊂⊆∈∉∠∇®©™∏√⋅¬∧∨⇔⇐⇑⇒⇓◊〈®©™∑"
    + "\x00" * 11 + "〉∫" + "\x00" * 13,
))
_SYMBOL_PUA = re.compile("[\uf020-\uf0ff]")
# The rupee fonts made before Unicode had U+20B9 (Foradian's "Rupee Foradian", 2010, still in Indian
# government and bank reports) draw the rupee sign at the grave accent's code and map it there.
_RUPEE_FONT = re.compile(r"rupee", re.I)

# TeX (OT1/T1 without precomposed glyphs) draws an accent as its own spacing
# glyph before the letter: "priv´e", "´etude", "ˇcesky". Map each spacing accent
# to its combining mark so NFC can compose "é"; the grave accent doubles as the
# ASCII backtick, so it only counts between letters.
_SPACING_ACCENTS = {
    "\u00b4": "\u0301", "\u00a8": "\u0308", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u02c7": "\u030c",
    "\u02d8": "\u0306", "\u02d9": "\u0307", "\u02da": "\u030a", "\u02dd": "\u030b", "\u00af": "\u0304",
}
_ACCENTED = re.compile(r"([\u00b4\u00a8\u02c6\u02dc\u02c7\u02d8\u02d9\u02da\u02dd\u00af]|(?<=[^\W\d_])`)([^\W\d_])")


@dataclass(slots=True)
class Line:
    text: str
    bbox: tuple[float, float, float, float]
    size: float
    bold: bool
    mono: bool
    math_chars: int


@dataclass(slots=True)
class Block:
    lines: list[Line]
    bbox: tuple[float, float, float, float]
    # Furniture kinds (page_model.FURNITURE) are left out of the text.
    kind: BlockType = BlockType.PARAGRAPH
    level: int = 0
    markdown: str | None = None  # pre-rendered content (tables)

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @property
    def chars(self) -> int:
        return sum(len(line.text) for line in self.lines)

    @property
    def removed(self) -> bool:
        return self.kind in FURNITURE


@dataclass(slots=True)
class PageText:
    number: int  # 1-based
    width: float
    height: float
    blocks: list[Block] = field(default_factory=list)
    image_coverage: float = 0.0  # fraction of the page its raster images cover together
    hidden_chars: int = 0  # characters left out because the page paints over them (hidden_text)

    @property
    def chars(self) -> int:
        return sum(b.chars for b in self.blocks)

    @property
    def raw_text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


# MuPDF's text page of each Page object with TEXT_FLAGS: building it is most of
# the cost of a get_text call, and a page is read more than once (its blocks,
# then its unmerged lines, its line directions). `read_page` makes it afresh (a
# page drawn on since is read as it is now); the readers after it reuse it. Weak
# keys: a text page lives as long as its Page (it refers back to it weakly).
_TEXT_PAGES: weakref.WeakKeyDictionary[pymupdf.Page, pymupdf.TextPage] = weakref.WeakKeyDictionary()


def text_page(page: pymupdf.Page) -> pymupdf.TextPage:
    """The page's text page with TEXT_FLAGS as `read_page` last made it (made now if it did not), for
    `page.get_text(..., textpage=text_page(page))`."""
    tp = _TEXT_PAGES.get(page)
    if tp is None:
        tp = _TEXT_PAGES[page] = page.get_textpage(flags=TEXT_FLAGS)
    return tp


def body_size(pages: list[PageText]) -> float:
    """The font size most characters of the running text are set in, furniture left out (0 for no text).

    Table cells, often set smaller, count only where there is nothing else:
    a report of a few sentences between big tables has its body in the sentences.
    """
    sizes: dict[float, int] = {}
    cells: dict[float, int] = {}
    for page in pages:
        for b in page.blocks:
            if not b.removed:
                for line in b.lines:
                    counts = cells if b.kind == "table" else sizes
                    counts[line.size] = counts.get(line.size, 0) + len(line.text)
    sizes = sizes or cells
    # Ties go to the smaller size, whatever the order the pages came in.
    return max(sorted(sizes), key=sizes.__getitem__) if sizes else 0.0


def read_page(page: pymupdf.Page) -> PageText:
    """The page's text blocks in content-stream order, same-baseline lines merged."""
    rect = unrotated_rect(page)
    out = PageText(number=page.number + 1, width=rect.width, height=rect.height)
    tp = _TEXT_PAGES[page] = page.get_textpage(flags=TEXT_FLAGS)
    text = _page_text(page, tp)
    for raw_lines in _attach_stacked_scripts([b["lines"] for b in text.data["blocks"] if b.get("type") == 0]):
        lines = _merge_baselines([_line(raw_line) for raw_line in raw_lines])
        lines = [line for line in lines if line.text.strip()]
        if lines:
            out.blocks.append(Block(lines=lines, bbox=_union(line.bbox for line in lines)))
    out.image_coverage = _image_coverage(page)
    out.hidden_chars = text.hidden
    return out


def unmerged_lines(page: pymupdf.Page) -> list[Line]:
    """MuPDF's own lines, not merged by baseline: in a table each cell is one (a script stacked under
    another is put back in its line all the same)."""
    data = _page_text(page, text_page(page)).data
    blocks = _attach_stacked_scripts([b["lines"] for b in data["blocks"] if b.get("type") == 0])
    lines = [_line(raw) for raw_lines in blocks for raw in raw_lines]
    return [line for line in lines if line.text]


def page_dict(page: pymupdf.Page) -> dict:
    """The page's "dict" text (a rawdict where a repair needed the glyphs) as `read_page` read it."""
    return _page_text(page, text_page(page)).data


def page_raw(page: pymupdf.Page) -> dict:
    """The page's rawdict (glyphs with their boxes), repaired as `read_page` reads it: what formulas
    are read from. Read from the same text page, once."""
    tp = text_page(page)
    text = _page_text(page, tp)
    if text.raw is None:
        text.raw = _with_text(page.get_text("rawdict", textpage=tp))
    return text.raw


@dataclass(slots=True)
class _Read:
    data: dict  # the page's "dict" text, or its rawdict where a repair needed the glyphs
    raw: dict | None  # its rawdict (`data` itself when that is one), read when first wanted
    hidden: int  # characters left out as painted over


# What the readers of a text page start from, made once per text page (weak keys, as _TEXT_PAGES).
# Readers take it as it is: nothing edits it.
_READS: weakref.WeakKeyDictionary[pymupdf.TextPage, _Read] = weakref.WeakKeyDictionary()


def _page_text(page: pymupdf.Page, tp: pymupdf.TextPage) -> _Read:
    """The page's text as every reader of the text layer starts from it.

    MuPDF's "dict" text, unless the page needs a repair that works on glyphs:
    then its rawdict (its spans given their "text"), read once and repaired in
    this order: characters the page paints over left out (`hidden_text`),
    glyphs whose font's map lies read by their shapes (`glyph_shapes`),
    right-to-left ligatures put back in order, Latin ligatures whose map
    gives only their last letter spelled out (`ligatures`). Each works on the
    glyphs the one before left, so none undoes another.
    """
    read = _READS.get(tp)
    if read is not None:
        return read
    data = page.get_text("dict", textpage=tp)
    hidden = hidden_text.hidden_chars(page, tp)
    fixes = glyph_shapes.find_fixes(page, data)
    rtl = any(ligatures.RTL.search(span["text"]) for b in data["blocks"] if b.get("type") == 0
              for line in b["lines"] for span in line["spans"])
    cid = ligatures.has_cid_fonts(page.get_fonts())
    dropped = 0
    raw = None
    if hidden or fixes or rtl or cid:
        data = raw = _with_text(page.get_text("rawdict", textpage=tp))
        if hidden:
            dropped = hidden_text.drop_hidden(data, hidden)
        if fixes:
            fixes.apply(data)
        if rtl:
            ligatures.order_rtl(data)
        if cid:
            ligatures.split_ligatures(data)
    read = _READS[tp] = _Read(data, raw, dropped)
    return read


def _with_text(raw: dict) -> dict:
    """A rawdict whose spans carry their "text" too, as a "dict" has it."""
    for b in raw["blocks"]:
        for line in b.get("lines", ()):
            for span in line["spans"]:
                span["text"] = "".join(c["c"] for c in span["chars"])
    return raw


def page_words(page: pymupdf.Page, flags: int) -> list[tuple]:
    """`page.get_text("words", flags=flags)` with right-to-left ligatures in order, as `read_page` has them.

    A line's words are rebuilt from its characters only where the line has
    right-to-left letters and splits into as many words as MuPDF's.
    """
    # One text page for the words and the characters (the page's own one for TEXT_FLAGS).
    tp = text_page(page) if flags == TEXT_FLAGS else page.get_textpage(flags=flags)
    words = page.get_text("words", textpage=tp)
    if not any(ligatures.RTL.search(w[4]) for w in words):
        return words
    blocks = page.get_text("rawdict", textpage=tp)["blocks"]
    by_line: dict[tuple[int, int], list[int]] = {}
    for i, w in enumerate(words):
        by_line.setdefault((w[5], w[6]), []).append(i)
    for (b, ln), indices in by_line.items():
        if not any(ligatures.RTL.search(words[i][4]) for i in indices) or b >= len(blocks):
            continue
        lines = blocks[b].get("lines", [])
        if ln >= len(lines):
            continue
        chars = [c for span in lines[ln]["spans"] for c in ligatures.rtl_ordered(span["chars"])]
        texts = "".join(c["c"] for c in chars).split()
        if len(texts) == len(indices) and all(len(t) == len(words[i][4]) for t, i in zip(texts, indices)):
            for t, i in zip(texts, indices):
                words[i] = (*words[i][:4], t, *words[i][5:])
    return words


def _attach_stacked_scripts(blocks: list[list[dict]]) -> list[list[dict]]:
    """Put a subscript set under a superscript back into its line ("CrO4^2-", "NH4^+ Na^+").

    MuPDF starts a new line (often a new block) when the pen moves back left,
    so a subscript stacked under a superscript becomes a line of its own after
    the formula, with the rest of the visual line, if any, after it. A line
    starting with a short script-size run inside the previous line's box, and
    going on (if at all) on that line's baseline to its right, is joined to it:
    the script after the span it follows, the rest at the end; a space glyph
    the script overlaps is no word gap. The lines given are not changed.
    """
    out: list[list[dict]] = []
    prev: tuple[list[dict], int] | None = None  # where the last line kept is
    for raw_lines in blocks:
        kept: list[dict] = []
        out.append(kept)
        for raw in raw_lines:
            if prev is not None:
                lines, i = prev
                joined = _with_stacked(lines[i], raw)
                if joined is not None:
                    lines[i] = joined
                    continue
            kept.append(raw)
            prev = (kept, len(kept) - 1)
    return [kept for kept in out if kept]


def _with_stacked(prev: dict, raw: dict) -> dict | None:
    """`prev` with `raw` joined to it when `raw` starts with a script stacked in it, else None."""
    if not prev["spans"] or not raw["spans"]:
        return None
    main = max(prev["spans"], key=lambda s: s["size"])
    head = 0
    while head < len(raw["spans"]) and raw["spans"][head]["size"] <= _SCRIPT_SIZE * main["size"]:
        head += 1
    script, rest = raw["spans"][:head], raw["spans"][head:]
    text = "".join(s["text"] for s in script).strip()
    if not text or len(text) > 3:
        return None
    px0, py0, px1, py1 = prev["bbox"]
    x0, y0, x1, y1 = _union(s["bbox"] for s in script)
    if not (px0 < x0 < px1 - 0.5 and py0 <= (y0 + y1) / 2 <= py1):
        return None
    going_on = [s for s in rest if s["text"].strip()]
    if going_on:
        # Text going on after the script: only an ion's count under its charge ("NH4^+ Na^+") is
        # joined; a row of a small matrix or a stacked fraction in running text are left as they are.
        above = "".join(s["text"] for s in prev["spans"] if s["bbox"][0] < x1 and s["bbox"][2] > x0).strip()
        if (" " in text or not above.endswith(_CHARGE_SIGNS) or going_on[0]["bbox"][0] < px1 - 0.5
                or abs(going_on[0]["origin"][1] - main["origin"][1]) > _SAME_BASELINE * main["size"]):
            return None
    spans = [s for s in prev["spans"] if s["text"].strip() or not (s["bbox"][0] < x1 and s["bbox"][2] > x0)]
    at = sum(1 for s in spans if s["bbox"][2] <= x0 + 0.5)
    return {**prev, "spans": spans[:at] + script + spans[at:] + rest, "bbox": _union((prev["bbox"], raw["bbox"]))}


def _symbol_char(m: re.Match[str]) -> str:
    """The Unicode character of a Symbol-encoded private-use code point (kept when it has none)."""
    c = _SYMBOL_CODES.get(ord(m.group(0)), "\x00")
    return m.group(0) if c in "\x00\x7f" else c


class _Font(NamedTuple):
    """What a font name says about its glyphs."""

    dingbat: bool
    symbol: bool
    bold: bool
    mono: bool
    math: bool
    rupee: bool


@lru_cache(maxsize=4096)
def _font(name: str) -> _Font:
    # A page has a handful of fonts and thousands of spans: the patterns run once per font.
    return _Font(
        dingbat=bool(_DINGBAT_FONT.search(name)),
        symbol=bool(_SYMBOL_FONT.search(name)),
        bold=bool(_BOLD_FONT.search(name)),
        mono=bool(_MONO_FONT.search(name)),
        math=bool(MATH_FONT.search(name)),
        rupee=bool(_RUPEE_FONT.search(name)),
    )


def _line(raw: dict) -> Line:
    parts: list[str] = []
    weight: dict[float, int] = {}
    bold = mono = 0
    math = 0
    total = 0
    prev_x1: float | None = None
    for span in raw["spans"]:
        text = span["text"]
        if not text:
            continue
        font = _font(span["font"])
        if font.dingbat:
            text = _DINGBAT_UNMAPPED.sub("\u2022", text)
        elif font.symbol:
            text = _SYMBOL_PUA.sub(_symbol_char, text)
        elif font.rupee:
            text = text.replace("`", "\u20b9")
        # Spans set apart without a space character (margin line numbers,
        # math) are still separate words.
        x0 = span["bbox"][0]
        if (prev_x1 is not None and parts and not parts[-1].endswith(" ") and not text.startswith(" ")
                and (x0 - prev_x1 > _WORD_GAP * span["size"] or _is_marker(raw["spans"], parts, span))):
            parts.append(" ")
        prev_x1 = span["bbox"][2]
        parts.append(text)
        n = len(text.strip())
        total += n
        size = round(span["size"] * 2) / 2
        weight[size] = weight.get(size, 0) + n
        if font.bold or span["flags"] & _BOLD_FLAG:
            bold += n
        if font.mono or span["flags"] & _MONO_FLAG:
            mono += n
        if font.math or span.get(glyph_shapes.SYMBOLIC):
            math += n
    text = _compose_accents("".join(parts))
    size = max(weight, key=weight.__getitem__) if weight else 0.0
    return Line(
        text=text.strip(),
        bbox=tuple(raw["bbox"]),
        size=size,
        bold=total > 0 and bold >= 0.8 * total,
        mono=total > 0 and mono >= 0.8 * total,
        math_chars=math,
    )


def _compose_accents(text: str) -> str:
    """"priv´e" -> "privé": a spacing accent glyph followed by its base letter."""
    if not _ACCENTED.search(text):
        return text

    def compose(m: re.Match) -> str:
        accent, base = m.group(1), m.group(2)
        mark = _SPACING_ACCENTS.get(accent, "\u0300")
        # TeX accents dotless i/j (\'\i); the composed form uses the plain letter.
        base = {"\u0131": "i", "\u0237": "j"}.get(base, base)
        return unicodedata.normalize("NFC", base + mark)

    return _ACCENTED.sub(compose, text)


def _is_marker(spans: list[dict], parts: list[str], span: dict) -> bool:
    """A line-initial footnote or margin-note number set small ("¹Text" -> "1 Text")."""
    first = spans[0]
    return (
        len(parts) == 1
        and parts[0].strip().isdigit()
        and first["size"] < _SCRIPT_SIZE * span["size"]
        and span["text"][:1].isalpha()
    )


def _merge_baselines(lines: list[Line]) -> list[Line]:
    """Join lines MuPDF split on one visual line (a section number and its title)."""
    merged: list[Line] = []
    for line in lines:
        if merged:
            prev = merged[-1]
            py0, py1 = prev.bbox[1], prev.bbox[3]
            y0, y1 = line.bbox[1], line.bbox[3]
            overlap = min(py1, y1) - max(py0, y0)
            height = min(py1 - py0, y1 - y0)
            if height > 0 and overlap > 0.6 * height and line.bbox[0] >= prev.bbox[2] - 1:
                n_prev, n = len(prev.text), len(line.text)
                merged[-1] = Line(
                    text=f"{prev.text} {line.text}",
                    bbox=_union((prev.bbox, line.bbox)),
                    size=prev.size if n_prev >= n else line.size,
                    bold=prev.bold and line.bold,
                    mono=prev.mono and line.mono,
                    math_chars=prev.math_chars + line.math_chars,
                )
                continue
        merged.append(line)
    return merged


def _union(boxes) -> tuple[float, float, float, float]:
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    for b in boxes:
        x0, y0 = min(x0, b[0]), min(y0, b[1])
        x1, y1 = max(x1, b[2]), max(y1, b[3])
    return (x0, y0, x1, y1)


def unrotated_rect(page: pymupdf.Page) -> pymupdf.Rect:
    """The page's box in the coordinates MuPDF gives text and images in: before its /Rotate.

    A page stored landscape and shown turned a quarter (`page.rect` is then
    portrait) has its text boxes in the landscape system; edge bands and
    margins must be measured there.
    """
    return page.rect * page.derotation_matrix


def _image_coverage(page: pymupdf.Page) -> float:
    page_rect = unrotated_rect(page)
    area = page_rect.width * page_rect.height
    if area <= 0:
        return 0.0
    boxes = [r for r in (pymupdf.Rect(info["bbox"]) & page_rect for info in page.get_image_info()) if not r.is_empty]
    return min(1.0, union_area(boxes) / area)


# Above this many pictures (a page tiled with icons) the union is not worth its
# cost; the largest picture stands for them.
_MAX_UNION_BOXES = 64


def union_area(boxes: list[pymupdf.Rect]) -> float:
    """Area covered by the boxes together (a picture cut into strips covers what the strips cover)."""
    if not boxes:
        return 0.0
    if len(boxes) > _MAX_UNION_BOXES:
        return max(r.width * r.height for r in boxes)
    xs = sorted({v for r in boxes for v in (r.x0, r.x1)})
    total = 0.0
    for a, b in zip(xs, xs[1:]):
        spans = sorted((r.y0, r.y1) for r in boxes if r.x0 <= a and r.x1 >= b)
        reach = float("-inf")
        for y0, y1 in spans:
            if y1 > reach:
                total += (b - a) * (y1 - max(y0, reach))
                reach = y1
    return total
