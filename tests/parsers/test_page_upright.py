"""page_upright: which pages are read turned; a vertical margin stamp does not turn a page."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.page_upright import sideways
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import read_page

_STAMP = "Downloaded from https://example.org/article/21 on 3 May 2021"
_HEAD = "Journal of Applied Studies, Vol. 22, No. 2 (2021)"


def _document() -> bytes:
    """Two pages: body text on the first; the second (the text ran out) keeps only its furniture."""
    doc = pymupdf.open()
    for i in range(2):
        page = doc.new_page(width=595, height=842)
        page.insert_text((56, 40), _HEAD, fontsize=8)
        page.insert_text((290, 812), str(22 + i), fontsize=8)
        page.insert_text((565, 720), _STAMP, fontsize=6, rotate=90)
        if i == 0:
            page.insert_textbox(pymupdf.Rect(56, 80, 539, 400),
                                "A paragraph of body text long enough to read as the page's content. " * 6)
    return doc.tobytes()


def test_margin_stamp_does_not_turn_a_page_with_little_else_on_it():
    with pymupdf.open("pdf", _document()) as doc:
        assert not sideways(read_page(doc[1]))


def test_running_head_of_a_page_without_body_text_is_left_out():
    parsed = parse_document(_document(), "application/pdf", ParseConfig(tables=False), PageReader())
    assert _HEAD not in parsed.text
    assert "A paragraph of body text" in parsed.text
    kinds = {b["type"] for b in parsed.pages[1]["blocks"]}
    assert kinds and kinds <= {"page_header", "page_number", "margin_note"}
