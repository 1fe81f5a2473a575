"""text_layer: TeX-style spacing accents and stacked sub/superscripts read as words."""
from __future__ import annotations

from pathlib import Path

import pymupdf

from corpusmill.parsers.text_layer import TEXT_FLAGS, page_words, read_page, unmerged_lines
from tests.conftest import FIXTURES

# Arabic tables from the camelot test suite: lam-alef ligatures in running text and in cells.
ARABIC = FIXTURES / "pdf" / "camelot__arabic.pdf"


def _page_text(draw) -> str:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    draw(page)
    data = pymupdf.open("pdf", doc.tobytes())
    return "\n".join(b.text for b in read_page(data[0]).blocks)


def test_spacing_accent_glyph_is_composed_with_its_letter():
    def draw(page):
        # Drawn as TeX does: the accent glyph, then the letter under it.
        page.insert_text((40, 60), "telefoon priv", fontsize=11)
        x = 40 + pymupdf.get_text_length("telefoon priv", fontsize=11)
        page.insert_text((x + 1, 60), "\u00b4", fontsize=11)
        page.insert_text((x, 60), "e: 080", fontsize=11)
        page.insert_text((40, 90), "co\u00a8ordinator", fontsize=11)

    text = _page_text(draw)
    assert "telefoon privé: 080" in text
    assert "coördinator" in text
    assert "\u00b4" not in text and "\u00a8" not in text


def test_backtick_in_code_is_not_taken_for_an_accent():
    text = _page_text(lambda page: page.insert_text((40, 60), "run `ls` here", fontsize=11))
    assert "`ls`" in text


def test_subscript_stacked_under_a_superscript_stays_in_its_formula():
    def draw(page):
        page.insert_text((40, 60), "CrO", fontsize=11)
        x = 40 + pymupdf.get_text_length("CrO", fontsize=11)
        page.insert_text((x, 56), "2-", fontsize=8)  # superscript first, as TeX sets it
        page.insert_text((x, 63), "4", fontsize=8)   # then the pen goes back for the subscript
        page.insert_text((40, 120), "next paragraph", fontsize=11)

    text = _page_text(draw)
    assert "CrO42-" in text.replace(" ", "")
    assert text.splitlines()[0].replace(" ", "") == "CrO42-"


def test_ion_count_under_its_charge_stays_in_its_line_when_the_line_goes_on(pdf_fixtures):
    # chemformula's manual: "NH4+ Na+" with the 4 set under the +, then more ions on the same line.
    # MuPDF starts a new line at the 4 (the pen moves back left), which took "Na+" along with it.
    page = pymupdf.open(pdf_fixtures / "chemformula--chemformula-manual-p14.pdf")[0]
    lines = [line.text for b in read_page(page).blocks for line in b.lines]
    assert "NH4+ Na+" in lines
    assert "SO42– NH4+ Na+" in lines
    assert "C5H11+ SO42–" in lines
    assert not any(line.startswith("4 Na") for line in lines)
    # Table cells read by MuPDF's own lines get the same.
    assert "NH4+ Na+" in [line.text for line in unmerged_lines(page)]


def test_rows_of_a_small_matrix_in_running_text_stay_apart():
    def draw(page):
        # An identity matrix set inline, rows "1 0" over "0 1", then the sentence goes on.
        page.insert_text((40, 60), "the identity matrix", fontsize=11)
        x = 40 + pymupdf.get_text_length("the identity matrix ", fontsize=11)
        page.insert_text((x, 56), "1 0", fontsize=7)
        page.insert_text((x, 63), "0 1", fontsize=7)
        page.insert_text((x + 12, 60), " without braces", fontsize=11)

    text = _page_text(draw)
    assert "0 11 0" not in text and "1 00 1" not in text


def test_check_marks_of_an_embedded_dingbat_subset_stay_in_their_table_cells(pdf_fixtures):
    # isomath's table of fonts marks each supported shape with pifont's \\ding{51} (a check mark) from
    # an embedded Dingbats subset without an encoding: MuPDF reads its glyph name "a19" as U+0013,
    # and the cells came out empty.
    page = pymupdf.open(pdf_fixtures / "isomath--isomath-p13.pdf")[0]
    text = read_page(page).raw_text
    assert "\x13" not in text
    lines = {line.text for line in unmerged_lines(page)}
    assert "\u2022" in lines


def test_unmapped_dingbat_glyphs_are_bullets_not_letters():
    def draw(page):
        page.insert_text((40, 60), "Figure 1: scatter plot", fontsize=11)
        # Base-14 ZapfDingbats, not embedded and without a ToUnicode map: the
        # plot marks R draws; MuPDF reports them as ASCII letters.
        page.insert_text((40, 90), "lGl", fontsize=8, fontname="zadb")

    text = _page_text(draw)
    assert "Figure 1: scatter plot" in text
    marks = text.splitlines()[-1]
    assert marks.strip() and not any(c.isalnum() for c in marks)


def test_symbol_font_private_use_glyphs_read_as_greek():
    """Word's SymbolMT embedded without a Unicode map: MuPDF gives U+F061 for alpha."""
    from pathlib import Path

    import pytest

    path = Path(__file__).resolve().parents[2].parent / "shared/corpora/pdf-real/pdfs/olmocr__lots_of_chem_tables.pdf"
    if not path.is_file():
        pytest.skip("../shared/corpora not present")
    text = "\n".join(read_page(page).raw_text for page in pymupdf.open(path))
    assert "α-cyano-4-hydroxycinnamic" in text
    assert not any("\uf020" <= c <= "\uf0ff" for c in text)


def test_lam_alef_ligature_reads_lam_first_in_arabic_text():
    # MuPDF expands the ligature glyph into lam + alef but gives the alef no width at the
    # glyph's far edge, so right-to-left it came out first ("والية" for "ولاية").
    with pymupdf.open(ARABIC) as doc:
        text = read_page(doc[0]).raw_text
    assert "ولاية" in text
    assert "والية" not in text
    assert "الشمال" in text  # alef before lam drawn as two glyphs stays as it is


def test_lam_alef_ligature_reads_lam_first_in_table_cells_too():
    # Tables read MuPDF's unmerged lines (one per cell); they start from the same repaired text.
    with pymupdf.open(ARABIC) as doc:
        cells = [line.text for line in unmerged_lines(doc[0])]
    assert any("ولاية" in cell for cell in cells)
    assert not any("والية" in cell for cell in cells)


def test_page_drawn_on_after_reading_is_read_again_as_it_is_now():
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 40), "First line")
    assert read_page(page).raw_text == "First line"
    page.insert_text((20, 120), "Second line")
    assert read_page(page).raw_text.splitlines() == ["First line", "Second line"]


def test_lam_alef_ligature_reads_lam_first_in_words_that_tables_are_built_from():
    with pymupdf.open(ARABIC) as doc:
        words = page_words(doc[0], TEXT_FLAGS)
        plain = doc[0].get_text("words", flags=TEXT_FLAGS)
    texts = [w[4] for w in words]
    assert "ولاية" in texts and "والية" not in texts
    assert "الشمال" in texts
    # Only the text changes: boxes and MuPDF's block/line/word numbers stay.
    assert [w[:4] + w[5:] for w in words] == [w[:4] + w[5:] for w in plain]


def test_rupee_sign_of_a_pre_unicode_rupee_font_is_read_as_the_rupee_sign():
    # An Indian state finance table whose note sets "₹" in Rupee Foradian, which draws it at "`".
    path = FIXTURES / "pdf" / "camelot__superscript.pdf"
    with pymupdf.open(path) as doc:
        text = read_page(doc[0]).raw_text
    assert "Includes ₹2.45 crore outstanding" in text
    assert "`" not in text
