"""The OCR route end to end: page images and image-only PDFs through PdfParse and the OCR engine.

Uses the layout module's OCR engine (`corpusmill.layout.ocr`); skipped where none is installed.
Pages are small so the whole module stays within seconds after the engine is loaded.
"""
from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.record import Record


def _text_image(text: str) -> Image.Image:
    doc = pymupdf.open()
    page = doc.new_page(width=360, height=70)
    page.insert_text((12, 42), text, fontsize=20)
    pix = page.get_pixmap(dpi=150)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _bytes(images: list[Image.Image], fmt: str) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, format=fmt, save_all=len(images) > 1, append_images=images[1:])
    return buf.getvalue()


@pytest.fixture(scope="module")
def ocr_stage(ocr_engine_name):
    s = PdfParse(timeout_s=120, ocr_engine=ocr_engine_name, memory_limit_mb=None)
    yield s
    s.close()


def _words(text: str) -> set[str]:
    return {w.strip(".,").lower() for w in text.split()}


def test_png_is_read_by_ocr(ocr_stage):
    content = _bytes([_text_image("Millstone grinds wheat")], "PNG")
    (rec,) = ocr_stage([Record(id="png", media_type="image/png", content=content)])
    assert rec.ok, rec.reason
    assert {"millstone", "grinds", "wheat"} <= _words(rec.text)
    (page,) = rec.pages
    assert page["route"] == "ocr" and page["route_reason"] == "raster image"
    assert 0 < page["ocr_confidence"] <= 1 and page["blocks"][0]["type"] == "text_line"
    assert rec.provenance[-1]["scores"]["pages_ocr"] == 1


def test_multipage_tiff_gives_one_page_per_frame(ocr_stage):
    content = _bytes([_text_image("First harvest page"), _text_image("Second harvest page")], "TIFF")
    (rec,) = ocr_stage([Record(id="tiff", media_type="image/tiff", content=content)])
    assert rec.ok, rec.reason
    assert rec.source["page_count"] == 2
    first, second = (rec.text[p["text_span"][0]:p["text_span"][1]] for p in rec.pages)
    assert "first" in _words(first) and "second" in _words(second)


def test_scanned_pdf_is_routed_to_ocr_and_read(ocr_stage):
    img = _text_image("Scanned granary ledger")
    doc = pymupdf.open()
    page = doc.new_page(width=360, height=70)
    page.insert_image(page.rect, stream=_bytes([img], "PNG"))
    (rec,) = ocr_stage([Record(id="scan", media_type="application/pdf", content=doc.tobytes())])
    assert rec.ok, rec.reason
    (info,) = rec.pages
    assert info["route"] == "ocr" and info["route_reason"].startswith("no text layer")
    assert {"granary", "ledger"} <= _words(rec.text)


def _paragraph_image() -> Image.Image:
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=300)
    lines = ["Scanned pages come in turned", "by a quarter or a half turn", "from feeders and phones,",
             "and the reader turns them back."]
    for i, line in enumerate(lines):
        page.insert_text((20, 50 + 40 * i), line, fontsize=18)
    pix = page.get_pixmap(dpi=120)
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_page_scanned_sideways_or_upside_down_is_turned_back(ocr_stage, turned):
    # PIL rotates counter-clockwise, so the reader must turn clockwise by the same angle.
    content = _bytes([_paragraph_image().rotate(turned, expand=True)], "PNG")
    (rec,) = ocr_stage([Record(id=f"rot{turned}", media_type="image/png", content=content)])
    assert rec.ok, rec.reason
    (page,) = rec.pages
    assert page["rotation"] == turned
    assert f"turned {turned} degrees" in page["route_reason"]
    assert {"scanned", "quarter", "feeders", "phones", "reader"} <= _words(rec.text)
    assert rec.text.index("Scanned") < rec.text.index("reader")


def test_upright_page_is_not_turned(ocr_stage):
    content = _bytes([_paragraph_image()], "PNG")
    (rec,) = ocr_stage([Record(id="rot0", media_type="image/png", content=content)])
    assert rec.ok, rec.reason
    assert "rotation" not in rec.pages[0]
    assert {"scanned", "quarter", "feeders", "phones", "reader"} <= _words(rec.text)


@pytest.mark.parametrize("with_layout", [True, False])
def test_layout_model_finds_running_header_and_headings_on_a_scan(ocr_engine_name, with_layout):
    # A real page's top (acmart sigconf p5 at 200 dpi): running header, a numbered section heading.
    from tests.conftest import FIXTURES

    content = (FIXTURES / "layout" / "acmart-sigconf-p0005-two-column.png").read_bytes()
    stage = PdfParse(timeout_s=120, ocr_engine=ocr_engine_name, memory_limit_mb=None, ocr_layout=with_layout)
    try:
        (rec,) = stage([Record(id="scan", media_type="image/png", content=content)])
    finally:
        stage.close()
    assert rec.ok, rec.reason
    (page,) = rec.pages
    types = [b["type"] for b in page["blocks"]]
    if with_layout:
        assert "The Name of the Title Is Hope" not in rec.text
        removed = [b for b in page["blocks"] if b["order"] is None]
        assert removed and all(b["type"] == "page_header" for b in removed)
        assert "SIGCHI EXTENDED ABSTRACTS" in " ".join(ln for ln in rec.text.splitlines() if ln.startswith("## "))
        assert {"paragraph", "heading2"} <= set(types)
    else:
        assert "The Name of the Title Is Hope" in rec.text
        assert not any(ln.startswith("## ") for ln in rec.text.splitlines())
        assert set(types) == {"text_line"}
    assert "sidebar: Place formatted text in the margin." in rec.text


def _tesseract_has(*names: str) -> bool:
    import shutil

    from corpusmill.layout.ocr import tesseract_languages

    binary = shutil.which("tesseract")
    return binary is not None and set(names) <= tesseract_languages(binary)


def test_scan_in_a_script_the_ocr_model_cannot_read_is_read_by_tesseract_in_that_script(ocr_stage, pdf_fixtures):
    # A scanned Russian form: the bundled recogniser read its Cyrillic as Latin look-alikes
    # ("aríoeca apa" for "Диагностическая карта").
    if not _tesseract_has("osd", "rus", "eng"):
        pytest.skip("needs Debian's tesseract-ocr-rus (make system-deps)")
    content = (pdf_fixtures / "pdfjs__issue7229-top.pdf").read_bytes()
    (rec,) = ocr_stage([Record(id="ru", media_type="application/pdf", content=content)])
    assert rec.ok, rec.reason
    (page,) = rec.pages
    assert "script Cyrillic, read by Tesseract (rus+eng)" in page["route_reason"]
    assert "Диагностическая карта Certificate of periodic technical inspection" in rec.text
    assert "Оператор технического осмотра" in rec.text
    # Tesseract is told the render dpi: at the 70 dpi it assumes for a PNG without one, it missed this line.
    assert "РЭО ОГИБДД ОВД ПО Г.О. ЖУКОВСКИЙ, 20.08.2011" in rec.text


def test_scan_in_latin_script_keeps_the_ocr_models_reading():
    from corpusmill.layout.page_script import reread

    if not _tesseract_has("osd"):
        pytest.skip("needs Debian's tesseract-ocr (osd)")
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=300)
    page.insert_textbox(pymupdf.Rect(20, 20, 400, 280), "The mill grinds the wheat into flour every morning, "
                        "and the baker carries the sacks across the yard before the sun is up. " * 3, fontsize=13)
    pix = page.get_pixmap(dpi=200)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
    assert reread(image, 200) is None


def test_emphasised_line_inside_a_sentence_stays_body_text(ocr_stage, pdf_fixtures):
    # A slide whose body is a picture of text; one line inside a sentence is set bold in colour,
    # which the layout model calls a title: it came out as "## years of age and older ...".
    content = (pdf_fixtures / "olmocr__slideshow_mostly_images-p8.pdf").read_bytes()
    (rec,) = ocr_stage([Record(id="slide", media_type="application/pdf", content=content)])
    assert rec.ok, rec.reason
    # The layout model's text region holds a run-in heading and its paragraph: split where the heading's
    # line ends short, the paragraph's lines joined.
    assert ("\n\n1 INDICATIONS AND USAGE\n\nDRUG-X is indicated for the treatment of pediatric patients 11 years "
            "of age and older with Condition-Y.\n\n") in rec.text
    assert "## Pediatric Patients" in rec.text  # the slide's own title stays a heading
    (page,) = rec.pages
    types = [b["type"] for b in page["blocks"] if b["order"] is not None]
    assert types.count("heading") < len(types) / 2


def _ocr_blocks(image: np.ndarray, engine_name: str, known: list[str]):
    """An upright page's typed blocks, built step by step from the layout module's public calls."""
    from corpusmill.layout.layout_model import detect_layout, line_regions
    from corpusmill.layout.ocr import get_ocr_engine
    from corpusmill.layout.orientation import read_upright
    from corpusmill.layout.reading_order import order_lines
    from corpusmill.parsers.page_model import BlockType
    from corpusmill.parsers.page_ocr import ocr_page_blocks

    read = read_upright(get_ocr_engine(engine_name), image)
    assert read.rotation == 0
    lines = order_lines(read.lines, image.shape[1])
    layout = detect_layout(image)
    regions = [None if i is None else (i, BlockType(layout[i].type)) for i in line_regions(lines, layout)]
    return ocr_page_blocks(lines, regions, image.shape[1], image.shape[0], known)


@pytest.mark.parametrize("name", ["acmart-sigconf-p0005-two-column.png", "oup-template-p0004-degraded-full.jpg"])
def test_ocr_page_text_is_its_typed_blocks_rendered_by_the_one_renderer(ocr_stage, ocr_engine_name, name):
    # Real scans (a clean two-column page, a degraded one with a table and references): the record's
    # text is `render_blocks` of the page's typed blocks, and its `pages[].blocks` are those blocks.
    from corpusmill.parsers.markdown import render_blocks
    from corpusmill.parsers.page_model import FURNITURE, BlockType, page_blocks
    from tests.conftest import FIXTURES

    path = FIXTURES / "layout" / name
    ordered, furniture = _ocr_blocks(np.array(Image.open(path).convert("RGB")), ocr_engine_name, [])
    assert all(isinstance(b.kind, BlockType) for b in ordered + furniture)
    assert {BlockType.PARAGRAPH, BlockType.HEADING} & {b.kind for b in ordered}
    assert all(b.kind in FURNITURE for b in furniture) and not any(b.kind in FURNITURE for b in ordered)
    # Paragraphs are blocks of lines, not a block a line.
    assert max(len(b.lines) for b in ordered if b.kind == BlockType.PARAGRAPH) >= 4
    media = "image/png" if name.endswith(".png") else "image/jpeg"
    (rec,) = ocr_stage([Record(id=name, media_type=media, content=path.read_bytes())])
    assert rec.ok, rec.reason
    assert rec.text == render_blocks(ordered).strip()
    assert rec.pages[0]["blocks"] == [b.as_record() for b in page_blocks(ordered, furniture)]


def test_table_on_a_scan_is_a_table_block(ocr_engine_name):
    # The degraded oup page's citation table: lines lining up in columns make one typed table block,
    # rendered where its first line was, the prose around it in blocks of its own.
    from corpusmill.parsers.markdown import render_blocks
    from corpusmill.parsers.page_model import BlockType
    from tests.conftest import FIXTURES

    image = np.array(Image.open(FIXTURES / "layout" / "oup-template-p0004-degraded-full.jpg").convert("RGB"))
    ordered, _ = _ocr_blocks(image, ocr_engine_name, [])
    (table,) = [b for b in ordered if b.kind == BlockType.TABLE]
    assert table.markdown.startswith("| ") and "\\citeyearpar{key}" in table.markdown
    text = render_blocks(ordered)
    assert table.markdown in text
    assert text.index("Fig. 2. This is a widefig.") < text.index(table.markdown)


def test_region_splits_into_paragraphs_where_a_line_ends_short_but_not_inside_a_broken_word():
    from corpusmill.layout.ocr_lines import OcrLine
    from corpusmill.parsers.markdown import render_blocks
    from corpusmill.parsers.page_model import BlockType
    from corpusmill.parsers.page_ocr import ocr_page_blocks

    texts = ["The mill grinds the wheat into flour every morning and the", "baker carries the sacks away.",
             "Then the carts leave the yard for the market in the town of", "Wald-",
             "hausen, where the flour is sold by the sack before noon."]
    lines = [OcrLine(t, (100, 100 + 40 * i, 100 + 18 * len(t), 130 + 40 * i), 0.99) for i, t in enumerate(texts)]
    ordered, furniture = ocr_page_blocks(lines, [(0, BlockType.PARAGRAPH)] * len(lines), 1700, 2200, [])
    assert not furniture
    assert [len(b.lines) for b in ordered] == [2, 3] and {b.kind for b in ordered} == {BlockType.PARAGRAPH}
    assert render_blocks(ordered) == (
        "The mill grinds the wheat into flour every morning and the baker carries the sacks away.\n\n"
        "Then the carts leave the yard for the market in the town of Waldhausen, where the flour is sold "
        "by the sack before noon.")
