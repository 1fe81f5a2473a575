"""Ordered, classified blocks -> Markdown.

Headings become `#` lines, bulleted lines `- ` items, monospaced blocks
fenced code (one fence for consecutive code blocks: MuPDF splits a listing
at blank lines), tables pipe tables (rendered where they were found), formulas
their text as extracted (flat, never dropped). Lines that are not prose keep
their line breaks: OCR lines no layout model placed, text inside a figure, a
table region without a grid. A word hyphenated across a block boundary (a
column or a float in between) is joined.

The one renderer of every route: text-layer pages, OCR pages and the OCRed
regions of text-layer pages all come here as typed blocks.
"""
from __future__ import annotations

import re

from corpusmill.parsers.block_kinds import bullet_to_markdown, starts_item
from corpusmill.parsers.page_model import BlockType
from corpusmill.parsers.text_layer import Block

_HYPHEN_END = re.compile(r"(\w)-$")
# Kinds whose lines are not joined into one paragraph (a table's only when it has no grid).
_LINEWISE = frozenset({BlockType.TEXT_LINE, BlockType.FIGURE_TEXT, BlockType.TABLE})
# Kinds a word hyphenated at the end of the block before may go on in (an OCR page's layout regions
# may cut a paragraph anywhere, between text and reference regions too).
_PROSE = frozenset({BlockType.PARAGRAPH, BlockType.TEXT_LINE, BlockType.REFERENCE, BlockType.CAPTION})
# Glyphs without a Unicode mapping come out as control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_blocks(blocks: list[Block]) -> str:
    """Markdown for one page's blocks, already in reading order, furniture removed."""
    parts: list[str] = []
    prev_kind = ""
    for b in blocks:
        md = _CONTROL.sub("", _render(b))
        if not md:
            continue
        if b.kind == "code" and prev_kind == "code":
            # "```\na\n```" + "```\nb\n```" -> one listing, its blank line kept.
            parts[-1] = parts[-1][:-len("\n```")] + "\n\n" + md[len("```\n"):]
            continue
        prev_kind = b.kind
        # Word split across two blocks: "continu-" + "ation ..." -> one word.
        if parts and b.kind in _PROSE and md[:1].islower():
            prev = parts[-1]
            if _HYPHEN_END.search(prev) and not prev.startswith(("#", "```", "|")):
                parts[-1] = prev[:-1] + md
                continue
        parts.append(md)
    return "\n\n".join(parts)


def _render(b: Block) -> str:
    if b.kind in ("table", "formula") and b.markdown:
        return b.markdown
    if b.kind == "heading":
        return "#" * max(1, b.level) + " " + " ".join(line.text for line in b.lines)
    if b.kind == "code":
        body = "\n".join(line.text for line in b.lines)
        return f"```\n{body}\n```"
    if b.kind == "list_item":
        return _list(b)
    return _join_lines((line.text for line in b.lines), "\n" if b.kind in _LINEWISE else " ")


def _list(b: Block) -> str:
    items: list[list[str]] = []
    for line in b.lines:
        if starts_item(line.text) or not items:
            items.append([line.text])
        else:
            items[-1].append(line.text)
    return "\n".join(bullet_to_markdown(_join_lines(item)) for item in items)


def _join_lines(lines, separator: str = " ") -> str:
    """Lines joined by `separator`, words hyphenated at a line end ("contin-" "ues") joined again."""
    # Pieces joined once at the end: a block of 10,000 lines costs linear time, not quadratic.
    parts: list[str] = []
    for text in lines:
        if not parts:
            parts.append(text)
        elif _HYPHEN_END.search(parts[-1][-2:]) and text[:1].islower():
            parts[-1] = parts[-1][:-1]
            parts.append(text)
        elif _HYPHEN_END.search(parts[-1][-2:]) and (text[:1].isupper() or text[:1].isdigit()):
            parts.append(text)  # a compound broken at its own hyphen: "BMW-" "Händler", "COVID-" "19"
        else:
            parts += [separator, text]
    return "".join(parts)
