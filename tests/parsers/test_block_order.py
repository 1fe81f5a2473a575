"""block_order: reading order of text-layer blocks, and headings MuPDF split joined again."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document

_BODY = ("Dynamic languages such as JavaScript are harder to compile than statically typed ones, "
         "since there is no concrete type information available. ")


def test_title_centred_on_two_lines_is_one_heading():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((81, 95), "Trace-based Just-in-Time Type Specialization for Dynamic", fontsize=18,
                     fontname="hebo")
    page.insert_text((264, 115), "Languages", fontsize=18, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 150, 540, 600), _BODY * 8, fontsize=10)
    # A second heading further down, then its own section, stays apart.
    page.insert_text((72, 640), "Introduction", fontsize=18, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 660, 540, 760), _BODY, fontsize=10)
    text = parse_document(doc.tobytes(), "application/pdf", ParseConfig(), PageReader()).text
    lines = [line for line in text.splitlines() if line.startswith("#")]
    assert lines[0].endswith(" Trace-based Just-in-Time Type Specialization for Dynamic Languages")
    assert lines[1].endswith(" Introduction")
