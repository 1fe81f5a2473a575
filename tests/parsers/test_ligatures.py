"""ligatures: ligature glyphs whose Unicode map keeps only their last letter are spelled out."""
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from corpusmill.parsers.text_layer import read_page

ROOT = Path(__file__).resolve().parents[2]


def _text(path: Path, pages: int = 1) -> str:
    with pymupdf.open(path) as doc:
        return "\n".join(read_page(doc[i]).raw_text for i in range(min(pages, len(doc))))


def test_ligatures_mapped_to_their_last_letter_are_read_whole():
    # An MMWR page whose CID font maps "ffi" and "fi" to "i", "ff" to "f", "Th" to "h".
    text = _text(ROOT / "fixtures" / "pdf" / "camelot__us-023-p1.pdf")
    assert "The primary target audiences" in text
    assert "One of NPA’s five objectives" in text
    assert "Office of Minority Health" in text
    for lost in ("Oice", " ive objectives", "\nhe primary"):
        assert lost not in text


def test_ligatures_mapped_right_are_left_as_they_are():
    # Expanded ligatures ("fi" drawn as one glyph, mapped to both letters): MuPDF gives "f" the
    # glyph's width and "i" none; that "f" is no ligature of its own.
    path = ROOT.parent / "shared/corpora/pdf-real/pdfs/pdfplumber__issue-598-example.pdf"
    if not path.is_file():
        pytest.skip("../shared/corpora not present")
    text = _text(path, pages=3)
    assert "scientific" in text and "fiction" in text
    assert "ffic" not in text and "ffiction" not in text
