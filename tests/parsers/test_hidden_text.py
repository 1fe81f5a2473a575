"""Text painted over by a later opaque box is not in the text layer's output."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import read_page


def test_labels_under_a_white_box_of_an_exam_cover_are_left_out(pdf_fixtures):
    # Page 1 of PyMuPDF's test_5049.pdf: a white box drawn over the "Student number" and
    # "Section" rows of a form, with a word printed on top of the box three times (twice
    # covered again by the box drawn anew, once visible).
    doc = parse_document((pdf_fixtures / "pymupdf__test_5049-p1.pdf").read_bytes(), "application/pdf",
                         ParseConfig(), PageReader())
    assert "Student number" not in doc.text
    assert "Section" not in doc.text
    assert doc.text.count("싸이") == 1
    # Rows the box leaves visible, and the text above it, stay.
    assert "Name" in doc.text and "Signature" in doc.text
    assert "closed-book examination" in doc.text


def _page(draw) -> pymupdf.Page:
    doc = pymupdf.open()
    draw(doc.new_page(width=595, height=842))
    return pymupdf.open("pdf", doc.tobytes())[0]


def test_text_over_a_box_and_under_a_translucent_one_is_kept():
    def draw(page):
        page.draw_rect(pymupdf.Rect(60, 80, 400, 120), color=None, fill=(0.9, 0.9, 0.9))
        page.insert_text((72, 100), "Shaded background behind this line", fontsize=11)
        page.insert_text((72, 200), "Highlighted words stay readable", fontsize=11)
        page.draw_rect(pymupdf.Rect(60, 185, 400, 210), color=None, fill=(1, 1, 0), fill_opacity=0.4)
        page.insert_text((72, 300), "Redacted name of a person", fontsize=11)
        page.draw_rect(pymupdf.Rect(60, 285, 400, 310), color=None, fill=(0, 0, 0))

    text = read_page(_page(draw)).raw_text
    assert "Shaded background" in text and "Highlighted words" in text
    assert "Redacted" not in text


def test_a_fill_reaching_past_its_clip_covers_only_what_the_clip_shows():
    # A figure's white background larger than the figure, clipped to it (SVG and TikZ output):
    # the caption and body text around it, drawn before it, stay visible.
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 100), "Body text drawn before the figure", fontsize=11)
    page.insert_text((72, 420), "Text under the clipped part of the box", fontsize=11)
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    # Clip to y 400-450 from the bottom (about 392-442 from the top), then fill almost the whole page white.
    doc.update_stream(xref, b"q 40 392 500 60 re W n 1 1 1 rg 20 20 555 800 re f Q")
    kind, old = doc.xref_get_key(page.xref, "Contents")
    doc.xref_set_key(page.xref, "Contents", f"[{old} {xref} 0 R]" if kind == "xref" else f"[{old[1:-1]} {xref} 0 R]")
    text = read_page(pymupdf.open("pdf", doc.tobytes())[0]).raw_text
    assert "Body text drawn before the figure" in text
    assert "clipped part" not in text
