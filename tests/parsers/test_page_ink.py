"""Routing by what is visible: text-like ink the text layer does not explain, on real pages made into
the cases the wild brings (text in outlines, text in a picture beside real text, a scan under a poor
invisible OCR layer, blank pages, a page of a million paths)."""
from __future__ import annotations

import pymupdf
import pytest

from corpusmill.parsers import page_ink, page_router
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import read_page
from tests.parsers.conftest import million_paths_page

SOURCE = "revtex4-1--apssamp.pdf"  # a born-digital two-column article


def _outlined(src: pymupdf.Page) -> pymupdf.Document:
    """`src` with every glyph turned into vector outlines (MuPDF's SVG writer), then a real-text title."""
    svg = pymupdf.open("svg", src.get_svg_image(text_as_path=True).encode())
    doc = pymupdf.open("pdf", svg.convert_to_pdf())
    doc[0].insert_text((72, 30), "A title in real text over a body in outlines", fontsize=11)
    return doc


def _picture_beside_text(src: pymupdf.Document) -> pymupdf.Document:
    """A paragraph of real text, then the top half of another page pasted below it as a picture."""
    doc = pymupdf.open()
    page = doc.new_page()
    shown = src[1]
    pix = shown.get_pixmap(dpi=150, clip=pymupdf.Rect(0, 0, shown.rect.width, shown.rect.height * 0.5))
    width = page.rect.width - 72
    page.insert_image(pymupdf.Rect(36, 220, 36 + width, 220 + width * pix.height / pix.width), pixmap=pix)
    words = src[0].get_text().split()[:120]
    page.insert_textbox(pymupdf.Rect(36, 36, page.rect.width - 36, 210), " ".join(words), fontsize=9)
    return doc


def _scan_under_poor_ocr_layer(src: pymupdf.Document) -> pymupdf.Document:
    """A scanned page with margins (the picture covers about 60% of the page) and an invisible
    (render mode 3) OCR layer over it whose words belong to another page."""
    doc = pymupdf.open()
    page = doc.new_page()
    box = pymupdf.Rect(60, 80, page.rect.width - 60, page.rect.height - 80)
    page.insert_image(box, pixmap=src[1].get_pixmap(dpi=100))
    wrong = [line for line in src[2].get_text().splitlines() if line.strip()][:60]
    page.insert_textbox(box, "\n".join(wrong), fontsize=8, render_mode=3)
    return doc


@pytest.fixture(scope="module")
def source(pdf_fixtures) -> pymupdf.Document:
    return pymupdf.open(pdf_fixtures / SOURCE)


def test_ordinary_born_digital_pages_are_not_rendered(source):
    """The cheap pre-check passes ordinary text pages by: no render on the text-layer hot path."""
    for page in source:
        text = read_page(page)
        assert page_ink.worth_checking(page, text, len(page.read_contents())) is None
        assert page_router.route_page(page, text, llm_enabled=False).reason.startswith("usable text layer")


def test_text_layer_explains_all_text_like_ink_of_a_born_digital_page(source):
    report = page_ink.ink_report(source[0])
    assert report is not None and report.text_like_px > 5000
    assert report.share < 0.02 and report.regions == ()


def test_rules_frames_and_bars_are_not_text_like_ink():
    """Non-text vector graphics (table rules, a frame, a bar chart) beside real text: nothing to OCR."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(50, 50, 550, 200), "Quarterly figures as reported by the board. " * 12, fontsize=10)
    shape = page.new_shape()
    for i in range(8):  # a ruled grid
        shape.draw_line((50, 250 + 20 * i), (550, 250 + 20 * i))
    for x in (50, 200, 350, 550):
        shape.draw_line((x, 250), (x, 390))
    shape.draw_rect(pymupdf.Rect(40, 420, 560, 480))  # a frame around nothing
    shape.finish(color=(0, 0, 0), fill=None, width=1)
    shape.commit()
    bars = page.new_shape()  # a bar chart
    for i, h in enumerate((60, 120, 90, 150, 30)):
        bars.draw_rect(pymupdf.Rect(80 + 60 * i, 700 - h, 120 + 60 * i, 700))
    bars.finish(color=(0, 0, 0), fill=(0.2, 0.2, 0.2))
    bars.commit()
    report = page_ink.ink_report(page)
    assert report is not None and report.text_like_px > 0
    assert report.lines == 0 and report.share == 0.0


def test_text_in_outlines_under_a_real_title_routes_the_page_to_ocr(source):
    doc = _outlined(source[0])
    page = doc[0]
    text = read_page(page)
    assert text.chars >= page_router.MIN_TEXT_CHARS  # the title alone is a text layer
    assert page_ink.worth_checking(page, text, len(page.read_contents())) == "heavy content stream"
    route = page_router.route_page(page, text, llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("ink-without-text: 0.9")
    assert "of text-like ink not in the text layer" in route.reason


def test_outlines_without_any_text_layer_route_to_ocr(source):
    svg = pymupdf.open("svg", source[2].get_svg_image(text_as_path=True).encode())
    page = pymupdf.open("pdf", svg.convert_to_pdf())[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("no text layer (0 chars, ") and "lines of text-like ink" in route.reason


def test_picture_of_text_beside_real_text_gets_its_regions_ocred(source):
    page = _picture_beside_text(source)[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.TEXT_LAYER
    assert "ink-without-text: " in route.reason
    assert route.ocr_regions
    # The regions lie in the picture, not over the real paragraph above it.
    assert all(y0 >= 200 for _, y0, _, _ in route.ocr_regions)


def test_poor_invisible_ocr_layer_over_a_scan_with_margins_routes_to_ocr(source):
    page = _scan_under_poor_ocr_layer(source)[0]
    text = read_page(page)
    assert text.chars > 1000 and text.image_coverage < page_router.FULL_PAGE_IMAGE
    route = page_router.route_page(page, text, llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("ink-without-text: 1.00 of text-like ink not in the text layer")


def test_rotated_page_regions_are_in_text_layer_coordinates(source):
    """On a page shown turned (/Rotate 90) the regions land where the picture is in the text layer's system."""
    doc = _picture_beside_text(source)
    page = doc[0]
    page.set_rotation(90)
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    picture = pymupdf.Rect(page.get_image_info()[0]["bbox"])
    assert route.ocr_regions
    for region in route.ocr_regions:
        x0, y0, x1, y1 = region
        assert picture.contains(pymupdf.Point((x0 + x1) / 2, (y0 + y1) / 2))


def test_picture_words_are_read_and_merged_in_reading_order(source, ocr_engine_name):
    """End to end: the paragraph from the text layer, then the picture's words from OCR, in page order."""
    data = _picture_beside_text(source).tobytes()
    parsed = parse_document(data, "application/pdf", ParseConfig(ocr_layout=False), PageReader())
    page = parsed.pages[0]
    assert page["route"] == page_router.TEXT_LAYER
    assert "regions OCRed: " in page["route_reason"] and "lines read in" in page["route_reason"]
    text = parsed.text
    # From the text layer (above the picture) and from the picture (read by OCR only).
    assert "Manuscript Title" in text
    assert "natbib" in text and "citation" in text
    assert text.index("Manuscript Title") < text.index("natbib")


def test_blank_page_gives_empty_text_beside_a_text_page(source):
    doc = pymupdf.open()
    doc.insert_pdf(source, from_page=0, to_page=0)
    doc.new_page()
    parsed = parse_document(doc.tobytes(), "application/pdf", ParseConfig(), PageReader())
    blank = parsed.pages[1]
    assert (blank["route"], blank["route_reason"]) == (page_router.TEXT_LAYER, "empty page")
    assert parsed.text.strip() and "Manuscript" in parsed.text


def test_a_million_tiny_paths_without_text_is_routed_without_analysis():
    """Bad input: no drawing or ink analysis is attempted (bounded time), and the page has a sane route."""
    doc = pymupdf.open()
    page = million_paths_page(doc)
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason == "no text layer (0 chars, a content stream too large to analyse)"


def test_a_textless_page_of_ink_too_fragmented_to_analyse_is_ocred_not_called_empty():
    """Bad input: ink in more pieces than the analysis takes must not leave the page `empty page` (text lost)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    # 45,000 separate dots 2.5 pt apart: more connected components than page_ink analyses.
    ops = b"".join(b"%.1f %.1f 1 1 re f\n" % (20 + 2.5 * (i % 220), 20 + 2.5 * (i // 220)) for i in range(45_000))
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, ops, compress=False)
    page.set_contents(xref)
    assert page_ink.ink_report(page) is None
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR, route.reason
    assert "40,000 pieces" in route.reason
