"""page_furniture: page numbers and running heads found on real PyMuPDF pages."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.page_furniture import mark_furniture
from corpusmill.parsers.text_layer import read_page

A4 = (595, 842)


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
