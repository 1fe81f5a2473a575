"""markdown: classified blocks rendered as Markdown."""
from __future__ import annotations

from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.text_layer import Block, Line


def _block(kind: str, *texts: str, y: float = 0.0) -> Block:
    lines = [Line(text=t, bbox=(0, y + 12 * i, 200, y + 12 * i + 10), size=10, bold=False, mono=kind == "code",
                  math_chars=0) for i, t in enumerate(texts)]
    return Block(lines=lines, bbox=(0, y, 200, y + 12 * len(texts)), kind=kind)


def test_consecutive_code_blocks_are_one_listing():
    md = render_blocks([
        _block("paragraph", "Then:"),
        _block("code", "\\begin{document}", "\\maketitle"),
        _block("code", "\\section{Intro}", y=40),
        _block("paragraph", "and so on.", y=80),
        _block("code", "\\end{document}", y=100),
    ])
    assert md == ("Then:\n\n```\n\\begin{document}\n\\maketitle\n\n\\section{Intro}\n```\n\n"
                  "and so on.\n\n```\n\\end{document}\n```")


def test_word_hyphenated_across_blocks_is_joined():
    md = render_blocks([_block("paragraph", "the text contin-"), _block("paragraph", "ues here", y=30)])
    assert md == "the text continues here"


def test_compound_broken_at_its_own_hyphen_keeps_it_without_a_space():
    md = render_blocks([_block("paragraph", "Ein BMW-", "Händler in Weimar, COVID-", "19 cases, the contin-", "ues")])
    assert md == "Ein BMW-Händler in Weimar, COVID-19 cases, the continues"


def test_text_lines_keep_their_line_breaks_and_join_hyphenated_words():
    # OCR lines no layout model placed in a region: one per line, "Ver-" + "änderung" one word.
    md = render_blocks([_block("text_line", "Die Ver-", "änderung der", "Seite 3"),
                        _block("paragraph", "Zweiter Absatz", y=60)])
    assert md == "Die Veränderung der\nSeite 3\n\nZweiter Absatz"


def test_table_region_without_a_grid_keeps_its_rows_apart():
    md = render_blocks([_block("table", "Name Value", "alpha 1", "beta 2")])
    assert md == "Name Value\nalpha 1\nbeta 2"


def test_word_hyphenated_before_a_non_ascii_lowercase_letter_is_joined():
    md = render_blocks([_block("paragraph", "eine Ver-", "änderung"), _block("paragraph", "ist ge-", y=40),
                        _block("paragraph", "ändert", y=60)])
    assert md == "eine Veränderung\n\nist geändert"


def test_word_hyphenated_into_a_reference_or_caption_block_is_joined():
    # An OCR page's layout regions may cut a paragraph anywhere, into a region typed reference.
    md = render_blocks([_block("paragraph", "I added this option because some-"),
                        _block("reference", "one had a purpose for it.", y=30)])
    assert md == "I added this option because someone had a purpose for it."
