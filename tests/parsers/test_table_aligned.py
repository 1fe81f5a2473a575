"""Rule-less tables from column alignment: text-layer pages, OCR lines, sideways pages."""
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.page_ocr import ocr_page_blocks
from corpusmill.parsers.page_upright import sideways, turn_angle, turned
from corpusmill.parsers.tables import find_tables
from corpusmill.parsers.text_layer import read_page

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "pdf-real" / "pdfs"

# A rule-less table without a single number: its columns are only white space.
HEAD = ("Package", "Family", "Licence")
BODY = [("anttor", "Antykwa Torunska", "GUST"), ("concmath", "Concrete Roman", "LPPL"),
        ("lmodern", "Latin Modern", "GUST"), ("tex-gyre", "TeX Gyre Pagella", "GUST"),
        ("fourier", "Utopia Fourier", "LPPL")]
COLUMNS = (90, 200, 360)
PROSE = ("The fonts below come with TeX Live and can be loaded by their package name in the preamble "
         "of a document, which then sets the whole text in the chosen family.")


def _parse(draw, rotate: int = 0) -> list:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    draw(page)
    data = pymupdf.open("pdf", doc.tobytes())
    page = data[0]
    pt = read_page(page)
    if sideways(pt):
        page = turned(page, turn_angle(page))
        pt = read_page(page)
    find_tables(page, pt)
    return pt.blocks


def _table_page(page) -> None:
    page.insert_textbox((90, 60, 500, 120), PROSE, fontsize=10)
    for row, cells in enumerate([HEAD] + BODY):
        for x, cell in zip(COLUMNS, cells):
            page.insert_text((x, 150 + 16 * row), cell, fontsize=10)
    page.insert_textbox((90, 260, 500, 320), "After the table the running text goes on as usual, in full "
                        "sentences that fill the width of the text block from margin to margin.", fontsize=10)


def test_ruleless_table_without_numbers_keeps_each_cells_neighbours():
    blocks = _parse(_table_page)
    (table,) = [b for b in blocks if b.kind == "table"]
    lines = table.markdown.splitlines()
    assert lines[0] == "| Package | Family | Licence |"
    assert lines[2:] == [f"| {a} | {b} | {c} |" for a, b, c in BODY]
    others = " ".join(b.text for b in blocks if b.kind != "table")
    assert "preamble" in others and "After the table" in others and "Latin Modern" not in others


def test_two_columns_of_prose_are_no_table():
    words = PROSE.split()

    def draw(page):
        for i in range(12):
            left = " ".join(words[i % 5: i % 5 + 7])
            right = " ".join(words[(i + 2) % 6: (i + 2) % 6 + 7])
            page.insert_text((60, 100 + 13 * i), left, fontsize=10)
            page.insert_text((320, 100 + 13 * i), right, fontsize=10)

    assert not [b for b in _parse(draw) if b.kind == "table"]


def test_label_value_table_beside_a_text_column():
    labels = [("Reign", "959 to 975"), ("Predecessor", "Eadwig"), ("Successor", "Edward the Martyr"),
              ("Burial", "Glastonbury Abbey"), ("Father", "Edmund I")]
    prose = ("Edgar was King of the English from 959 until his death in 975 and he became king of all England "
             "on the death of his brother; a detailed account of his reign is not possible because only a few "
             "events were recorded by the chroniclers of the time").split()

    def draw(page):
        for i in range(8):
            page.insert_text((60, 100 + 14 * i), " ".join(prose[6 * i: 6 * i + 6]), fontsize=10)
        for i, (label, value) in enumerate(labels):
            page.insert_text((340, 100 + 14 * i), label, fontsize=10)
            page.insert_text((430, 100 + 14 * i), value, fontsize=10)

    blocks = _parse(draw)
    (table,) = [b for b in blocks if b.kind == "table"]
    assert "| Predecessor | Eadwig |" in table.markdown
    assert "| Burial | Glastonbury Abbey |" in table.markdown
    assert "King of the English" not in table.markdown
    assert "King of the English" in " ".join(b.text for b in blocks if b.kind != "table")


def test_table_set_sideways_is_read_turned_upright():
    def draw(page):
        # Text rotated by 90 degrees: a landscape table on a portrait page.
        for row, cells in enumerate([HEAD] + BODY):
            for x, cell in zip(COLUMNS, cells):
                page.insert_text((100 + 16 * row, 750 - x), cell, fontsize=10, rotate=90)

    blocks = _parse(draw)
    (table,) = [b for b in blocks if b.kind == "table"]
    assert "| lmodern | Latin Modern | GUST |" in table.markdown


def test_pdf_rotate_page_is_turned_and_keeps_its_whole_content():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for row, cells in enumerate([HEAD] + BODY):
        for x, cell in zip(COLUMNS, cells):
            page.insert_text((100 + 16 * row, 750 - x), cell, fontsize=10, rotate=90)
    page.set_rotation(90)
    data = pymupdf.open("pdf", doc.tobytes())
    src = data[0]
    pt = read_page(src)
    assert sideways(pt)
    up = turned(src, turn_angle(src))
    assert src.rotation == 90  # the source page is left as it was
    words = up.get_text("words")
    assert {w[4] for w in words} >= {"Package", "Pagella", "LPPL"}
    assert all(0 <= w[0] and w[2] <= up.rect.width and 0 <= w[1] and w[3] <= up.rect.height for w in words)


def test_ocr_lines_in_columns_become_a_table():
    def line(x: float, y: float, text: str) -> OcrLine:
        return OcrLine(text=text, bbox=(x, y, x + 11 * len(text), y + 24), confidence=0.99)

    lines = [line(100, 40, "Chunking results by strategy and size")]
    for r, cells in enumerate([("Strategy", "total chunks", "mean (std)"), ("Base 128", "64,058", "800.73 (484.11)"),
                               ("Base 256", "32,051", "400.64 (242.04)"), ("Chipper", "20,843", "260.57 (145.80)")]):
        lines += [line(x, 100 + 40 * r, c) for x, c in zip((100, 400, 700), cells)]
    lines.append(line(100, 300, "The table shows that smaller chunks give more of them."))
    text = _ocr_text(lines)
    assert text.startswith("Chunking results by strategy and size\n\n| Strategy | total chunks | mean (std) |")
    assert "| Base 256 | 32,051 | 400.64 (242.04) |" in text
    assert text.endswith("\n\nThe table shows that smaller chunks give more of them.")


@pytest.mark.skipif(not (CORPUS / "pymupdf__test_2979.pdf").exists(), reason="pdf-real corpus not present")
def test_prose_in_a_font_with_lines_tall_glyph_boxes_stays_prose():
    with pymupdf.open(CORPUS / "pymupdf__test_2979.pdf") as doc:
        page = doc[0]
        pt = read_page(page)
        find_tables(page, pt)
    prose = " ".join(b.text for b in pt.blocks if b.kind != "table")
    assert "Safety goals are top-level safety requirements for the item." in prose
    assert all("6.4.4" not in (b.markdown or "") for b in pt.blocks if b.kind == "table")


def test_three_narrow_columns_of_prose_are_no_table(pdf_fixtures):
    # Two pages set in three narrow columns (bench/pdf_layouts.py, German news sentences from
    # html-dev): lines of 2-4 words, side by side on shared baselines, read on as sentences.
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    doc = parse_document((pdf_fixtures / "layouts__three-columns-german.pdf").read_bytes(), "application/pdf",
                         ParseConfig(), PageReader())
    assert "|---" not in doc.text
    assert not any(b["type"] == "table" for p in doc.pages for b in p["blocks"])
    # Each column's sentences come out whole.
    assert "von einem Lager im Umland zu einem Kai gegenüber dem Eiffelturm geliefert" in doc.text
    assert "aus dem Ort am 25.9.2023 nur durch einen beherzten Sprung retten konnte" in doc.text


def test_a_column_of_lower_case_descriptions_stays_in_its_table():
    # The physics package manual (TeX Live dev set): command | result | description tables whose
    # descriptions are short phrases in lower case ("no spacing (not recommended)", "optional
    # power"): they do not run on from line to line as a text column does.
    path = Path(__file__).resolve().parents[2].parent / "shared/corpora/pdf/dev/files/physics--physics.pdf"
    if not path.is_file():
        pytest.skip("TeX Live dev corpus not present")
    doc = pymupdf.open(path)
    tables = []
    for number in (2, 4):  # pages 3 and 5
        page = doc[number]
        pt = read_page(page)
        find_tables(page, pt)
        tables += [b.markdown for b in pt.blocks if b.kind == "table"]
    assert any("| no spacing (not recommended) |" in t for t in tables)
    assert any("| optional power |" in t for t in tables)
    assert any("upright/no Greek |" in t for t in tables)


def _ocr_text(lines: list[OcrLine]) -> str:
    """An OCR page's text as the PDF job renders it (no layout model: a 200-dpi letter page)."""
    ordered, _ = ocr_page_blocks(lines, [None] * len(lines), 1700, 2200, [])
    return render_blocks(ordered)
