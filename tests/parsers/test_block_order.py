"""block_order: reading order of text-layer blocks, and headings MuPDF split joined again."""
from __future__ import annotations

import pymupdf

from corpusmill.parsers.block_order import order_blocks
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.parsers.text_layer import Block, Line

_BODY = ("Dynamic languages such as JavaScript are harder to compile than statically typed ones, "
         "since there is no concrete type information available. ")


def test_title_centred_on_two_lines_is_one_heading():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((81, 95), "Trace-based Just-in-Time Type Specialization for Dynamic", fontsize=18,
                     fontname="hebo")
    page.insert_text((264, 115), "Languages", fontsize=18, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 150, 540, 600), _BODY * 8, fontsize=10)
    # A second heading further down, then its own section, stays apart.
    page.insert_text((72, 640), "Introduction", fontsize=18, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 660, 540, 760), _BODY, fontsize=10)
    text = parse_document(doc.tobytes(), "application/pdf", ParseConfig(), PageReader()).text
    lines = [line for line in text.splitlines() if line.startswith("#")]
    assert lines[0].endswith(" Trace-based Just-in-Time Type Specialization for Dynamic Languages")
    assert lines[1].endswith(" Introduction")


def _line(text: str, x0: float, y0: float, x1: float, size: float = 9.0) -> Line:
    return Line(text=text, bbox=(x0, y0, x1, y0 + size * 1.2), size=size, bold=False, mono=False, math_chars=0)


def _para(text: str, x0: float, y0: float, x1: float, n: int, size: float = 9.0) -> Block:
    lines = [_line(f"{text} {i}", x0, y0 + i * size * 1.2, x1, size) for i in range(n)]
    return Block(lines=lines, bbox=(x0, y0, x1, y0 + n * size * 1.2))


def test_columns_are_read_in_turn_under_a_line_set_across_the_gutter():
    # A magazine page: a narrow sidebar, a main column, a right column, and a
    # dateline at the top of the right column that straddles the gutter.
    dateline = _para("Journal 2004;13:445-447. doi: 10.1136/tc.2004", 321, 173, 540, 1)
    standfirst = _para("The industry continues to seek respectability", 69, 188, 343, 3, size=11.5)
    middle = [_para("middle column", 165, 256, 347, 18), _para("middle column more", 165, 437, 347, 28)]
    right = [_para("right column", 359, 188, 540, 12), _para("right column more", 359, 327, 540, 18),
             _para("right column end", 359, 538, 540, 18)]
    sidebar = _para("Correspondence to: Professor", 69, 664, 154, 9)
    blocks = [dateline, standfirst, *right, *middle, sidebar]
    order = order_blocks(blocks)
    assert order.index(standfirst) < order.index(middle[0]) < order.index(middle[1]) < order.index(right[0])
    assert order.index(right[0]) < order.index(right[1]) < order.index(right[2])


def test_drop_cap_is_joined_to_its_paragraph():
    cap = Block(lines=[_line("I", 165, 254, 173, size=31.5)], bbox=(165, 254, 173, 290), kind="heading", level=1)
    para = _para("n May 1998, the industry's world was turned upside down", 175, 256, 347, 4)
    para.lines[1:] = [_line(f"more {i}", 165, 267 + 11 * i, 347) for i in range(3)]
    para.bbox = (165, 256, 347, 300)
    order = order_blocks([cap, para])
    assert len(order) == 1 and order[0].kind == "paragraph"
    assert order[0].text.startswith("In May 1998, the industry's world")
    # A large letter further away (a figure label) stays apart.
    label = Block(lines=[_line("A", 100, 254, 108, size=31.5)], bbox=(100, 254, 108, 290))
    assert len(order_blocks([label, _para("Panel text beside the label", 175, 256, 347, 4)])) == 2


def test_three_columns_are_read_one_after_another():
    # A Federal Register page: three equal columns, paragraphs starting at different heights.
    cols = [[_para(f"col{c} para{j}", 45 + 177 * c, 60 + 150 * j + 20 * c, 215 + 177 * c, 12) for j in range(4)]
            for c in range(3)]
    order = order_blocks([b for j in range(4) for c in range(3) for b in [cols[c][j]]])
    assert order == [b for col in cols for b in col]


def test_caption_inside_a_sentence_broken_around_a_figure_is_read_after_it():
    # Column text above a figure stops mid-sentence; the caption (smaller) sits under the
    # figure; the sentence goes on below it.
    above = Block(lines=[_line("The survey covered twelve regions and found", 68, 100, 275, 10)],
                  bbox=(68, 100, 275, 112))
    caption = Block(lines=[_line("Figure 1. Regions of the survey.", 56, 420, 280, 7)], bbox=(56, 420, 280, 428))
    below = Block(lines=[_line("that most of them grew faster than before.", 68, 450, 275, 10)],
                  bbox=(68, 450, 275, 462))
    after = Block(lines=[_line("A new paragraph starts here.", 68, 480, 275, 10)], bbox=(68, 480, 275, 492))
    assert order_blocks([above, caption, below, after]) == [above, below, caption, after]
    # A caption after a finished sentence stays where it is.
    done = Block(lines=[_line("The survey covered twelve regions.", 68, 100, 275, 10)], bbox=(68, 100, 275, 112))
    assert order_blocks([done, caption, below]) == [done, caption, below]


def test_column_holding_only_the_end_of_a_paragraph_is_read_after_the_first():
    # The left column is full; the right one holds the last lines of its last paragraph.
    left = [_para(f"Left column paragraph {k}", 68, 80 + 60 * k, 275, 4, size=10) for k in range(10)]
    tail = _para("continued words ending the paragraph", 318, 80, 525, 2, size=10)
    ordered = order_blocks([tail, *left])
    assert ordered == [*left, tail]


def test_short_label_beside_text_is_not_taken_for_a_column():
    # A narrow note level with a paragraph is read by rows, as before.
    body = [_para(f"Body paragraph {k}", 68, 80 + 60 * k, 400, 4, size=10) for k in range(4)]
    note = _para("Note", 450, 80, 500, 2, size=10)
    assert order_blocks([*body, note])[:2] == [body[0], note]
