"""Read a PDF page's text layer into blocks of lines, with fonts and boxes.

PyMuPDF (MuPDF, AGPL-3.0) gives text as blocks -> lines -> spans with font,
size and flags. We keep what later steps need: per line its text, box,
dominant font size, and whether it is bold, monospaced or set in a math font;
per block its lines. Ligatures are expanded (the corpus wants "fi", not
U+FB01) and MuPDF joins words hyphenated at line ends inside a block.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pymupdf

# Expand ligatures (no TEXT_PRESERVE_LIGATURES), keep unmapped glyphs as
# U+FFFD (the router counts them), join end-of-line hyphenation, and ignore
# text outside the page (print marks, clipped-away text).
TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_WHITESPACE
    | pymupdf.TEXT_MEDIABOX_CLIP
    | pymupdf.TEXT_DEHYPHENATE
)

_BOLD_FLAG = 16
# A horizontal gap wider than this share of the font size separates words.
_WORD_GAP = 0.25
_MONO_FLAG = 8
_MONO_FONT = re.compile(r"mono|courier|inconsolata|cmtt|lmtt|typewriter|consol|menlo|txtt|beramono", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|\bbx|-bx|cmbx|lmbx|\.b$|tb$", re.I)
# Fonts TeX and office suites use for mathematics (CM/LM math italic,
# symbols and extensions, AMS fonts, STIX/XITS/Cambria Math, tx/px fonts).
_MATH_FONT = re.compile(
    r"cmmi|cmsy|cmex|cmbsy|cmmib|lmmi|lmsy|lmex|msam|msbm|eufm|eusm|rsfs|stmary|wasy|"
    r"math|stix|xits|symbol|txmi|txsy|txex|pxmi|pxsy|pxex|txsys|esint|mnsymbol|euex|eurm",
    re.I,
)


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
    # paragraph, heading, list_item, code, formula, table, page_header,
    # page_footer, page_number (the last three are removed from the text).
    kind: str = "paragraph"
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
        return self.kind in ("page_header", "page_footer", "page_number")


@dataclass(slots=True)
class PageText:
    number: int  # 1-based
    width: float
    height: float
    blocks: list[Block] = field(default_factory=list)
    image_coverage: float = 0.0  # fraction of the page its largest raster image covers

    @property
    def chars(self) -> int:
        return sum(b.chars for b in self.blocks)

    @property
    def raw_text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def read_page(page: pymupdf.Page) -> PageText:
    """The page's text blocks in content-stream order, same-baseline lines merged."""
    rect = page.rect
    out = PageText(number=page.number + 1, width=rect.width, height=rect.height)
    data = page.get_text("dict", flags=TEXT_FLAGS)
    for raw in data["blocks"]:
        if raw.get("type") != 0:
            continue
        lines = _merge_baselines([_line(raw_line) for raw_line in raw["lines"]])
        lines = [line for line in lines if line.text.strip()]
        if lines:
            out.blocks.append(Block(lines=lines, bbox=_union(line.bbox for line in lines)))
    out.image_coverage = _image_coverage(page)
    return out


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
        font = span["font"]
        if span["flags"] & _BOLD_FLAG or _BOLD_FONT.search(font):
            bold += n
        if span["flags"] & _MONO_FLAG or _MONO_FONT.search(font):
            mono += n
        if _MATH_FONT.search(font):
            math += n
    text = "".join(parts)
    size = max(weight, key=weight.__getitem__) if weight else 0.0
    return Line(
        text=text.strip(),
        bbox=tuple(raw["bbox"]),
        size=size,
        bold=total > 0 and bold >= 0.8 * total,
        mono=total > 0 and mono >= 0.8 * total,
        math_chars=math,
    )


def _is_marker(spans: list[dict], parts: list[str], span: dict) -> bool:
    """A line-initial footnote or margin-note number set small ("¹Text" -> "1 Text")."""
    first = spans[0]
    return (
        len(parts) == 1
        and parts[0].strip().isdigit()
        and first["size"] < 0.85 * span["size"]
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


def _image_coverage(page: pymupdf.Page) -> float:
    area = page.rect.width * page.rect.height
    if area <= 0:
        return 0.0
    covered = 0.0
    page_rect = page.rect
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"]) & page_rect
        if not r.is_empty:
            covered = max(covered, r.width * r.height)
    return min(1.0, covered / area)
