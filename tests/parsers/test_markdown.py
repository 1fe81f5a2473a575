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
