"""tables: booktabs-style borderless tables become Markdown; rule-framed text stays text."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.tables import find_tables
from corpusmill.parsers.text_layer import read_page

LEFT, RIGHT = 90, 420
COLUMNS = (95, 200, 330)


def _page(draw) -> list:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    draw(page)
    data = pymupdf.open("pdf", doc.tobytes())
    pt = read_page(data[0])
    find_tables(data[0], pt)
    return pt.blocks


def _rule(page, y: float, width: float = 0.8) -> None:
    page.draw_line((LEFT, y), (RIGHT, y), width=width)


def _row(page, y: float, cells: tuple[str, ...]) -> None:
    for x, cell in zip(COLUMNS, cells):
        page.insert_text((x, y), cell, fontsize=10)


BODY = [("antt", "Antykwa Torunska", "anttor"), ("cmr", "Computer Modern", "base"),
        ("ccr", "Concrete Roman", "concmath"), ("lmr", "Latin Modern Roman", "lmodern")]


def test_booktabs_table_with_bottom_rule_is_markdown():
    def draw(page):
        page.insert_text((LEFT, 80), "Table 1: Font families and their packages", fontsize=10)
        _rule(page, 90, 0.8)
        _row(page, 104, ("Name", "Family", "Package"))
        _rule(page, 110, 0.5)
        for i, cells in enumerate(BODY):
            _row(page, 124 + 15 * i, cells)
        _rule(page, 124 + 15 * len(BODY) - 6, 0.8)
        page.insert_text((LEFT, 220), "A paragraph after the table goes on in running text as usual.", fontsize=10)

    blocks = _page(draw)
    (table,) = [b for b in blocks if b.kind == "table"]
    rows = table.markdown.splitlines()
    assert rows[0] == "| Name | Family | Package |"
    assert rows[1] == "|---|---|---|"
    assert rows[2:] == [f"| {a} | {b} | {c} |" for a, b, c in BODY]
    others = " ".join(b.text for b in blocks if b.kind != "table")
    assert "Table 1: Font families" in others and "A paragraph after the table" in others
    assert "Concrete Roman" not in others


def test_table_continued_on_next_page_ends_at_the_paragraph():
    def draw(page):
        _rule(page, 90)
        _row(page, 104, ("Name", "Family", "Package"))
        _rule(page, 110)
        for i, cells in enumerate(BODY):
            _row(page, 124 + 15 * i, cells)
        page.insert_text((LEFT, 230), "Text after the table runs across the whole measure of the page.",
                         fontsize=10)

    blocks = _page(draw)
    (table,) = [b for b in blocks if b.kind == "table"]
    assert len(table.markdown.splitlines()) == 2 + len(BODY)
    assert any(b.kind != "table" and "Text after the table" in b.text for b in blocks)


def test_rules_around_a_one_cell_caption_are_not_a_table():
    # An algorithm float: top rule, caption, mid rule, code, bottom rule.
    def draw(page):
        _rule(page, 90)
        page.insert_text((95, 104), "Algorithm 1 Euclid's algorithm", fontsize=10)
        _rule(page, 110)
        for i, line in enumerate(["procedure Euclid(a, b)", "    r <- a mod b", "    while r != 0 do",
                                  "        a <- b"]):
            page.insert_text((95, 124 + 15 * i), line, fontsize=10)
        _rule(page, 190)

    blocks = _page(draw)
    assert not any(b.kind == "table" for b in blocks)
    assert "Euclid(a, b)" in " ".join(b.text for b in blocks)


def test_ruled_grid_is_left_to_the_grid_finder():
    def draw(page):
        ys = [90, 110, 125, 140]
        for y in ys:
            _rule(page, y)
        for x in (LEFT, 190, 320, RIGHT):
            page.draw_line((x, ys[0]), (x, ys[-1]), width=0.5)
        _row(page, 104, ("Name", "Family", "Package"))
        _row(page, 121, BODY[0])
        _row(page, 136, BODY[1])

    (table,) = [b for b in _page(draw) if b.kind == "table"]
    assert table.markdown.splitlines()[2] == "| antt | Antykwa Torunska | anttor |"
