"""Page routing: each route with its reason, on real pages and on pages made from them."""
from __future__ import annotations

import pymupdf
import pytest

from corpusmill.parsers import page_router
from corpusmill.parsers.text_layer import Block, Line, PageText, read_page
from tests.parsers.conftest import million_paths_page


def _scanned(pdf_path, dpi: int = 100) -> pymupdf.Document:
    """An image-only PDF: each page of `pdf_path` rendered and placed as a full-page picture."""
    src = pymupdf.open(pdf_path)
    out = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, pixmap=pix)
    return out


def test_text_layer_route(pdf_fixtures):
    doc = pymupdf.open(pdf_fixtures / "revtex4-1--apssamp.pdf")
    page = doc[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.TEXT_LAYER
    assert route.reason.startswith("usable text layer")


def test_scanned_page_routes_to_ocr(pdf_fixtures):
    doc = _scanned(pdf_fixtures / "eledmac--1-tabular.pdf")
    page = doc[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("no text layer (0 chars, image covers 100%")


def test_invisible_text_over_a_scan_routes_to_ocr(pdf_fixtures):
    """An earlier OCR layer: invisible text (render mode 3) over a full-page image."""
    doc = _scanned(pdf_fixtures / "eledmac--1-tabular.pdf")
    page = doc[0]
    src = pymupdf.open(pdf_fixtures / "eledmac--1-tabular.pdf")[0]
    lines = [line for line in src.get_text().splitlines() if line.strip()][:40]
    page.insert_text((50, 60), "\n".join(lines), fontsize=8, render_mode=3)
    text = read_page(page)
    assert text.chars > 100
    route = page_router.route_page(page, text, llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("invisible text over a full-page image")


@pytest.mark.parametrize("junk, label", [
    ("\ufffd", "unmapped glyphs (U+FFFD)"),
    ("\ue021", "private-use characters"),
])
def test_garbled_text_layer_routes_to_ocr(junk, label):
    # Base-14 fonts cannot write these codes, so the text layer is built
    # directly: what MuPDF returns for glyphs without a Unicode mapping.
    doc = pymupdf.open()
    page = doc.new_page()
    line = " ".join(f"word{junk}{junk}x" for _ in range(12))
    lines = [Line(line, (40, 50 + 20 * i, 500, 60 + 20 * i), 9.0, False, False, 0) for i in range(10)]
    text = PageText(1, page.rect.width, page.rect.height, [Block(lines, (40, 50, 500, 250))])
    route = page_router.route_page(page, text, llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith(f"garbled text layer: {label}")


def test_mojibake_routes_to_ocr():
    doc = pymupdf.open()
    page = doc.new_page()
    for i in range(10):
        page.insert_text((40, 60 + 20 * i), "Ã©tÃ© Ã  la cafÃ© dÃ©jÃ  vu Ã¨re", fontsize=9)
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR and route.reason.startswith("garbled text layer: mojibake")


def test_empty_page_stays_on_text_layer():
    doc = pymupdf.open()
    page = doc.new_page()
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.TEXT_LAYER and route.reason == "empty page"


def test_formula_dense_page_goes_to_llm_only_when_configured():
    doc = pymupdf.open()
    page = doc.new_page()
    # Symbol is a math font for the router: most glyphs on this page are math.
    for i in range(12):
        page.insert_text((40, 60 + 20 * i), "a + b = c * d / e - f < g > h", fontsize=10, fontname="Symbol")
    page.insert_text((40, 400), "where the letters are numbers", fontsize=10)
    text = read_page(page)
    without = page_router.route_page(page, text, llm_enabled=False)
    with_llm = page_router.route_page(page, text, llm_enabled=True)
    assert without.route == page_router.TEXT_LAYER and "formula-dense" in without.reason
    assert "no LLM configured" in without.reason
    assert with_llm.route == page_router.LLM and with_llm.reason.startswith("hard page: formula-dense")


def test_picture_of_a_table_on_a_page_without_text_routes_to_ocr(pdf_fixtures):
    # The picture covers a tenth of the page: no text layer, yet words to read.
    doc = pymupdf.open(pdf_fixtures / "unstructured__single_table.pdf")
    page = doc[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("no text layer (0 chars, image covers 9%")


def test_blank_page_stays_empty_on_the_text_layer():
    doc = pymupdf.open()
    page = doc.new_page()
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert (route.route, route.reason) == (page_router.TEXT_LAYER, "empty page")


def test_text_hidden_under_a_scan_routes_to_ocr(pdf_fixtures):
    """A poor OCR layer painted first, the page image over it: visible text, but nobody sees it."""
    src = pymupdf.open(pdf_fixtures / "eledmac--1-tabular.pdf")[0]
    doc = pymupdf.open()
    page = doc.new_page(width=src.rect.width, height=src.rect.height)
    lines = [line for line in src.get_text().splitlines() if line.strip()][:40]
    page.insert_text((50, 60), "\n".join(lines), fontsize=8)
    page.insert_image(page.rect, pixmap=src.get_pixmap(dpi=72))
    text = read_page(page)
    assert text.chars > 100
    route = page_router.route_page(page, text, llm_enabled=False)
    assert route.route == page_router.OCR
    assert route.reason.startswith("text layer hidden under an image")
    # The same text painted over the picture is a usable text layer.
    doc2 = pymupdf.open()
    page2 = doc2.new_page(width=src.rect.width, height=src.rect.height)
    page2.insert_image(page2.rect, pixmap=src.get_pixmap(dpi=72))
    page2.insert_text((50, 60), "\n".join(lines), fontsize=8)
    assert page_router.route_page(page2, read_page(page2), llm_enabled=False).route == page_router.TEXT_LAYER


def test_page_drawing_a_million_tiny_paths_skips_drawing_analysis():
    """Bad input: the table finder and outline counting walk every path; such a page is read without them."""
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    doc = pymupdf.open()
    page = million_paths_page(doc)
    page.insert_text((72, 72), "A page whose content stream draws a million tiny paths.")
    data = doc.tobytes()
    assert page_router.too_many_drawings(pymupdf.open("pdf", data)[0])
    parsed = parse_document(data, "application/pdf", ParseConfig(), PageReader())
    assert "a million tiny paths" in parsed.text
    assert parsed.pages[0]["route_reason"].endswith("; ink not compared (content stream too large to analyse)")


def test_page_sized_picture_with_only_a_caption_in_the_text_layer_routes_to_ocr(pdf_fixtures):
    """Slides whose bodies are pictures of text: the text layer is the title, the words are in the image."""
    src = pymupdf.open(pdf_fixtures / "eledmac--1-tabular.pdf")[0]
    doc = pymupdf.open()
    page = doc.new_page(width=src.rect.width, height=src.rect.height)
    page.insert_text((50, 40), "Slide title over a picture of text", fontsize=14)
    page.insert_image(pymupdf.Rect(0, 60, page.rect.width, page.rect.height), pixmap=src.get_pixmap(dpi=72))
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert "the words are in the image" in route.reason
    # Paragraphs of real text beside the picture keep the page on its text layer.
    body = " ".join(line for line in src.get_text().splitlines() if line.strip())[:1500]
    page.insert_textbox(pymupdf.Rect(50, 45, page.rect.width - 50, 300), body, fontsize=6)
    assert page_router.route_page(page, read_page(page), llm_enabled=False).route == page_router.TEXT_LAYER


def test_cipher_shifted_text_layer_routes_to_ocr(pdf_fixtures):
    """A real arXiv page whose fonts map every glyph one letter off ("CnklZ" for "Dolma")."""
    page = pymupdf.open(pdf_fixtures / "olmocr__dolma-page-1.pdf")[0]
    route = page_router.route_page(page, read_page(page), llm_enabled=False)
    assert route.route == page_router.OCR
    assert "letters shifted by 1" in route.reason


CORPORA = pytest.importorskip("pathlib").Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def _real_texts() -> list[str]:
    """Real text in many languages: the HTML set's expected snippets per page, the TeX Live pages."""
    texts = []
    expectations = CORPORA / "html-dev" / "expectations.json"
    if expectations.is_file():
        import json

        pages = json.loads(expectations.read_text())
        texts += [" ".join(p.get("with", [])) for p in pages.values()]
    texts += [p.read_text() for p in sorted((CORPORA / "pdf" / "dev" / "gt").glob("*/page-*.txt"))]
    return [t for t in texts if sum("a" <= c <= "z" for c in t) >= page_router.MIN_CIPHER_LETTERS]


def _shift(text: str, k: int) -> str:
    return "".join(chr((ord(c) - 97 + k) % 26 + 97) if "a" <= c <= "z" else c for c in text)


def test_no_real_text_is_taken_for_a_cipher_and_shifted_ones_are_found():
    texts = _real_texts()
    if len(texts) < 50:
        pytest.skip("../shared/corpora not present")
    assert [t[:60] for t in texts if page_router.letter_shift(t)] == []
    # The same texts with their letters shifted are caught, whatever the shift.
    for k in (1, 2, 3, 13, 25):
        found = sum(page_router.letter_shift(_shift(t, -k)) is not None for t in texts)
        assert found >= 0.95 * len(texts), (k, found, len(texts))


def test_slide_of_picture_strips_with_a_title_routes_to_ocr(pdf_fixtures):
    """Three pictures of text, none half the page, together most of it: the words are in them."""
    src = pymupdf.open(pdf_fixtures / "eledmac--1-tabular.pdf")[0]
    pix = src.get_pixmap(dpi=72, clip=pymupdf.Rect(0, 100, src.rect.width, 300))
    doc = pymupdf.open()
    page = doc.new_page(width=720, height=540)
    page.insert_text((50, 40), "Option 1: indicated only in children", fontsize=20)
    for y in (60, 220, 380):
        page.insert_image(pymupdf.Rect(20, y, 700, y + 150), pixmap=pix)
    pt = read_page(page)
    assert 0.4 < pt.image_coverage and max(i["bbox"][3] - i["bbox"][1] for i in page.get_image_info()) < 200
    route = page_router.route_page(page, pt, llm_enabled=False)
    assert route.route == page_router.OCR and "the words are in the image" in route.reason
