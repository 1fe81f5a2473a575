"""page_furniture: page numbers and running heads found on real PyMuPDF pages."""
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from corpusmill.parsers.page_furniture import mark_furniture
from corpusmill.parsers.text_layer import read_page

A4 = (595, 842)
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _pages(draw_page, n: int = 4):
    doc = pymupdf.open()
    for i in range(n):
        draw_page(doc.new_page(width=A4[0], height=A4[1]), i)
    data = pymupdf.open("pdf", doc.tobytes())
    pages = [read_page(p) for p in data]
    mark_furniture(pages)
    return pages


def _kinds(page) -> dict[str, str]:
    return {b.text: b.kind for b in page.blocks}


def test_latex_page_number_above_the_bottom_tenth_is_found():
    # LaTeX's article class on A4 sets the folio at about 0.83-0.89 of the height.
    def draw(page, i):
        page.insert_text((72, 120), f"Body text of page {i + 1} with enough words to be a paragraph.")
        page.insert_text((72, 600), "Last line of the body on this page, which is no page number.")
        page.insert_text((295, 0.83 * A4[1]), str(i + 3))

    for i, page in enumerate(_pages(draw)):
        kinds = _kinds(page)
        assert kinds[str(i + 3)] == "page_number"
        assert all(k == "paragraph" for t, k in kinds.items() if t != str(i + 3))


def test_lone_number_further_in_than_the_outermost_block_is_kept():
    # A table's last cell ("42") above a footnote: not the page's edge block.
    def draw(page, i):
        page.insert_text((72, 120), "Body text of the page with enough words to be a paragraph.")
        page.insert_text((300, 680), "42")
        page.insert_text((72, 740), f"{i + 1} A footnote that differs on every page, number {i * 7}.")

    for page in _pages(draw):
        assert _kinds(page)["42"] == "paragraph"


def test_repeated_text_outside_the_edge_band_is_not_a_running_head():
    # A line repeated on every page at 0.2 of the height is content (a slide's
    # recurring item), not furniture; only lone numbers are looked for that far in.
    def draw(page, i):
        page.insert_text((72, 0.2 * A4[1]), "Sed commodo posuere pede")
        page.insert_text((72, 400), f"Different body text on page {i + 1}.")
        page.insert_text((72, 0.97 * A4[1]), "Running footer of the document")

    for page in _pages(draw):
        kinds = _kinds(page)
        assert kinds["Sed commodo posuere pede"] == "paragraph"
        assert kinds["Running footer of the document"] == "page_footer"


def test_letter_footer_in_three_columns_goes_whole(pdf_fixtures):
    # ntgclass's letter: "fax: 12345 abc", "telefoon: 080-613169" and "telefoon privé: 080-448664" side by
    # side on every page, the third column a line taller and so reaching past the footer band.
    with pymupdf.open(pdf_fixtures / "ntgclass--brief-sample.pdf") as doc:
        pages = [read_page(p) for p in doc]
    mark_furniture(pages)
    for page in pages:
        footer = [b for b in page.blocks if "080-" in b.text]
        assert len(footer) == 2 and all(b.kind == "page_footer" for b in footer)
    # The letter's body and its closing, at the foot of the last text, stay.
    assert any(b.kind == "paragraph" and "Dit is een test" in b.text for b in pages[0].blocks)
    assert any(b.kind == "paragraph" and "PS: panta rei" in b.text for b in pages[1].blocks)


def _parse(path):
    return _parse_bytes(path.read_bytes())


def test_running_header_of_a_one_page_document_is_furniture(pdf_fixtures):
    # One arXiv page: the header (title + page number) cannot repeat, it is set apart and smaller.
    doc = _parse(pdf_fixtures / "docling__2305.03393v1-pg9.pdf")
    header = "Optimized Table Tokenization for Table Structure Recognition"
    assert header not in doc.text
    removed = [b for b in doc.pages[0]["blocks"] if b["order"] is None]
    assert any(b["type"] == "page_header" and header in b["text"] for b in removed)
    # The body around it is kept.
    assert "OTSL" in doc.text


def test_journal_citation_footer_of_a_one_page_document_is_furniture(pdf_fixtures):
    doc = _parse(pdf_fixtures / "camelot__eu-018.pdf")
    assert "The EFSA Journal 2009" not in doc.text
    assert any(b["type"] == "page_footer" and "The EFSA Journal 2009" in b.get("text", "")
               for b in doc.pages[0]["blocks"])


def _one_page(draw) -> list:
    doc = pymupdf.open()
    draw(doc.new_page(width=A4[0], height=A4[1]))
    data = pymupdf.open("pdf", doc.tobytes())
    pages = [read_page(p) for p in data]
    mark_furniture(pages)
    return pages


_BODY = ("The body of the page is a paragraph of several lines set in the body size, long enough "
         "to be the most common size on the page and to read as text.")


def _body(page, y: float = 200) -> None:
    page.insert_textbox(pymupdf.Rect(72, y, 523, y + 200), " ".join([_BODY] * 3), fontsize=10)


def test_download_stamp_and_page_of_pages_footer_on_a_single_page():
    def draw(page):
        page.insert_text((72, 0.97 * A4[1]), "Downloaded from https://example.org/article/12 on 3 May 2021", fontsize=7)
        page.insert_text((72, 0.045 * A4[1]), "Page 3 of 12", fontsize=10)
        _body(page)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["Downloaded from https://example.org/article/12 on 3 May 2021"] == "page_footer"
    assert kinds["Page 3 of 12"] in ("page_number", "page_header")
    assert all(k == "paragraph" for t, k in kinds.items() if t.startswith("The body"))


def test_vertical_margin_stamp_is_a_margin_note_but_a_rotated_table_label_is_kept():
    def draw(page):
        _body(page)
        page.insert_text((30, 600), "jdoe on SERVER042 with PROPOSALS", fontsize=6, rotate=90)
        # A rotated label next to its table cells stays.
        page.insert_text((545, 700), "Household income", fontsize=8, rotate=90)
        page.insert_text((556, 650), "12.5", fontsize=8)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["jdoe on SERVER042 with PROPOSALS"] == "margin_note"
    assert kinds["Household income"] != "margin_note"


def test_single_page_rules_keep_headings_footnotes_and_body_lines_at_the_edges():
    def draw(page):
        # A section heading and a sentence at the top, a footnote and a URL footnote at the bottom.
        page.insert_text((72, 0.06 * A4[1]), "2. Example citations", fontsize=10)
        page.insert_text((72, 0.09 * A4[1]), "end of a sentence carried over from the page before.", fontsize=10)
        _body(page)
        page.insert_text((72, 0.95 * A4[1]), "1 A footnote set at the very bottom of the page", fontsize=8)
        page.insert_text((72, 0.98 * A4[1]), "3 http://example.org", fontsize=8)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["2. Example citations"] == "paragraph"
    assert kinds["end of a sentence carried over from the page before."] == "paragraph"
    assert kinds["1 A footnote set at the very bottom of the page"] == "paragraph"
    assert kinds["3 http://example.org"] == "paragraph"


def test_sentence_carried_over_with_its_footnote_number_is_body_text():
    # isomath's page 5 starts with the end of a sentence whose footnote marker follows its point
    # ("... sans-serif bold.1"); a running head ending in a section number stays furniture.
    def draw(page):
        page.insert_text((72, 0.11 * A4[1]), "alphabets for italic bold and sans-serif bold.1", fontsize=10)
        _body(page)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["alphabets for italic bold and sans-serif bold.1"] == "paragraph"

    def draw_head(page):
        page.insert_text((72, 0.05 * A4[1]), "Options of the package Section 2.1", fontsize=9)
        _body(page)

    assert _kinds(_one_page(draw_head)[0])["Options of the package Section 2.1"] == "page_header"


def test_download_stamp_on_a_scanned_page_is_left_out_of_the_ocr_text():
    # OCR page: the layout model may miss a small stamp; its shape at the edge is enough.
    src = pymupdf.open()
    page = src.new_page(width=A4[0], height=A4[1])
    _body(page)
    page.insert_text((72, 0.97 * A4[1]), "Downloaded from https://example.org on 3 May 2021", fontsize=11)
    scan = pymupdf.open()
    new = scan.new_page(width=A4[0], height=A4[1])
    new.insert_image(new.rect, pixmap=page.get_pixmap(dpi=150))
    doc = _parse_bytes(scan.tobytes())
    assert doc.pages[0]["route"] == "ocr"
    assert "body of the page" in doc.text
    assert "Downloaded from" not in doc.text
    assert any(b["type"] == "page_footer" for b in doc.pages[0]["blocks"] if b["order"] is None)


def _parse_bytes(data: bytes):
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    return parse_document(data, "application/pdf", ParseConfig(), PageReader())


def test_running_head_with_its_folio_on_a_single_page_is_furniture():
    # Book pages: "102 CHAPTER 2. ..." on even pages, "2.2. SECTION 105" on odd ones, body-sized,
    # a line's height above the body; a numbered heading in the same place stays.
    for head in ("102 CHAPTER 2. MATHEMATICAL INDUCTION", "2.2. EXAMPLES AND DISCUSSION 105"):
        def draw(page, head=head):
            page.insert_text((72, 0.12 * A4[1]), head, fontsize=10)
            _body(page, y=0.12 * A4[1] + 18)

        assert _kinds(_one_page(draw)[0])[head] == "page_header"

    def heading(page):
        page.insert_text((72, 0.12 * A4[1]), "5 Results and discussion", fontsize=10)
        _body(page, y=0.12 * A4[1] + 18)

    assert _kinds(_one_page(heading)[0])["5 Results and discussion"] == "paragraph"


def test_letter_spaced_page_label_and_labelled_url_footers_are_furniture():
    def draw(page):
        _body(page)
        page.insert_text((72, 0.95 * A4[1]), "Health Sector Financing by States 2012-13 P a g e |23", fontsize=11)

    assert _kinds(_one_page(draw)[0])["Health Sector Financing by States 2012-13 P a g e |23"] == "page_footer"

    def source(page):
        _body(page)
        page.insert_text((72, 0.97 * A4[1]), "Source: https://www.example.org/docs/abc0226", fontsize=9)

    assert _kinds(_one_page(source)[0])["Source: https://www.example.org/docs/abc0226"] == "page_footer"


def test_stamps_stacked_in_a_margin_and_a_folio_beside_the_body_are_furniture():
    def draw(page):
        _body(page)
        page.insert_text((560, 700), "Transition in adulthood, 2015, Vol. 113 47", fontsize=8, rotate=90)
        page.insert_text((572, 760), "Downloaded from https://example.org/article/113 on 24 October 2020",
                         fontsize=8, rotate=90)
        page.insert_text((560, 380), "239", fontsize=11)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["Transition in adulthood, 2015, Vol. 113 47"] == "margin_note"
    assert kinds["Downloaded from https://example.org/article/113 on 24 October 2020"] == "margin_note"
    assert kinds["239"] == "page_number"


def test_side_margin_line_repeated_on_every_page_is_a_margin_note():
    # On pages that are mostly a figure set sideways, one vertical line is no
    # margin stamp by itself; the same line on every page is one.
    def draw(page, i):
        page.insert_textbox(pymupdf.Rect(60, 100, 540, 300), f"Page {i} body. " + " ".join([_BODY] * 2), fontsize=10)
        page.insert_textbox(pymupdf.Rect(100, 320, 540, 800), " ".join([_BODY] * 4), fontsize=10, rotate=90)
        page.insert_text((40, 690), "jbell on DSKJLSW7X2PROD with PROPOSALS", fontsize=5, rotate=90)

    for page in _pages(draw):
        assert _kinds(page)["jbell on DSKJLSW7X2PROD with PROPOSALS"] == "margin_note"


def test_book_running_head_repeated_fourteen_hundredths_down_the_page():
    def draw(page, i):
        page.insert_text((72, 0.136 * A4[1]), f"{100 + 2 * i} CHAPTER 2. MATHEMATICAL INDUCTION", fontsize=10)
        page.insert_textbox(pymupdf.Rect(72, 0.136 * A4[1] + 8, 523, 700), " ".join([_BODY] * 4), fontsize=10)

    for page in _pages(draw):
        kinds = _kinds(page)
        assert [k for t, k in kinds.items() if "CHAPTER" in t] == ["page_header"]


def test_footer_of_a_page_turned_by_its_rotate_entry_is_found():
    # Stored landscape, shown portrait (/Rotate 90): text boxes are in the landscape system.
    doc = pymupdf.open()
    page = doc.new_page(width=842, height=595)
    page.insert_textbox(pymupdf.Rect(72, 80, 770, 500), " ".join([_BODY] * 5), fontsize=10)
    page.insert_text((380, 575), "Page 1 of 205", fontsize=6)
    page.set_rotation(90)
    pages = [read_page(p) for p in pymupdf.open("pdf", doc.tobytes())]
    mark_furniture(pages)
    assert (pages[0].width, pages[0].height) == (842, 595)
    assert _kinds(pages[0])["Page 1 of 205"] in ("page_number", "page_footer")


def test_running_footer_of_the_text_pages_is_left_out_of_an_ocr_page():
    # Slides: two with text, one whose body is a picture of a spreadsheet (read by OCR). The footer
    # in the text layer of all three repeats, so it is furniture; on the OCR page too.
    footer = "Miner PTO General Meeting - February 6, 2018"
    picture = pymupdf.open()
    sheet = picture.new_page(width=640, height=380)
    for i, row in enumerate(["Balance as of 9/12/17: 15,682", "Carryover expenses: 591",
                             "Membership dues received: 2,340", "Book fair proceeds: 4,118"]):
        sheet.insert_text((30, 60 + 60 * i), row, fontsize=24)
    src = pymupdf.open()
    for i in range(3):
        page = src.new_page(width=720, height=540)
        page.insert_text((40, 50), ["Did you know", "Upcoming events", "Treasurer Report"][i], fontsize=28)
        if i < 2:
            page.insert_textbox(pymupdf.Rect(40, 80, 680, 460), " ".join([_BODY] * 2), fontsize=16)
        else:
            page.insert_image(pymupdf.Rect(40, 70, 680, 450), pixmap=sheet.get_pixmap(dpi=144))
        page.insert_text((200, 520), footer, fontsize=12)
    doc = _parse_bytes(src.tobytes())
    assert doc.pages[2]["route"] == "ocr"
    assert "Membership dues" in doc.text
    assert footer not in doc.text
    assert "text_layer_furniture" not in doc.pages[2]


def test_page_number_under_a_download_stamp_is_found():
    # The stamp a repository prints above everything else leaves the folio second from the edge.
    def draw(page):
        page.insert_text((150, 14), "Downloaded from http://journal.example.org/ on July 12, 2017", fontsize=8)
        page.insert_text((526, 28), "445", fontsize=7.5)
        _body(page, y=60)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["445"] == "page_number"


def test_doi_footer_above_a_download_stamp_is_furniture():
    def draw(page):
        _body(page)
        page.insert_text((278, 812), "doi:10.1070/j.2022.00070", fontsize=8)
        page.insert_text((56, 826), "Downloaded from https://example.org/article/70 on 15 September 2022", fontsize=6)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["doi:10.1070/j.2022.00070"] == "page_footer"
    assert kinds["Downloaded from https://example.org/article/70 on 15 September 2022"] == "page_footer"


def test_form_number_and_a_url_with_its_folio_are_footers_on_a_single_page():
    def draw(page):
        _body(page)
        # A form's number and revision at the bottom left; a publisher's URL with the folio before it.
        page.insert_text((36, 0.95 * A4[1]), "DCF-F-2476-E  (R. 04/2014)", fontsize=8)
        page.insert_text((300, 0.9 * A4[1]), "1 www.example.org", fontsize=10)

    kinds = _kinds(_one_page(draw)[0])
    assert kinds["DCF-F-2476-E  (R. 04/2014)"] == "page_footer"
    assert kinds["1 www.example.org"] == "page_footer"
    assert all(k == "paragraph" for t, k in kinds.items() if t.startswith("The body"))


def test_body_size_comes_from_the_running_text_not_from_table_cells():
    # Sentences at 12 pt between tables of 10.5 pt cells: the header at 10.5 pt is smaller than
    # the body, so one line's height of space sets it apart; the sentences stay paragraphs.
    def draw(page):
        page.insert_text((130, 52), "Company Holdings Group Annual Prospectus", fontsize=10.5)
        assert page.insert_textbox(pymupdf.Rect(72, 72, 523, 160), " ".join([_BODY] * 2), fontsize=12) > 0
        for row in range(30):
            for col in range(4):
                page.insert_text((72 + 110 * col, 190 + 14 * row), f"{row * 1000 + col:,}.00", fontsize=10.5)

    pages = _one_page(draw)
    for b in pages[0].blocks:
        if b.bbox[1] >= 170:
            b.kind = "table"  # as the table finders leave them
    mark_furniture(pages)
    kinds = _kinds(pages[0])
    assert kinds["Company Holdings Group Annual Prospectus"] == "page_header"
    assert [k for t, k in kinds.items() if t.startswith("The body")] == ["paragraph"]


def test_running_foot_with_its_folio_over_a_source_line_touching_the_table_is_furniture(pdf_fixtures):
    # A Statistical Abstract page: "206  Law Enforcement, Courts, and Prisons" (8 pt, folio first)
    # over the source line, set right under the table's notes (6 pt) with no space between.
    doc = _parse(pdf_fixtures / "camelot__12s0324.pdf")
    assert "Law Enforcement, Courts, and Prisons" not in doc.text
    assert "Statistical Abstract of the United States: 2012" not in doc.text
    assert any(b["type"] == "page_footer" and "Law Enforcement" in b.get("text", "") for b in doc.pages[0]["blocks"])
    # The table's own notes right above it stay.
    assert "Except forcible rape and prostitution" in doc.text


def test_running_head_set_to_one_side_above_a_heading_beside_it_is_furniture(pdf_fixtures):
    # A Japanese financial statement: the company and report line sits top right, a section
    # heading starts lower left, less than two of its line heights further down.
    doc = _parse(pdf_fixtures / "camelot__twotables.pdf")
    assert "株式会社極洋(1301)" not in doc.text
    assert "連結株主資本等変動計算書" in doc.text


def test_ocr_footer_block_goes_whole_and_a_header_region_over_body_lines_keeps_them(pdf_fixtures):
    # A 1978 CACM page scan (OCRed): the journal footer is a block of short lines, "August 1978"
    # over "Volume 21" over "Number 8", of which only the middle one reads as a stamp. The
    # layout model calls a line near the top of the right column a header, though a formula
    # line of that column lies above it.
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    doc = parse_document((pdf_fixtures / "unstructured__a1977-backus-p21.pdf").read_bytes(), "application/pdf",
                         ParseConfig(), PageReader())
    assert doc.pages[0]["route"] == "ocr"
    for footer in ("August 1978", "Volume 21", "Number 8"):
        assert footer not in doc.text
    assert doc.text.count("by metacomposition") == 2


def test_margin_stamp_of_the_text_layer_is_left_out_of_the_ocr_text_of_its_page():
    # A landscape budget table page whose text layer is garbled (sent to OCR); its vertical
    # margin stamp "208 SUMMARY TABLES" is a margin note in the text layer, and its OCR line
    # in the side margin reads the same.
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, parse_document

    path = Path(__file__).resolve().parents[2].parent / "shared/corpora/pdf-real/pdfs/camelot__rotated_page.pdf"
    if not path.is_file():
        pytest.skip("pdf-real corpus not present")
    doc = parse_document(path.read_bytes(), "application/pdf", ParseConfig(), PageReader())
    assert doc.pages[0]["route"] == "ocr"
    assert "SUMMARY TABLES" not in doc.text
    assert any(b["type"] == "margin_note" for b in doc.pages[0]["blocks"] if b["order"] is None)
    assert "Adjusted Baseline by Category" in doc.text
    # A subtitle under the caption that the layout model boxes as a header stays.
    assert "(In billions of dollars)" in doc.text


def test_barcode_set_in_a_symbol_font_at_the_page_foot_is_furniture():
    # A printer's barcode drawn with ZapfDingbats bars (pdf.js's freeculture.pdf sets one at the
    # foot of each page), under a table of contents whose entries end in page numbers.
    def draw(page):
        page.insert_text((68, 60), "Them, Soon 287", fontsize=10)
        page.insert_text((68, 72), "More Formalities 287", fontsize=10)
        page.insert_text((100, 90), "Registration and Renewal 289", fontsize=9)
        _body(page)
        page.insert_text((20, 830), "\u275a\u2758\u2759\u275a\u2758\u2759\u275a\u2759\u275a\u2758" * 4,
                         fontsize=20, fontname="dejavu", fontfile=str(_DEJAVU))

    if not _DEJAVU.is_file():
        pytest.skip("DejaVu Sans not installed (Debian fonts-dejavu-core)")
    (page,) = _one_page(draw)
    kinds = {b.text[:12]: b.kind for b in page.blocks}
    assert [k for t, k in kinds.items() if "\u275a" in t] == ["page_footer"]
    assert kinds["Them, Soon 2"] == "paragraph"


def test_figure_labels_under_the_folio_band_are_kept(pdf_fixtures):
    # revtex's APS sample, page 6: "Clip A Frame Clip B Frame" labels a figure at 12% of the
    # page height, over its picture, far from any text below it, with the folio set aside.
    doc = pymupdf.open(pdf_fixtures / "revtex4-1--apssamp.pdf")
    pages = [read_page(p) for p in doc]
    mark_furniture(pages)
    (label,) = [b for b in pages[5].blocks if b.text.startswith("Clip A Frame")]
    assert label.kind == "paragraph"
