"""Glyphs of fonts with a wrong or missing Unicode map are read by their shapes; sound fonts are left alone."""
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from corpusmill.parsers import glyph_shapes
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import TEXT_FLAGS, read_page

ROOT = Path(__file__).resolve().parents[2]
PDF_REAL = ROOT.parent / "shared" / "corpora" / "pdf-real" / "pdfs"


def _parse(path: Path) -> str:
    return parse_document(path.read_bytes(), "application/pdf", ParseConfig(), PageReader()).text


def _displayed(text: str) -> list[str]:
    return [r.replace(" ", "") for r in re.findall(r"\$\$\n(.*?)\n\$\$", text, re.S)]


def test_publisher_symbol_fonts_with_lying_maps_read_by_shape(pdf_fixtures):
    # A journal page whose math fonts map a plus sign to "z", "=" to "5" or "~", parentheses to
    # "ð"/"Þ", Phi to "W" and gamma to "c" (their ToUnicode maps say so).
    page = pymupdf.open(pdf_fixtures / "pymupdf__test_3780-p2.pdf")[0]
    raw = page.get_text("text")
    assert "W(x, y, z) 5 WDC(x, y, z) 1 WAC(x, y, z)" in raw  # what MuPDF reads
    text = " ".join(b.text for b in read_page(page).blocks)
    assert "Φ(x, y, z) = ΦDC(x, y, z) + ΦAC(x, y, z)" in text
    assert "γ controls the anisotropy" in text and "ν ∈ {x, y, z}" in text
    # Prose around it is untouched.
    assert "A generic quadrupole Paul trap can be formed by electrodes" in text


def test_repaired_formulas_become_latex(pdf_fixtures):
    rows = _displayed(_parse(pdf_fixtures / "pymupdf__test_3780-p2.pdf"))
    assert r"\Phi_{DC}(x,y,z)=\frac{U_{0}}{d_{0}^{2}}[(1+\gamma)x^{2}+(1-\gamma)y^{2}-2z^{2}],\tag{1}" in rows
    assert r"\Phi_{AC}(x,y,z)=\frac{V_{0}\cos(\Omega_{T}t)}{d_{0}^{2}}(x^{2}+y^{2}-2z^{2}).\tag{2}" in rows
    # Vector arrows set over their letter are accents, not relations.
    assert any(r.startswith(r"\vec{r}(t)=\vec{r}^{(0)}+\vec{r}^{(1)}\cos(\Omega_{T}t)") for r in rows)
    # No row keeps a literal script marker of a misread layout.
    assert not any("__" in r for r in rows)


def test_fraction_with_tall_unmapped_parentheses(pdf_fixtures):
    # Its big parentheses have no Unicode at all (U+FFFD) in a font that is no TeX extension font.
    rows = _displayed(_parse(pdf_fixtures / "mineru__demo1-p3.pdf"))
    assert r"Q_{\%}=a+b(\DeltaP)+\frac{Y}{1+\exp(\frac{T-T_{half}}{S})}\tag{2}" in rows
    assert r"Q_{\%}=f(P)+g(T)\tag{1}" in rows


@pytest.mark.parametrize("name", ["revtex4-1--apssamp.pdf", "ntgclass--brief-sample.pdf", "eledmac--1-tabular.pdf"])
def test_sound_fonts_are_left_alone(pdf_fixtures, name):
    # TeX documents, most of whose fonts carry no ToUnicode map: their glyph names are right, and
    # no page's text may change.
    with pymupdf.open(pdf_fixtures / name) as doc:
        for page in doc:
            data = page.get_text("dict", flags=TEXT_FLAGS)
            assert glyph_shapes.find_fixes(page, data) is None


@pytest.mark.skipif(not PDF_REAL.is_dir(), reason="pdf-real corpus not present")
def test_tall_bar_pieces_of_an_extension_font_stay_one_bar():
    rows = _displayed(_parse(PDF_REAL / "mineru__demo2.pdf"))
    assert any(r"F_{q}^{i-1}|D_{q}^{i-1}-d_{p}|" in r for r in rows)
    assert not any("||" in r for r in rows)


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
_LIES = "WcnbzPQ5xRTKLM"


def _lying_pdf(formula: str, covered: str = "") -> bytes:
    """A page whose formula is set in an embedded font (not one of the reference fonts) whose
    ToUnicode map sends every glyph to an ASCII letter or digit, and spaces to a control code.
    `covered`: a tail of the formula that a white box drawn after it paints over."""
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    page.insert_text((20, 40), "The energy of the state is written as follows in this paper:", fontname="tiro",
                     fontsize=10)
    page.insert_font(fontname="F0", fontfile=str(DEJAVU))
    shown = formula[:len(formula) - len(covered)]
    page.insert_text((60, 80), shown, fontname="F0", fontsize=12)
    if covered:
        # Its own text run, on the same line in the same font (one span with the rest for MuPDF).
        x = 60 + pymupdf.Font(fontfile=str(DEJAVU)).text_length(shown, fontsize=12)
        page.insert_text((x, 80), covered, fontname="F0", fontsize=12)
        page.draw_rect(pymupdf.Rect(x - 0.5, 60, 390, 90), color=None, fill=(1, 1, 1))
    page.insert_text((20, 120), "where the parameters are chosen freely by the reader.", fontname="tiro", fontsize=10)
    doc.subset_fonts()  # as typesetters embed them: the glyphs used, not the whole font
    gids: list[int] = []
    for span in page.get_texttrace():
        gids += [gid for ucs, gid, *_ in span["chars"] if "DejaVu" in span["font"] and ucs != 32 and gid not in gids]
    pairs = "".join(f"<{g:04x}> <{ord(_LIES[i % len(_LIES)]):04x}>\n" for i, g in enumerate(gids))
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo <</Registry(Adobe)/Ordering(UCS)/Supplement 0>> def\n/CMapName /Adobe-Identity-UCS def\n"
            "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{len(gids)} beginbfchar\n{pairs}endbfchar\nendcmap\n"
            "CMapName currentdict /CMap defineresource pop\nend\nend\n")
    font = next(x for x, _e, _t, base, *_ in page.get_fonts() if "DejaVu" in base)
    doc.update_stream(int(doc.xref_get_key(font, "ToUnicode")[1].split()[0]), cmap.encode())
    return doc.tobytes()


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Serif (Debian fonts-dejavu-core) not installed")
def test_any_font_with_a_lying_map_is_read_by_shape():
    content = _lying_pdf("Φ(x) = α + β − γ × 2")
    assert "Φ" not in pymupdf.open("pdf", content)[0].get_text()  # MuPDF believes the map
    text = parse_document(content, "application/pdf", ParseConfig(), PageReader()).text
    assert _displayed(text) == [r"\Phi(x)=\alpha+\beta-\gamma\times2"]
    assert "The energy of the state is written as follows in this paper:" in text


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Serif (Debian fonts-dejavu-core) not installed")
def test_glyphs_read_by_shape_stay_so_where_part_of_their_span_is_painted_over():
    # The formula's tail is under a white box: the visible glyphs are still read by their shapes
    # (leaving the covered ones out rebuilt the span from MuPDF's characters, the lying ones).
    content = _lying_pdf("Φ(x) = α + β − γ × 2", covered="× 2")
    doc = parse_document(content, "application/pdf", ParseConfig(), PageReader())
    assert _displayed(doc.text) == [r"\Phi(x)=\alpha+\beta-\gamma"]
    assert "3 characters painted over left out" in doc.pages[0]["route_reason"]
