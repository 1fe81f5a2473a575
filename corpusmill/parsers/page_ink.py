"""What a page shows against what its text layer says: text-like ink the text layer does not explain.

A page can carry a text layer that accounts for only part of what is printed
on it: a title in real text over a body converted to vector outlines, a
table pasted as a picture beside a paragraph, a scan whose invisible OCR
layer is poor or covers half the page. The router sees chars and looks fine;
the words in the pixels are lost. So the page is rendered small (72 dpi:
a pixel per point, a few ms a page), its ink is cut into connected
components, and components shaped and aligned like text (glyph heights,
moderate fill, several in a row: not rules, table lines, filled bars or
photos) are compared with the boxes of the text the page draws visibly
(invisible render-mode-3 text and text painted beneath a picture explain
nothing). Text-like ink outside those boxes is what OCR should read.

Rendering is paid only where a cheap pre-check says the text layer may fall
short (`worth_checking`): the page holds pictures, draws much more than its
text explains (a content stream heavy for its character count), or draws
through Form XObjects. Ordinary born-digital pages skip it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pymupdf

from corpusmill.parsers.text_layer import PageText

# One pixel per point: body text (8-12 pt) is 5-9 px tall, enough to tell
# glyphs from rules and specks, and an A4 page is half a megapixel.
INK_DPI = 72
# Darker than this (0-255 grey) is ink; light tints (shaded cells, watermarks) are not.
INK_LEVEL = 200
# Text-like components: glyph or word heights in pixels (= points at INK_DPI) ...
MIN_GLYPH_PX = 3
MAX_GLYPH_PX = 48
# ... not solid (a filled bar or a photo's shadow fills its box) ...
MAX_FILL = 0.85
# ... and not a rule (thin and long), nor a speck, nor a frame (a box drawn
# around something: large and hollow).
MIN_COMPONENT_PX = 4
FRAME_AREA = 400
MAX_FRAME_FILL = 0.2
# Glyph-like components are smeared sideways this many median glyph heights to join into lines.
LINE_GAP = 2.5
# A line of text is this many components (words, glyphs), or one this wide for
# its height (a word set tight enough that its glyphs touch at 72 dpi) ...
MIN_LINE_COMPONENTS = 3
MIN_LINE_ASPECT = 4.0
# ... and straight: no taller than its tallest component by more than this
# (ascenders against descenders), where marks around a seal or along a curve climb.
MAX_LINE_RISE = 1.5
# Visible text boxes are widened by this many pixels (antialiasing, accents, descenders).
TEXT_BOX_MARGIN = 2
# A component is explained when this share of its pixels lies in a text box.
EXPLAINED = 0.5
# A page breaking into more components than this is noise (halftone, a photo's
# grain at 72 dpi), not text to compare; it is left unanalysed.
MAX_COMPONENTS = 40_000

# Pre-check: a content stream this many bytes per visible character (and at
# least MIN_HEAVY_CONTENT) draws more than its text: outlines, charts, diagrams.
HEAVY_CONTENT_PER_CHAR = 40
MIN_HEAVY_CONTENT = 20_000
# Pictures covering this share of the page may hold words.
SOME_PICTURE = 0.02
# Region boxes are widened by this share of their height before OCR.
REGION_MARGIN = 0.4
# A region worth reading holds this many lines, or one line as wide as a
# sentence for its height; a lone short line (a logo's lettering, a seal, an
# axis label) reads as fragments that add noise, not text.
MIN_REGION_LINES = 2
SENTENCE_ASPECT = 12.0


@dataclass(frozen=True, slots=True)
class InkReport:
    """Text-like ink of a page, and the part of it the visible text layer does not explain."""

    text_like_px: int
    unexplained_px: int
    # Unexplained lines of text-like ink, merged into regions: (x0, y0, x1, y1) in
    # the page's unrotated coordinates (those of its text layer), in points.
    regions: tuple[tuple[float, float, float, float], ...]
    lines: int  # unexplained text-like lines, in the regions

    @property
    def share(self) -> float:
        return self.unexplained_px / self.text_like_px if self.text_like_px else 0.0


def worth_checking(page: pymupdf.Page, text: PageText, content_bytes: int) -> str | None:
    """Why the page's ink might hold text its text layer lacks, or None (an ordinary page: not rendered)."""
    if text.image_coverage >= SOME_PICTURE:
        return "pictures"
    if content_bytes >= max(MIN_HEAVY_CONTENT, HEAVY_CONTENT_PER_CHAR * text.chars):
        return "heavy content stream"
    if page.get_xobjects():
        return "form xobjects"
    return None


def ink_report(page: pymupdf.Page) -> InkReport | None:
    """The page's text-like ink and how much of it the visible text layer explains; None when unanalysable."""
    scale = INK_DPI / 72
    # Rendered unrotated (get_pixmap applies /Rotate; the derotation undoes it),
    # so that pixels line up with text-layer coordinates.
    pix = page.get_pixmap(matrix=page.derotation_matrix * pymupdf.Matrix(scale, scale),
                          colorspace=pymupdf.csGRAY, alpha=False)
    gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, :pix.width]
    ink = (gray < INK_LEVEL).astype(np.uint8)
    if not ink.any():
        return InkReport(0, 0, (), 0)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n - 1 > MAX_COMPONENTS:
        return None
    inside = np.bincount(labels[_visible_text_mask(page, ink.shape, scale)], minlength=n)
    area = stats[:, cv2.CC_STAT_AREA]
    unexplained_area = np.where(inside >= EXPLAINED * np.maximum(area, 1), 0, area)
    lines = _text_lines(labels, stats)
    text_like = unexplained = 0
    line_boxes: list[tuple[int, int, int, int]] = []
    for members, box in lines:
        px = int(area[members].sum())
        out = int(unexplained_area[members].sum())
        text_like += px
        unexplained += out
        if out * 2 > px:
            line_boxes.append(box)
    kept = [(box, count) for box, count, wide in _merge_lines(line_boxes) if count >= MIN_REGION_LINES or wide]
    regions = tuple((x0 / scale, y0 / scale, x1 / scale, y1 / scale) for (x0, y0, x1, y1), _ in kept)
    return InkReport(text_like, unexplained, regions, sum(count for _, count in kept))


def _visible_text_mask(page: pymupdf.Page, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """Pixels covered by text the page draws visibly: render mode 3 and fully transparent text excluded."""
    mask = np.zeros(shape, dtype=bool)
    h, w = shape
    m = TEXT_BOX_MARGIN
    for span in page.get_texttrace():
        if span.get("type") == 3 or span.get("opacity", 1) == 0:
            continue
        x0, y0, x1, y1 = span["bbox"]
        mask[max(0, int(y0 * scale) - m):min(h, int(y1 * scale + 1) + m),
             max(0, int(x0 * scale) - m):min(w, int(x1 * scale + 1) + m)] = True
    return mask


def _text_lines(labels: np.ndarray, stats: np.ndarray) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """Glyph-like components (labels) grouped into lines of text, each with its box in pixels.

    A component is glyph-like by its height, fill and thinness (rules, table
    lines, filled bars and photos' blobs are not). Glyph-like components smeared
    sideways by about a glyph height join into lines; a line of three or more
    components, or one wide for its height, running straight, is text. Lone
    specks, scatter-plot marks, stray symbols and marks along a curve are not.
    """
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    fill = area / np.maximum(w * h, 1)
    glyph = ((h >= MIN_GLYPH_PX) & (h <= MAX_GLYPH_PX) & (area >= MIN_COMPONENT_PX) & (fill <= MAX_FILL)
             & ~((w <= 2) & (h > 2 * MAX_GLYPH_PX // 3)) & ~((w * h >= FRAME_AREA) & (fill < MAX_FRAME_FILL)))
    glyph[0] = False  # the background
    if not glyph.any():
        return []
    mask = glyph[labels]
    reach = max(MIN_GLYPH_PX, int(LINE_GAP * np.median(h[glyph])))
    smeared = cv2.dilate(mask.astype(np.uint8), np.ones((1, reach), np.uint8))
    n_lines, line_of_pixel = cv2.connectedComponents(smeared, connectivity=4)
    # Each glyph component lies in exactly one smeared line.
    pairs = np.unique(labels[mask].astype(np.int64) * n_lines + line_of_pixel[mask])
    comp, line = pairs // n_lines, pairs % n_lines
    order = np.argsort(line, kind="stable")
    comp, line = comp[order], line[order]
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    out = []
    for members in np.split(comp, starts[1:]):
        x0, y0 = int(x[members].min()), int(y[members].min())
        x1, y1 = int((x[members] + w[members]).max()), int((y[members] + h[members]).max())
        tallest = h[members].max()
        if y1 - y0 > MAX_LINE_RISE * tallest:
            continue
        if len(members) >= MIN_LINE_COMPONENTS or x1 - x0 >= MIN_LINE_ASPECT * tallest:
            out.append((members, (x0, y0, x1, y1)))
    return out


def _merge_lines(boxes: list[tuple[int, int, int, int]]) -> list[tuple[tuple[int, int, int, int], int, bool]]:
    """Line boxes merged into regions that do not overlap: lines overlapping horizontally less than a
    line height apart join, and so do regions that touch once widened. Each region with its number of
    lines and whether one of them is as wide as a sentence.

    Each region is widened by REGION_MARGIN of its line height so that OCR sees
    whole glyphs and some background around them; no two regions share ink, so
    no line is read twice.
    """
    regions = [[x0, y0, x1, y1, y1 - y0, 1, x1 - x0 >= SENTENCE_ASPECT * (y1 - y0)]
               for x0, y0, x1, y1 in sorted(boxes, key=lambda b: (b[1], b[0]))]
    merged = True
    while merged:
        merged = False
        out: list[list[float]] = []
        for r in regions:
            for q in out:
                gap = max(r[4], q[4])
                if r[0] < q[2] and r[2] > q[0] and r[1] - q[3] <= gap and q[1] - r[3] <= gap \
                        or _touch(_padded(r), _padded(q)):
                    q[:] = [min(q[0], r[0]), min(q[1], r[1]), max(q[2], r[2]), max(q[3], r[3]), max(q[4], r[4]),
                            q[5] + r[5], q[6] or r[6]]
                    merged = True
                    break
            else:
                out.append(r)
        regions = out
    return [(tuple(int(v) for v in _padded(r)), int(r[5]), bool(r[6])) for r in regions]


def _padded(r: list[float]) -> tuple[float, float, float, float]:
    pad = REGION_MARGIN * r[4]
    return r[0] - pad, r[1] - pad, r[2] + pad + 1, r[3] + pad + 1


def _touch(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
