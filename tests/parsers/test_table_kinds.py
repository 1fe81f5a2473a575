"""Table kinds real documents have and the first finders lost: OCR headers, label/value boxes beside
prose, numbers cut by a space, merged grid cells, tables set sideways in an upright page, rules drawn as
filled rectangles."""
from __future__ import annotations

import pymupdf

from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.page_ocr import ocr_page_blocks
from corpusmill.parsers.tables import find_tables
from corpusmill.parsers.text_layer import read_page

PROSE = ("The fonts below come with TeX Live and can be loaded by their package name in the preamble "
         "of a document, which then sets the whole text in the chosen family.")


def _blocks(doc: pymupdf.Document) -> list:
    data = pymupdf.open("pdf", doc.tobytes())
    pt = read_page(data[0])
    find_tables(data[0], pt)
    return pt.blocks


def _tables(blocks: list) -> list[str]:
    return [b.markdown for b in blocks if b.kind == "table"]


def _ocr(x0: float, y0: float, x1: float, y1: float, text: str) -> OcrLine:
    return OcrLine(text=text, bbox=(x0, y0, x1, y1), confidence=0.99)


def test_ocr_header_whose_boxes_overlap_keeps_the_bodys_columns():
    # OCR boxes carry padding: the header's boxes overlap their neighbours', as do
    # the two boxes the detector cut one body cell into ("200.58" "(121.01)").
    lines = [_ocr(215, 736, 406, 784, "Processing"), _ocr(397, 737, 621, 782, "total chunks"),
             _ocr(609, 735, 1179, 786, "mean chunks per document (std)"), _ocr(1168, 737, 1385, 782, "tables mean"),
             _ocr(1377, 736, 1472, 785, "(std)")]
    body = [("Base 128", "64,058", ["800.73 (484.11)"], "N/A"), ("Base 256", "32,051", ["400.64 (242.04)"], "N/A"),
            ("Base 512", "16,046", ["200.58", "(121.01)"], "N/A"), ("Chipper", "20,843", ["260.57 (145.80)"], "96.20")]
    for r, (label, total, mean, tables) in enumerate(body):
        y = 784 + 46 * r
        lines += [_ocr(216, y, 377, y + 46, label), _ocr(448, y, 570, y + 46, total)]
        lines += ([_ocr(760, y, 1024, y + 46, mean[0])] if len(mean) == 1
                  else [_ocr(760, y, 888, y + 46, mean[0]), _ocr(875, y, 1023, y + 46, mean[1])])
        lines.append(_ocr(1276, y, 1368, y + 46, tables))
    text = _ocr_text(lines)
    assert text.startswith("| Processing | total chunks | mean chunks per document (std) | tables mean (std) |\n")
    assert "| Base 512 | 16,046 | 200.58 (121.01) | N/A |" in text


def test_ocr_label_value_box_beside_a_text_column():
    # An infobox beside a column of prose, read by OCR: the gutter between them is
    # narrower than the rows' height, and the box's title is centred over its values.
    prose = PROSE.split()
    lines = [_ocr(1140, 1015, 1415, 1055, "King of the English")]
    pairs = [("Reign", "959 to 975"), ("Predecessor", "Eadwig"), ("Successor", "Edward the Martyr"),
             ("Born", "943/944"), ("Burial", "Glastonbury Abbey"), ("Father", "Edmund I")]
    for r, (label, value) in enumerate(pairs):
        y = 1066 + 54 * r
        lines.append(_ocr(90, y + 10, 932, y + 52, " ".join(prose[r:r + 9])))
        lines += [_ocr(965, y, 965 + 18 * len(label), y + 42, label), _ocr(1198, y, 1198 + 18 * len(value), y + 42, value)]
    text = _ocr_text(lines)
    assert "| Predecessor | Eadwig |" in text and "| Successor | Edward the Martyr |" in text
    assert " ".join(prose[:9]) in text  # the prose stays prose


def test_numbers_cut_by_a_space_stay_one_cell():
    # "467. 9": a decimal point set loose; "98 452": thousands grouped by a space.
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox((60, 60, 520, 110), PROSE, fontsize=10)
    rows = [("Offense", "Total", "Male", "Female"), ("Violent crime", "467. 9", "380. 2", "87. 7"),
            ("Property crime", "1,396. 4", "875. 9", "608. 2"), ("Arrests, all", "98 452", "41 181", "35 007"),
            ("Fraud", "173. 7", "98. 4", "75. 3")]
    for r, cells in enumerate(rows):
        for x, cell in zip((60, 220, 320, 420), cells):
            page.insert_text((x, 140 + 16 * r), cell, fontsize=10)
    (md,) = _tables(_blocks(doc))
    assert "| Violent crime | 467.9 | 380.2 | 87.7 |" in md
    assert "| Arrests, all | 98 452 | 41 181 | 35 007 |" in md


def _grid(page, xs: list[float], ys: list[float], skip: set[tuple[int, int]], thick: float = 0.0) -> None:
    """Rules of a grid; (row, col) in `skip`: no rule under that cell (it merges with the one below).
    With `thick`, rules are filled rectangles that thick instead of stroked lines."""
    def hline(x0, x1, y):
        if thick:
            page.draw_rect((x0, y - thick / 2, x1, y + thick / 2), color=None, fill=(0, 0, 0))
        else:
            page.draw_line((x0, y), (x1, y), width=0.6)

    def vline(x, y0, y1):
        if thick:
            page.draw_rect((x - thick / 2, y0, x + thick / 2, y1), color=None, fill=(0, 0, 0))
        else:
            page.draw_line((x, y0), (x, y1), width=0.6)

    for r, y in enumerate(ys):
        # One rule across the row, cut where a merged cell goes on below it.
        drawn = [c for c in range(len(xs) - 1) if (r - 1, c) not in skip]
        runs: list[list[int]] = []
        for c in drawn:
            if runs and runs[-1][-1] == c - 1:
                runs[-1].append(c)
            else:
                runs.append([c])
        for run in runs:
            hline(xs[run[0]], xs[run[-1] + 1], y)
    for x in xs:
        vline(x, ys[0], ys[-1])


def test_merged_cell_of_a_grid_spans_the_rows_beside_it():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    xs, ys = [60, 200, 340, 480], [100, 120, 140, 160, 180]
    _grid(page, xs, ys, skip={(1, 0)})
    cells = {(0, 0): "Insured person", (0, 1): "Loan", (0, 2): "Cover",
             (1, 0): "Under 61 years", (1, 1): "Loan up to 21 500", (1, 2): "Death and disability",
             (2, 1): "Loan above 21 500", (2, 2): "Death only",
             (3, 0): "From 61 to 65 years", (3, 1): "Any loan", (3, 2): "Death only"}
    for (r, c), t in cells.items():
        y = ys[r] + 14 if (r, c) != (1, 0) else ys[2] + 4
        page.insert_text((xs[c] + 4, y), t, fontsize=9)
    (html,) = _tables(_blocks(doc))
    assert '<td rowspan="2">Under 61 years</td><td>Loan up to 21 500</td>' in html
    assert "<tr><td>Loan above 21 500</td><td>Death only</td></tr>" in html


def test_grid_ruled_with_filled_rectangles_two_points_thick():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    xs, ys = [60, 200, 280, 540], [100, 120, 140, 160, 180]
    _grid(page, xs, ys, skip=set(), thick=2.0)
    rows = [("Global variable", "Type", "Description"), ("CLIENT_HOST", "VARCHAR(255)", "Host name of the client"),
            ("CLIENT_PORT", "INTEGER", "Port used by the client"), ("PACKAGE_NAME", "VARCHAR(128)", "Name of the package")]
    for r, cells in enumerate(rows):
        for x, t in zip(xs, cells):
            page.insert_text((x + 4, ys[r] + 14), t, fontsize=9)
    (md,) = _tables(_blocks(doc))
    assert md.splitlines()[0] == "| Global variable | Type | Description |"
    assert "| CLIENT_PORT | INTEGER | Port used by the client |" in md


def test_table_set_sideways_inside_an_upright_page():
    # A small table turned by 90 degrees (read bottom to top) beside upright prose.
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox((60, 60, 300, 400), PROSE + " " + PROSE, fontsize=10)
    rows = [("Model", "R2", "Testing Error"), ("Linear Regression", "0.98740", "1321.2"),
            ("Ridge Regression", "0.98731", "1330.8"), ("Gray Prediction", "0.00617", "687")]
    for r, cells in enumerate(rows):
        for y, t in zip((500, 400, 340), cells):
            page.insert_text((370 + 14 * r, y), t, fontsize=9, rotate=90)
    blocks = _blocks(doc)
    (md,) = _tables(blocks)
    assert md.splitlines()[0] == "| Model | R2 | Testing Error |"
    assert "| Gray Prediction | 0.00617 | 687 |" in md
    assert "preamble" in " ".join(b.text for b in blocks if b.kind != "table")


def test_group_headings_over_column_pairs_span_them():
    # booktabs: a heading over each pair of columns, a short rule under it (cmidrule).
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    xs = [60, 140, 200, 260, 320, 380]
    page.draw_line((xs[0], 100), (xs[-1], 100), width=1)
    for name, (a, b) in (("Revenue", (1, 3)), ("Capital", (3, 5))):
        page.insert_text(((xs[a] + xs[b]) / 2 - 16, 111), name, fontsize=9)
        page.draw_line((xs[a] + 2, 115), (xs[b] - 2, 115), width=0.4)
    rows = [("Region", "Medical", "Family", "Stock", "Bonds"), ("North", "1,204", "310", "5,400", "75"),
            ("South", "860", "95", "3,920", "60"), ("East", "980", "120", "2,210", "15")]
    for r, cells in enumerate(rows):
        for x, t in zip(xs, cells):
            page.insert_text((x + 4, 126 + 14 * r), t, fontsize=9)
    page.draw_line((xs[0], 130), (xs[-1], 130), width=0.5)
    page.draw_line((xs[0], 130 + 14 * len(rows) - 10), (xs[-1], 130 + 14 * len(rows) - 10), width=1)
    (html,) = _tables(_blocks(doc))
    assert '<th colspan="2">Revenue</th><th colspan="2">Capital</th>' in html
    assert "<tr><th>Region</th><th>Medical</th><th>Family</th><th>Stock</th><th>Bonds</th></tr>" in html
    assert "<tr><td>South</td><td>860</td><td>95</td><td>3,920</td><td>60</td></tr>" in html


def test_cells_in_a_right_to_left_script_read_right_to_left():
    from corpusmill.parsers.table_grid import reading_order

    # Words as MuPDF gives them, left to right on the page.
    line = [(466, 0, 486, 9, "قطط"), (490, 0, 506, 9, "47"), (509, 0, 534, 9, "عندي")]
    assert reading_order(line) == ["عندي", "47", "قطط"]
    mixed = [(397, 0, 441, 9, "الانجليزية"), (444, 0, 456, 9, "في"), (420, 0, 440, 9, "is"),
             (460, 0, 506, 9, "Jeremy"), (510, 0, 534, 9, "اسمي")]
    mixed.sort(key=lambda w: w[0])
    assert reading_order(mixed)[:3] == ["اسمي", "Jeremy", "في"]
    latin = [(10, 0, 40, 9, "Jeremy"), (42, 0, 50, 9, "is"), (52, 0, 70, 9, "جرمي"), (72, 0, 80, 9, "in")]
    assert reading_order(latin) == ["Jeremy", "is", "جرمي", "in"]


def test_first_body_row_of_text_and_figures_is_not_taken_for_a_wrapped_header():
    from corpusmill.parsers.table_grid import with_header
    from corpusmill.parsers.table_render import render

    rows = with_header([["Region", "Share", "Capital", "Rank"], ["Nord", "12.5%", "Kiel", "top"],
                        ["Süd", "7.1%", "3", "4"], ["Ost", "2.0%", "Dresden", "low"]])
    md = render(rows)
    assert md.splitlines()[0] == "| Region | Share | Capital | Rank |"
    assert "| Nord | 12.5% | Kiel | top |" in md


def _ocr_text(lines: list[OcrLine]) -> str:
    """An OCR page's text as the PDF job renders it (no layout model: a 200-dpi letter page)."""
    ordered, _ = ocr_page_blocks(lines, [None] * len(lines), 1700, 2200, [])
    return render_blocks(ordered)
