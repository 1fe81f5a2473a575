"""Which path reads each page, and why (recorded on `pages[].route_reason`).

- text-layer: the page has a usable text layer.
- ocr: no text layer (a scan, a picture of a table, or text drawn as vector
  outlines), or one that cannot be trusted: unmapped glyphs (U+FFFD),
  private-use characters, control characters, mojibake, invisible text laid
  over a full-page image or text hidden under one (an earlier OCR pass we
  would rather redo), or a text layer that explains only a small part of a
  page-sized picture (the rest of its words are in the pixels).
- text-layer with OCR regions: the text layer is good but some of the page's
  text-like ink lies outside it (a table pasted as a picture, a paragraph in
  outlines); those regions are OCRed and merged in reading order. When the
  text layer explains almost none of the text-like ink the whole page is
  OCRed instead (`page_ink`: the page rendered small and compared with the
  boxes of its visible text).
- llm: hard pages (dense tables, formula-heavy pages, low OCR confidence),
  only when an LLM endpoint is configured; otherwise they stay on their path
  and the reason says they were hard.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from corpusmill.parsers import page_ink, page_model
from corpusmill.parsers.text_layer import PageText, union_area, unrotated_rect

TEXT_LAYER, OCR, LLM = page_model.Route.TEXT_LAYER, page_model.Route.OCR, page_model.Route.LLM

# Fewer visible characters than this is "no text" (a scan's stray page number
# or a lone figure label is not a text layer).
MIN_TEXT_CHARS = 20
# A raster image covering this share of the page makes it a scan candidate.
FULL_PAGE_IMAGE = 0.8
SOME_IMAGE = 0.25
# On a page without text, a picture this large may hold text (a table or a
# form pasted as an image); a page without it is blank or decoration.
TEXTLESS_IMAGE = 0.05
# A page-sized picture whose area is this little covered by text-layer lines
# is read by OCR: the text layer is a caption or a title, the words are in the image.
MAX_TEXT_OVER_IMAGE = 0.1
# ... when the text layer is no more than a title or a caption; a page with
# paragraphs of real text beside a large photo keeps its text layer.
CAPTION_CHARS = 400
# Share of the text layer's area drawn before (under) an opaque picture.
HIDDEN_SHARE = 0.5
# Text whose share of suspicious characters exceeds this is garbled; a few
# unmapped symbols (a table of check marks, one odd CJK glyph) are not.
MAX_BAD_CHAR_SHARE = 0.1
MAX_MOJIBAKE_SHARE = 0.03
MIN_BAD_CHARS = 10
# Share of characters drawn invisibly (render mode 3) that marks an OCR layer.
INVISIBLE_SHARE = 0.5
# Text-like ink the visible text layer does not explain (`page_ink`): this
# share of it, over at least this many lines, sends the whole page to OCR;
# a smaller share OCRs only the regions it lies in. A page without a text
# layer is OCRed when it shows this many lines of text-like ink.
INK_WHOLE_PAGE = 0.8
INK_WHOLE_PAGE_LINES = 5
INK_REGIONS = 0.1
INK_REGION_LINES = 2
# A content stream larger than this draws so much (a million tiny paths)
# that walking its drawings (outline counts, table rules) would take minutes:
# such a page is read without them.
MAX_ANALYSED_CONTENT = 4_000_000
# Hard pages.
FORMULA_SHARE = 0.3
DENSE_TABLE_CELLS = 40

# A text layer whose fonts map each glyph to a letter a fixed distance away
# ("CnklZ" for "Dolma"): its letter frequencies match those of Latin-script
# text only once shifted back. The profile is English's; real text in other
# Latin-script languages still matches it unshifted far better than shifted.
MIN_CIPHER_LETTERS = 200
MAX_PLAIN_MATCH = 0.5  # correlation with the profile as the letters stand
MIN_SHIFTED_MATCH = 0.7  # ... and once shifted back
_LETTER_PROFILE = (8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4, 6.7, 7.5, 1.9, 0.095,
                   6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074)  # a..z, per cent

_MOJIBAKE = re.compile(r"[ÃÂâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡-¿]")


@dataclass(frozen=True, slots=True)
class Route:
    route: page_model.Route
    reason: str
    hard: str | None = None  # why the page is hard (a candidate for the LLM), if it is
    # Regions of a text-layer page whose text-like ink its text layer lacks, to be
    # OCRed and merged: (x0, y0, x1, y1) in text-layer coordinates.
    ocr_regions: tuple[tuple[float, float, float, float], ...] = ()


def text_quality(text: str) -> dict[str, float]:
    """Shares of suspicious characters in a page's text layer."""
    visible = [c for c in text if not c.isspace()]
    n = max(1, len(visible))
    fffd = sum(1 for c in visible if c == "\ufffd")
    pua = sum(1 for c in visible if "\ue000" <= c <= "\uf8ff" or c >= "\U000f0000")
    control = sum(1 for c in visible if ord(c) < 32 or 0x7f <= ord(c) < 0xa0)
    mojibake = len(_MOJIBAKE.findall(text))
    return {
        "chars": len(visible),
        "fffd": fffd / n,
        "private_use": pua / n,
        "control": control / n,
        "mojibake": mojibake / n,
    }


def route_page(page: pymupdf.Page, text: PageText, llm_enabled: bool) -> Route:
    """Decide the path for one PDF page from its text layer and its images."""
    raw = text.raw_text
    q = text_quality(raw)
    chars = q["chars"]
    if chars < MIN_TEXT_CHARS:
        if text.image_coverage >= TEXTLESS_IMAGE:
            return Route(OCR, f"no text layer ({int(chars)} chars, image covers {text.image_coverage:.0%})")
        if too_many_drawings(page):
            return Route(OCR, f"no text layer ({int(chars)} chars, a content stream too large to analyse)")
        ink = page_ink.ink_report(page)
        if ink is None:  # ink in more pieces than can be analysed: OCR, rather than call the page empty
            return Route(OCR, f"no text layer ({int(chars)} chars, ink in over {page_ink.MAX_COMPONENTS:,} pieces)")
        if ink.lines >= INK_REGION_LINES:
            return Route(OCR, f"no text layer ({int(chars)} chars, {ink.lines} lines of text-like ink: "
                              "text drawn as vector outlines)")
        return Route(TEXT_LAYER, "empty page" if chars == 0 else f"almost empty page ({int(chars)} chars)")
    for key, limit, label in (
        ("fffd", MAX_BAD_CHAR_SHARE, "unmapped glyphs (U+FFFD)"),
        ("private_use", MAX_BAD_CHAR_SHARE, "private-use characters"),
        ("control", MAX_BAD_CHAR_SHARE, "control characters"),
        ("mojibake", MAX_MOJIBAKE_SHARE, "mojibake"),
    ):
        if q[key] > limit and q[key] * chars >= MIN_BAD_CHARS:
            return Route(OCR, f"garbled text layer: {label} {q[key]:.1%}")
    shifted = letter_shift(raw)
    if shifted:
        return Route(OCR, f"garbled text layer: letters shifted by {shifted[0]} (letter frequencies match "
                          f"Latin-script text {shifted[1]:.2f} as they stand, {shifted[2]:.2f} shifted back)")
    if text.image_coverage >= FULL_PAGE_IMAGE:
        invisible = _invisible_share(page)
        if invisible >= INVISIBLE_SHARE:
            return Route(OCR, f"invisible text over a full-page image ({invisible:.0%} invisible)")
    if text.image_coverage >= SOME_IMAGE:
        # Only pages with a large picture pay for the drawing-order log.
        hidden, over = _text_and_images(page)
        if hidden >= HIDDEN_SHARE:
            return Route(OCR, f"text layer hidden under an image ({hidden:.0%} of its area beneath it)")
        if text.image_coverage >= FULL_PAGE_IMAGE / 2 and over < MAX_TEXT_OVER_IMAGE and chars < CAPTION_CHARS:
            return Route(OCR, f"text layer covers {over:.0%} of images filling {text.image_coverage:.0%} of "
                              f"the page ({int(chars)} chars): the words are in the image")

    whole, ink, ink_regions = _ink_check(page, text)
    if whole is not None:
        return whole
    hard = _hardness(text)
    if hard and llm_enabled:
        return Route(LLM, f"hard page: {hard}", hard)
    if hard:
        return Route(TEXT_LAYER, f"usable text layer ({int(chars)} chars); hard page: {hard}, no LLM configured{ink}",
                     hard, ink_regions)
    return Route(TEXT_LAYER, f"usable text layer ({int(chars)} chars){ink}", ocr_regions=ink_regions)


def _ink_check(page: pymupdf.Page, text: PageText) -> tuple[Route | None, str, tuple]:
    """(an OCR route for the whole page, else None; a note for the reason; regions to OCR) from the page's ink.

    Only pages a cheap pre-check finds suspect (pictures, a content stream heavy
    for its text, Form XObjects) are rendered; a page too large to analyse keeps its text layer.
    """
    content = len(page.read_contents())
    if content > MAX_ANALYSED_CONTENT:
        return None, "; ink not compared (content stream too large to analyse)", ()
    why = page_ink.worth_checking(page, text, content)
    ink = page_ink.ink_report(page) if why else None
    if ink is None or ink.lines < INK_REGION_LINES or ink.share < INK_REGIONS:
        return None, "", ()
    found = f"ink-without-text: {ink.share:.2f} of text-like ink not in the text layer ({ink.lines} lines"
    if ink.share >= INK_WHOLE_PAGE and ink.lines >= INK_WHOLE_PAGE_LINES:
        return Route(OCR, f"{found}; page has {why})"), "", ()
    return None, f"; {found} in {len(ink.regions)} regions)", ink.regions


def letter_shift(text: str) -> tuple[int, float, float] | None:
    """(shift, match as it stands, match shifted back) of a cipher-shifted Latin text layer, else None."""
    counts = [0] * 26
    for c in text:
        if "a" <= c <= "z":
            counts[ord(c) - 97] += 1
    if sum(counts) < MIN_CIPHER_LETTERS:
        return None

    def match(k: int) -> float:  # the profile against the letters moved k places on
        return _correlation(_LETTER_PROFILE, [counts[(i - k) % 26] for i in range(26)])

    plain = match(0)
    if plain >= MAX_PLAIN_MATCH:
        return None
    k = max(range(1, 26), key=match)
    return (k, plain, match(k)) if match(k) >= MIN_SHIFTED_MATCH else None


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    var = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return cov / var if var else 0.0


def _hardness(text: PageText) -> str | None:
    total = max(1, text.chars)
    math = sum(line.math_chars for b in text.blocks if not b.removed for line in b.lines)
    if math / total >= FORMULA_SHARE:
        return f"formula-dense ({math / total:.0%} math glyphs)"
    cells = sum(_table_cells(b.markdown) for b in text.blocks if b.kind == "table" and b.markdown)
    if cells >= DENSE_TABLE_CELLS:
        return f"dense tables ({cells} cells)"
    return None


def _table_cells(markdown: str) -> int:
    rows = [r for r in markdown.splitlines() if r.startswith("|") and not set(r) <= set("|-: ")]
    return sum(max(0, r.count("|") - 1) for r in rows)


def _invisible_share(page: pymupdf.Page) -> float:
    total = invisible = 0
    for span in page.get_texttrace():
        n = len(span["chars"])
        total += n
        # Render mode 3 draws nothing; opacity 0 hides text just as well.
        if span.get("type") == 3 or span.get("opacity", 1) == 0:
            invisible += n
    return invisible / total if total else 0.0


def _text_and_images(page: pymupdf.Page) -> tuple[float, float]:
    """(share of the text area drawn beneath a later picture, share of the pictures' area under text).

    MuPDF's bbox log lists what the page draws in paint order, so text painted
    before an opaque image over it cannot be seen (a scan's hidden OCR layer).
    """
    log = page.get_bboxlog()
    page_rect = unrotated_rect(page)
    texts: list[tuple[int, pymupdf.Rect]] = []
    images: list[tuple[int, pymupdf.Rect]] = []
    for i, (kind, box) in enumerate(log):
        r = pymupdf.Rect(box) & page_rect
        if r.is_empty:
            continue
        if kind.endswith("-text") and not kind.startswith("ignore"):
            texts.append((i, r))
        elif kind == "fill-image":
            images.append((i, r))
    text_area = sum(r.width * r.height for _, r in texts)
    if not images or text_area <= 0:
        return 0.0, 0.0
    hidden = 0.0
    for i, r in texts:
        area = r.width * r.height
        if any(j > i and _inside(r, img) for j, img in images):
            hidden += area
    # Text over the pictures, as a share of the area they cover together.
    over = sum((r & img).width * (r & img).height for _, r in texts for _, img in images if r.intersects(img))
    return hidden / text_area, min(1.0, over / max(1.0, union_area([img for _, img in images])))


def _inside(inner: pymupdf.Rect, outer: pymupdf.Rect) -> bool:
    overlap = inner & outer
    return not overlap.is_empty and overlap.width * overlap.height >= 0.9 * inner.width * inner.height


def too_many_drawings(page: pymupdf.Page) -> bool:
    """The page's own content stream is too large for drawing-level analysis (bounded time)."""
    return len(page.read_contents()) > MAX_ANALYSED_CONTENT
