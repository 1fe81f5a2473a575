"""Reading order of OCR lines on synthetic page geometries."""
from __future__ import annotations

from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.layout.reading_order import lines_to_text, order_lines

W = 1700


def _line(text: str, x0: float, y0: float, x1: float, h: float = 28) -> OcrLine:
    return OcrLine(text=text, bbox=(x0, y0, x1, y0 + h), confidence=0.9)


def _column(prefix: str, x0: float, x1: float, y0: float, n: int) -> list[OcrLine]:
    return [_line(f"{prefix}{i}", x0, y0 + 32 * i, x1) for i in range(n)]


def _engine_order(lines: list[OcrLine]) -> list[OcrLine]:
    """What a detector returns: top to bottom across the page."""
    return sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))


def test_two_columns_with_spanning_title_and_figure():
    title = _line("TITLE", 150, 100, 1550, 40)
    upper = _column("L", 150, 820, 200, 8) + _column("R", 880, 1550, 200, 8)
    caption = _line("FIGURE CAPTION", 150, 500, 1550)
    lower = _column("l", 150, 820, 560, 6) + _column("r", 880, 1550, 560, 6)
    page_no = _line("7", 840, 800, 860)
    shuffled = _engine_order([title, *upper, caption, *lower, page_no])
    got = [ln.text for ln in order_lines(shuffled, W)]
    assert got == (["TITLE"] + [f"L{i}" for i in range(8)] + [f"R{i}" for i in range(8)]
                   + ["FIGURE CAPTION"] + [f"l{i}" for i in range(6)] + [f"r{i}" for i in range(6)] + ["7"])


def test_column_with_many_equation_fragments_is_still_a_column():
    # Displayed equations break into short pieces (numerator, denominator, "(1)"),
    # which make most of the right column's lines short.
    left = _column("L", 150, 830, 150, 20)
    right = _column("R", 875, 1560, 150, 6)
    y = 150 + 32 * 6
    for i in range(4):
        right += [_line(f"num{i}", 1300, y, 1440), _line(f"frac{i}", 1100, y + 20, 1290),
                  _line(f"({i})", 1515, y + 20, 1565), _line(f"den{i}", 1320, y + 40, 1440)]
        y += 90
    right += _column("S", 875, 1560, y, 4)
    got = [ln.text for ln in order_lines(_engine_order(left + right), W)]
    assert got[:20] == [f"L{i}" for i in range(20)]
    assert got[20:26] == [f"R{i}" for i in range(6)] and got[-4:] == [f"S{i}" for i in range(4)]


def test_first_page_with_full_width_title_and_abstract():
    head = [_line("TITLE", 300, 100, 1400, 40), _line("Authors", 500, 160, 1200)]
    abstract = [_line(f"abstract{i}", 250, 220 + 32 * i, 1450) for i in range(12)]
    cols = _column("L", 150, 820, 650, 10) + _column("R", 880, 1550, 650, 10)
    got = [ln.text for ln in order_lines(_engine_order(head + abstract + cols), W)]
    assert got == [ln.text for ln in head + abstract + cols]


def test_single_column_stays_top_to_bottom():
    # Short last lines of paragraphs and a right-aligned equation number do not make columns.
    lines = []
    y = 100
    for para in range(4):
        for i in range(5):
            lines.append(_line(f"p{para}.{i}", 150, y, 1550 if i < 4 else 600))
            y += 32
        lines.append(_line(f"eq{para}", 600, y, 1000))
        lines.append(_line(f"({para})", 1500, y, 1550))
        y += 40
    got = [ln.text for ln in order_lines(_engine_order(lines), W)]
    assert got == [ln.text for ln in lines]


def test_slide_with_attribution_and_footer_is_not_two_columns():
    # Line boxes rapidocr found on a Beamer slide (dev scan beamer-verona p6, 1008 px wide):
    # short lines on the left, a right-aligned quote attribution, a four-part footer.
    boxes = [((20, 27, 273, 66), "Lorem ipsum"), ((19, 70, 302, 101), "Sed commodo"),
             ((19, 220, 148, 253), "Block title"), ((21, 261, 400, 295), "Cras viverra"),
             ((50, 331, 402, 363), "* Lorem ipsum"), ((49, 371, 399, 406), "* Consectetuer"),
             ((50, 415, 403, 445), "* Ut purus"), ((32, 474, 989, 504), "Gentle reader"),
             ((29, 506, 993, 538), "for the creation"), ((29, 540, 189, 570), "mathematics."),
             ((648, 581, 985, 609), "(Donald E. Knuth)"), ((6, 729, 312, 755), "Ivan Valbusa"),
             ((431, 730, 586, 753), "A simple template"), ((735, 729, 903, 755), "November 27"),
             ((957, 727, 1007, 755), "2|4")]
    lines = [OcrLine(text, tuple(float(v) for v in box), 0.9) for box, text in boxes]
    got = [ln.text for ln in order_lines(_engine_order(lines), 1008)]
    assert got == [text for _, text in boxes]


def test_three_columns():
    cols = [_column(c, x0, x0 + 450, 200, 6) for c, x0 in (("a", 100), ("b", 620), ("c", 1140))]
    got = [ln.text for ln in order_lines(_engine_order([ln for col in cols for ln in col]), W)]
    assert got == [ln.text for col in cols for ln in col]


def test_a_row_is_read_left_to_right():
    # A heading number detected apart from its title, slightly lower.
    lines = [_line("ACKNOWLEDGMENTS", 220, 103, 700), _line("14", 150, 100, 190), _line("body", 150, 140, 1500)]
    assert [ln.text for ln in order_lines(lines, W)] == ["14", "ACKNOWLEDGMENTS", "body"]


def test_dehyphenation_joins_broken_words_only():
    lines = [_line(t, 0, 32 * i, 500) for i, t in enumerate(["type-", "setting is fun, see B-", "Tree and 3-", "4"])]
    assert lines_to_text(lines) == "typesetting is fun, see B-\nTree and 3-\n4"
    assert lines_to_text(lines, dehyphenate=False).startswith("type-\nsetting")


def test_tiny_inputs():
    assert order_lines([], W) == []
    one = [_line("x", 0, 0, 10)]
    assert order_lines(one, W) == one


def test_narrow_gutter_with_overlapping_boxes_and_joined_lines():
    # A newspaper scan's geometry: the columns' boxes overlap by a few characters, next lines of a column
    # overlap vertically (tight leading), and the detector joined one line of each column into one.
    left = [_line(f"L{i}", 360, 100 + 26 * i, 925, 36) for i in range(20)]
    right = [_line(f"R{i}", 905, 113 + 26 * i, 1470, 36) for i in range(20)]
    joined = _line("L7+R7", 360, 100 + 26 * 7, 1470, 36)
    lines = [ln for ln in left + right if ln.text not in ("L7", "R7")] + [joined]
    got = [ln.text for ln in order_lines(_engine_order(lines), W)]
    assert got == [f"L{i}" for i in range(7)] + ["L7+R7"] + [f"L{i}" for i in range(8, 20)] \
        + [f"R{i}" for i in range(20) if i != 7]


def test_short_centred_line_between_column_sections_still_cuts_them():
    upper = _column("L", 150, 820, 200, 8) + _column("R", 880, 1550, 200, 8)
    heading = _line("Results", 800, 480, 900, 30)  # shorter than two line heights, centred on the gutter
    lower = _column("l", 150, 820, 540, 6) + _column("r", 880, 1550, 540, 6)
    got = [ln.text for ln in order_lines(_engine_order(upper + [heading] + lower), W)]
    assert got == [ln.text for ln in upper] + ["Results"] + [ln.text for ln in lower]


def test_lines_over_one_another_are_never_one_row():
    # Tight leading on a scan: the next line's box overlaps this one by more than half its height, and
    # starts a little further left. Read top to bottom, not left to right.
    lines = [_line("first", 152, 100, 1500, 36), _line("second", 150, 112, 1500, 36), _line("third", 151, 124, 900, 36)]
    assert [ln.text for ln in order_lines(lines, W)] == ["first", "second", "third"]


def test_words_of_a_row_whose_boxes_touch_are_one_row():
    # The detector's word boxes on one row overlap by a few pixels ("tain | Thomas has commanded | four").
    lines = [_line("four", 1386, 3045, 1461, 30), _line("tain", 921, 3045, 991, 30),
             _line("Thomas has commanded", 997, 3042, 1388, 30), _line("next", 921, 3075, 1461, 30)]
    assert [ln.text for ln in order_lines(lines, W)] == ["tain", "Thomas has commanded", "four", "next"]



def test_column_holding_a_table_is_still_a_column():
    # The line boxes RapidOCR finds on a real scan (dev scanned_pdfs revtex4-1 aipsamp p5, 200 dpi): a
    # two-column page whose left column holds a table of short numeric cells, more cells than prose lines.
    import json
    from pathlib import Path

    page = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "layout"
                       / "revtex4-1-aipsamp-scanned-p5-lines.json").read_text())
    lines = [OcrLine(text, tuple(box), 0.9) for text, box in page["lines"]]
    got = [ln.text for ln in order_lines(_engine_order(lines), page["width"])]
    # The left column's last lines come before the right column's first ones.
    assert got.index("1. A subsection in an appendix") < got.index("a. A subsubsection in an appendix")
    assert got.index("missing.") > got.index("1. A subsection in an appendix")
