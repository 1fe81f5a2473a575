"""Displayed formulas become LaTeX from glyph positions; prose stays prose; unreadable formulas keep their text."""
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from corpusmill.parsers import math_latex
from corpusmill.parsers.formula_blocks import mark_formulas
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import read_page

ROOT = Path(__file__).resolve().parents[2]
PDF_REAL = ROOT.parent / "shared" / "corpora" / "pdf-real" / "pdfs"
TEX_DEV = ROOT.parent / "shared" / "corpora" / "pdf" / "dev" / "files"
PROSE = "The value 2 is shown in Table 3, and x is set in italics here."


def _pdf(draw) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    draw(page)
    return doc.tobytes()


def _formula_page(page: pymupdf.Page) -> None:
    page.insert_text((20, 30), PROSE, fontname="tiro", fontsize=9)
    # x^2 + y_i = z with a fraction a/b over a drawn rule, as TeX sets them.
    page.insert_text((40, 60), "x", fontname="tiit", fontsize=10)
    page.insert_text((45.5, 56), "2", fontname="tiro", fontsize=7)
    page.insert_text((52, 60), "+", fontname="symb", fontsize=10)
    page.insert_text((60, 60), "y", fontname="tiit", fontsize=10)
    page.insert_text((65, 62), "i", fontname="tiit", fontsize=7)
    page.insert_text((70, 60), "=", fontname="symb", fontsize=10)
    page.insert_text((102, 54), "a", fontname="tiit", fontsize=10)
    page.draw_line((100, 57.5), (110, 57.5), width=0.4)
    page.insert_text((102, 67), "b", fontname="tiit", fontsize=10)
    page.insert_text((20, 100), PROSE, fontname="tiro", fontsize=9)


def _parse(content: bytes) -> str:
    return parse_document(content, "application/pdf", ParseConfig(), PageReader()).text


def _displayed(text: str) -> list[str]:
    return re.findall(r"\$\$\n(.*?)\n\$\$", text, re.S)


def test_scripts_from_baselines_and_fraction_over_a_rule():
    text = _parse(_pdf(_formula_page))
    assert _displayed(text) == [r"x^{2} + y_{i} = \frac{a}{b}"]
    # Prose with digits and italics around it is untouched, in order.
    assert text.count(PROSE) == 2
    assert text.index(PROSE) < text.index("$$") < text.rindex(PROSE)
    assert "$" not in text.replace("$$", "")


def test_page_without_math_pays_nothing_and_is_unchanged():
    content = _pdf(lambda page: page.insert_text((20, 30), PROSE, fontname="tiro", fontsize=9))
    page = pymupdf.open("pdf", content)[0]
    pt = read_page(page)
    before = [(b.kind, b.text) for b in pt.blocks]
    mark_formulas(page, pt)
    assert [(b.kind, b.text) for b in pt.blocks] == before
    assert "$" not in _parse(content)


def test_formula_the_converter_cannot_read_keeps_its_text_typed_formula():
    def draw(page):
        page.insert_text((20, 30), PROSE, fontname="tiro", fontsize=9)
        page.insert_text((40, 60), "( ) = ( )", fontname="symb", fontsize=10)

    page = pymupdf.open("pdf", _pdf(draw))[0]
    pt = read_page(page)
    mark_formulas(page, pt)
    formulas = [b for b in pt.blocks if b.kind == "formula"]
    assert len(formulas) == 1 and formulas[0].markdown is None
    assert formulas[0].text.replace(" ", "") == "()=()"
    text = _parse(_pdf(draw))
    assert "( ) = ( )" in text and "$$" not in text


def test_numbers_with_minus_signs_stay_text():
    def draw(page):
        page.insert_text((40, 60), "\u22121.25    \u22123.40    5.10", fontname="helv", fontsize=9)

    assert "$" not in _parse(_pdf(draw))


def test_bulleted_item_in_a_symbol_font_stays_a_list_item():
    def draw(page):
        page.insert_text((40, 60), "\u25cf", fontname="symb", fontsize=9)
        page.insert_text((50, 60), "C", fontname="helv", fontsize=9)

    page = pymupdf.open("pdf", _pdf(draw))[0]
    pt = read_page(page)
    mark_formulas(page, pt)
    assert [b.kind for b in pt.blocks] == ["paragraph"]


def test_unmapped_glyph_outside_an_extension_font_is_not_guessed():
    glyph = {"c": "\ufffd", "bbox": (0, 0, 5, 10), "origin": (0, 8), "size": 10.0, "font": "CMMI10", "flags": 0}
    assert math_latex.to_latex([glyph], []) is None


def test_latex_to_text_shows_the_glyphs():
    # Scripts stay on their base as in a text layer; limits and fraction parts are apart.
    assert math_latex.latex_to_text(r"\sum_{i=0}^{n}x_{i} = \frac{\pi}{2}\tag{1}").split() == \
        ["∑", "i=0", "n", "xi", "=", "π", "2", "1"]
    assert math_latex.latex_to_text(r"\begin{pmatrix}a & b \\ c & d\end{pmatrix}").split() == ["a", "b", "c", "d"]


def test_revtex_fixture_equations(pdf_fixtures):
    text = _parse((pdf_fixtures / "revtex4-1--apssamp.pdf").read_bytes())
    rows = _displayed(text)
    assert any(r"(4E_{1}E_{2})^{1/2}" in r and r"\delta_{\sigma_{1},-\sigma_{2}}" in r for r in rows)
    assert any(r"\sum_{i<j}" in r for r in rows)


@pytest.mark.skipif(not PDF_REAL.is_dir(), reason="pdf-real corpus not present")
def test_real_paper_fraction_with_bars_and_scripts():
    text = _parse((PDF_REAL / "mineru__test.pdf").read_bytes())
    want = (r"C(p,\bar{p})\leftarrow\frac{(1-\lambda)\cdot C(p,\bar{p})+\lambda\cdot w_{t}(p,p_{t-1})\cdot "
            r"C_{a}(p,\bar{p})}{(1-\lambda)+\lambda\cdot w_{t}(p,p_{t-1})}")
    assert any(r.replace(" ", "").startswith(want.replace(" ", "")) and r.endswith(r"\tag{1}") for r in _displayed(text))
    assert "Trump graduated from the Wharton School" in text


@pytest.mark.skipif(not PDF_REAL.is_dir(), reason="pdf-real corpus not present")
def test_real_exam_limits_and_radical():
    text = _parse((PDF_REAL / "pymupdf__test_5049.pdf").read_bytes())
    rows = [r.replace(" ", "") for r in _displayed(text)]
    assert r"(a)\lim_{x\rightarrow3}\frac{x^{2}-9}{x-3}" in rows
    assert r"(b)\lim_{x\rightarrow+\infty}\frac{3x+2}{\sqrt{x^{2}+4x-7}}" in rows
    assert r"\sum_{i=1}^{n}i=\frac{n(n+1)}{2}" in rows
    assert r"\overline{A\capB}=\overline{A}\cup\overline{B}" in rows


@pytest.mark.skipif(not (TEX_DEV / "physics--physics.pdf").is_file(), reason="TeX Live dev corpus not present")
def test_matrix_between_tall_delimiters():
    rows = [r.replace(" ", "") for r in _displayed(_parse((TEX_DEV / "physics--physics.pdf").read_bytes()))]
    assert r"\begin{pmatrix}1&0&a\\0&1&b\\c&d&e\end{pmatrix}" in rows


def test_equation_broken_off_at_an_operator_is_a_formula():
    # The rest of the equation (a fraction) stands beside it; "Nzero" is N with its subscript glued on.
    assert math_latex.is_formula_text("Nzero = a +b(ΔP) +", 6)
    assert not math_latex.is_formula_text("Nzero = a +b(ΔP)", 6)
    # Prose never ends on an operator with math glyphs around it.
    assert not math_latex.is_formula_text("the totals were equal in both of the groups, = and +", 0)
