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
