"""Pages whose text runs sideways, turned so that it reads left to right.

A landscape table is often set on a portrait page with its text rotated by
90 degrees (or the page carries a /Rotate that a viewer undoes). MuPDF gives
such text as vertical lines of one cell each, so neither lines, paragraphs nor
table columns come out. A page most of whose text is sideways is drawn, turned,
onto a page of a one-page scratch document (`show_pdf_page` keeps it vector:
text, rules and images), which every later step reads instead.

Which pages: the text layer is read first as it is; only a page where most
characters sit in lines much taller than wide pays for a second look at
MuPDF's line directions and the turn.
"""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.page_furniture import in_side_margin
from corpusmill.parsers.text_layer import PageText, page_dict

# A line of a few characters this much taller than wide runs vertically (a horizontal
# one of three characters or more is wider than tall).
_TALL = 1.2
_MIN_LINE_CHARS = 3
# Share of the page's characters in vertical lines above which the page is turned.
_MIN_SIDEWAYS = 0.5
# MuPDF's line direction (cos, sin rounded) -> rotation that makes it (1, 0).
_TURN = {(0, -1): 270, (-1, 0): 180, (0, 1): 90}


def sideways(text: PageText) -> bool:
    """Whether most of the page's text sits in vertical lines (cheap: boxes already read).

    Vertical text in a side margin (an arXiv or download stamp) is left out:
    on a page with little else on it (a blank page with its running head), it
    would otherwise turn the page.
    """
    total = vertical = 0
    for block in text.blocks:
        for line in block.lines:
            n = len(line.text.strip())
            x0, y0, x1, y1 = line.bbox
            tall = n >= _MIN_LINE_CHARS and (y1 - y0) > _TALL * (x1 - x0)
            if tall and in_side_margin(line.bbox, text.width):
                continue
            total += n
            if tall:
                vertical += n
    return total > 0 and vertical > _MIN_SIDEWAYS * total


def turn_angle(page: pymupdf.Page) -> int:
    """The rotation (0, 90, 180, 270) that makes most of the page's text run left to right."""
    weight: dict[int, int] = {}
    for block in page_dict(page)["blocks"]:
        for line in block.get("lines", ()):
            angle = _TURN.get((round(line["dir"][0]), round(line["dir"][1])), 0)
            weight[angle] = weight.get(angle, 0) + sum(len(s["text"]) for s in line["spans"])
    return max(sorted(weight), key=weight.__getitem__) if weight else 0


def turned(page: pymupdf.Page, angle: int) -> pymupdf.Page:
    """`page` drawn rotated by `angle` onto a page of its own scratch document (the page itself for 0)."""
    if angle == 0:
        return page
    box = page.cropbox
    width, height = (box.width, box.height) if angle == 180 else (box.height, box.width)
    scratch = pymupdf.open()
    out = scratch.new_page(width=width, height=height)
    # `show_pdf_page` draws the unrotated content but fits it by the rotated
    # page's shape; the page's own /Rotate is set aside while it is copied.
    rotation = page.rotation
    try:
        if rotation:
            page.set_rotation(0)
        out.show_pdf_page(out.rect, page.parent, page.number, rotate=angle)
    finally:
        if rotation:
            page.set_rotation(rotation)
    # The page keeps its document alive only through this reference.
    out._scratch = scratch  # type: ignore[attr-defined]
    return out
