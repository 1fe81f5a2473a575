"""tables: booktabs-style borderless tables become Markdown; rule-framed text stays text."""
from __future__ import annotations

from pathlib import Path

import pymupdf

from corpusmill.parsers.tables import find_tables, join_continued
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


# --- spans, rule-less tables, tables over two pages, bad input -------------------------------------

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"


def _tables(doc: pymupdf.Document) -> list[list[str]]:
    """Per page, the rendered tables (Markdown or HTML)."""
    data = pymupdf.open("pdf", doc.tobytes())
    out = []
    for page in data:
        pt = read_page(page)
        find_tables(page, pt)
        out.append([b.markdown for b in pt.blocks if b.kind == "table"])
    return out


def _md_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in md.splitlines()
            if not line.startswith("|---")]


def _put(page, x: float, y: float, text: str) -> None:
    page.insert_text((x + 4, y + 13), text, fontsize=9)


def test_spanning_header_cells_become_html_colspan_and_rowspan():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    xs, ys = [60, 160, 240, 320, 400, 480], [100, 118, 136, 154, 172, 190]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y), width=0.6)
    for x in xs:  # no rule inside "Revenue" and "Capital" in the top header row
        page.draw_line((x, ys[0] if x in (60, 160, 320, 480) else ys[1]), (x, ys[-1]), width=0.6)
    _put(page, 60, 100, "Region")
    _put(page, 160, 100, "Revenue")
    _put(page, 320, 100, "Capital")
    for x, t in zip(xs[1:], ["Medical", "Family", "Medical", "Family"]):
        _put(page, x, 118, t)
    body = [("North", "1,250", "310", "4,100", "75"), ("South", "2,040", "415", "3,920", "60"),
            ("East", "980", "120", "2,210", "15")]
    for i, row in enumerate(body):
        for x, t in zip(xs, row):
            _put(page, x, ys[2 + i], t)

    ((html,),) = _tables(doc)
    assert html.startswith("<table><tr><th rowspan=\"2\">Region</th><th colspan=\"2\">Revenue</th>"
                           "<th colspan=\"2\">Capital</th></tr>")
    assert "<tr><th>Medical</th><th>Family</th><th>Medical</th><th>Family</th></tr>" in html
    assert "<tr><td>South</td><td>2,040</td><td>415</td><td>3,920</td><td>60</td></tr>" in html


def _ruleless_rows(page, y0: float, rows) -> None:
    for i, row in enumerate(rows):
        for x, t in zip((60, 200, 270, 340, 410), row):
            page.insert_text((x, y0 + 16 * i), t, fontsize=10)


YIELDS = [("Ashford", "3.12", "3.40", "2.95", "3.61"), ("Bexley", "2.80", "2.77", "3.05", "3.10"),
          ("Croydon", "4.01", "3.88", "4.12", "4.30"), ("Dartford", "1.95", "2.10", "2.44", "2.31"),
          ("Enfield", "3.33", "3.29", "3.50", "3.47"), ("Fulham", "2.22", "2.40", "2.38", "2.56")]


def test_table_without_rules_gets_its_columns_from_the_layout_model():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((60, 80), "Crop yields by district, tonnes per hectare, in the years of the survey.", fontsize=10)
    _ruleless_rows(page, 110, [("District", "2019", "2020", "2021", "2022")] + YIELDS)
    page.insert_text((60, 260), "The figures above are means over all farms that reported in each year.", fontsize=10)

    ((md,),) = _tables(doc)
    assert _md_rows(md) == [["District", "2019", "2020", "2021", "2022"]] + [list(r) for r in YIELDS]


def test_table_split_over_two_pages_keeps_its_columns_on_both():
    doc = pymupdf.open()
    first = doc.new_page(width=595, height=842)
    first.insert_text((60, 700), "Crop yields by district, tonnes per hectare.", fontsize=10)
    _ruleless_rows(first, 730, [("District", "2019", "2020", "2021", "2022")] + YIELDS[:4])
    second = doc.new_page(width=595, height=842)
    more = YIELDS[4:] + [("Greenwich", "3.90", "3.71", "3.66", "3.80"), ("Hackney", "2.05", "2.15", "2.30", "2.11")]
    _ruleless_rows(second, 80, more)
    second.insert_text((60, 200), "The figures above are means over all farms that reported.", fontsize=10)

    data = pymupdf.open("pdf", doc.tobytes())
    pages = [read_page(page) for page in data]
    for page, pt in zip(data, pages):
        find_tables(page, pt)
    (md1,), (md2,) = ([b.markdown for b in pt.blocks if b.kind == "table"] for pt in pages)
    assert _md_rows(md1) == [["District", "2019", "2020", "2021", "2022"]] + [list(r) for r in YIELDS[:4]]
    # Each part alone: the continuation's first body row stands in its header row.
    assert _md_rows(md2) == [list(r) for r in more]

    join_continued(pages)
    (md2,) = [b.markdown for b in pages[1].blocks if b.kind == "table"]
    assert md2.splitlines()[:3] == ["| District | 2019 | 2020 | 2021 | 2022 |", "|---|---|---|---|---|",
                                    "| Enfield | 3.33 | 3.29 | 3.50 | 3.47 |"]
    assert _md_rows(md2)[1:] == [list(r) for r in more]


def test_table_followed_by_text_is_not_joined_to_the_next_pages_table():
    doc = pymupdf.open()
    first = doc.new_page(width=595, height=842)
    _ruleless_rows(first, 100, [("District", "2019", "2020", "2021", "2022")] + YIELDS[:4])
    first.insert_text((60, 400), "A paragraph after the first table ends the table on this page.", fontsize=10)
    second = doc.new_page(width=595, height=842)
    _ruleless_rows(second, 80, YIELDS[4:] + YIELDS[:2])
    data = pymupdf.open("pdf", doc.tobytes())
    pages = [read_page(page) for page in data]
    for page, pt in zip(data, pages):
        find_tables(page, pt)
    before = [b.markdown for b in pages[1].blocks if b.kind == "table"]
    assert len(before) == 1 and before[0].startswith("| Enfield |")
    join_continued(pages)
    assert [b.markdown for b in pages[1].blocks if b.kind == "table"] == before


def test_rows_of_numbers_in_a_real_rule_less_table_keep_their_neighbours():
    doc = pymupdf.open(FIXTURES / "camelot__mexican_towns.pdf")
    ((md,),) = _tables(doc)
    rows = _md_rows(md)
    assert rows[0][-2:] == ["Clave Localidad", "Nombre Localidad"]
    names = [r[-1] for r in rows]
    i = names.index("Granja Adelita")
    assert rows[i][-2] == "0094" and names[i + 1] == "Agua Azul"


def test_tables_of_500_columns_or_10000_rows_stay_text_in_bounded_time():
    wide = pymupdf.open()
    page = wide.new_page(width=500 * 24 + 40, height=400)
    for c in range(500):
        page.insert_text((20 + 24 * c, 40), [str(r * 500 + c) for r in range(6)], fontsize=6, lineheight=2)
    tall = pymupdf.open()
    page = tall.new_page(width=400, height=14400)
    for c, x in enumerate((20, 120, 220)):
        page.insert_text((x, 2), [str(r * 3 + c) for r in range(10_000)], fontsize=1.2, lineheight=1.15)
    for doc in (wide, tall):
        data = pymupdf.open("pdf", doc.tobytes())
        pt = read_page(data[0])
        chars = pt.chars
        find_tables(data[0], pt)
        assert not any(b.kind == "table" for b in pt.blocks)
        assert pt.chars == chars  # the text is all kept


def test_grid_row_around_stacked_values_is_split_and_its_label_spans_them():
    from corpusmill.parsers.table_grid import with_header
    from corpusmill.parsers.table_render import render

    rows = with_header([["Layers", "Language", "TED", "Time"],
                        ["6", "OTSL\nHTML", "0.965\n0.969", "2.73\n5.39"],
                        ["4", "Only one line of a wrapped\nexplanation in this cell", "0.938", "1.97"]])
    html = render(rows)
    assert ('<tr><td rowspan="2">6</td><td>OTSL</td><td>0.965</td><td>2.73</td></tr>'
            '<tr><td>HTML</td><td>0.969</td><td>5.39</td></tr>') in html
    # A wrapped sentence is one cell, not two rows.
    assert "<td>Only one line of a wrapped explanation in this cell</td>" in html


def test_paragraph_inside_a_table_box_but_in_no_cell_is_kept(pdf_fixtures):
    # The physics manual, page 3: the paragraph between the "2.2 Vector notation" heading and its
    # table lies inside the box the table was found in, and none of its words is in a cell; it was
    # taken with the table's lines and so lost. The table keeps its rows.
    with pymupdf.open(pdf_fixtures / "physics--physics-p3.pdf") as doc:
        page = doc[0]
        text = read_page(page)
        find_tables(page, text)
    paragraphs = [b.text for b in text.blocks if b.kind != "table"]
    assert any("including the option arrowdel in the document preamble" in t for t in paragraphs)
    tables = "\n".join(b.markdown or "" for b in text.blocks if b.kind == "table")
    assert "\\vectorarrow" in tables and "\\vectorbold" in tables
    # What the cells show is not repeated outside the table.
    assert not any("\\vectorbold" in t for t in paragraphs)
