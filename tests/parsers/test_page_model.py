"""One typed page model: every path fills `ReadPage`/`PageBlock`, the record's pages come from it."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from corpusmill.parsers.page_model import FURNITURE, BlockType, PageBlock, ReadPage, Route
from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.record import Record
from tests.scanned_pdfs import scanned_pdf

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"
_TYPES = {str(t) for t in BlockType}


def _block_type(name: str) -> str:
    return "heading" if name.startswith("heading") else name


def _parse(content: bytes) -> Record:
    stage = PdfParse(memory_limit_mb=None)
    try:
        (rec,) = stage([Record(id="doc", media_type="application/pdf", content=content)])
    finally:
        stage.close()
    assert rec.ok, rec.reason
    return rec


@pytest.mark.parametrize("content", [
    pytest.param(lambda: (FIXTURES / "revtex4-1--apssamp.pdf").read_bytes(), id="text-layer"),
    pytest.param(lambda: scanned_pdf(2), id="ocr"),
])
def test_every_page_and_block_of_the_record_is_of_the_shared_types(content):
    rec = _parse(content())
    assert rec.pages
    for page in rec.pages:
        assert page["route"] in {str(r) for r in Route}
        assert page["blocks"], page
        for block in page["blocks"]:
            assert _block_type(block["type"]) in _TYPES, block
            if block["order"] is None:  # furniture: out of the text, kept with its text and type
                assert BlockType(block["type"]) in FURNITURE and block["text"], block
        start, stop = page["text_span"]
        assert stop - start == page["chars"]
    orders = [b["order"] for p in rec.pages for b in p["blocks"] if b["order"] is not None]
    assert orders and all(isinstance(o, int) for o in orders)


def test_the_text_layer_paths_headings_and_furniture_are_typed():
    rec = _parse((FIXTURES / "revtex4-1--apssamp.pdf").read_bytes())
    types = {b["type"] for p in rec.pages for b in p["blocks"]}
    assert any(t.startswith("heading") and t[len("heading"):].isdigit() for t in types), types
    assert types & {str(t) for t in FURNITURE}, types


def test_a_read_page_survives_its_json_form_and_is_never_edited_in_place():
    page = ReadPage(number=3, route="ocr", reason="no text layer", text="Hello",
                    blocks=(PageBlock(BlockType.HEADING, (1, 2, 3, 4), 0, level=2),
                            PageBlock("page_footer", (0.04, 0.06, 9.99, 10.01), None, text="Page 3")),
                    ocr_confidence=0.97, rotation=90)
    assert ReadPage.from_json(orjson.loads(orjson.dumps(page.as_json()))) == page
    later = page.with_(note="page turned 90 degrees clockwise to read it", low_confidence=True)
    assert page.reason == "no text layer" and not page.low_confidence
    assert later.reason == "no text layer; page turned 90 degrees clockwise to read it" and later.low_confidence
    with pytest.raises(AttributeError):
        page.text = "edited"  # type: ignore[misc]
    assert page.as_record(5, (0, 5))["blocks"] == [
        {"type": "heading2", "bbox": [1.0, 2.0, 3.0, 4.0], "order": 0},
        {"type": "page_footer", "bbox": [0.0, 0.1, 10.0, 10.0], "order": None, "text": "Page 3"}]


def test_a_block_type_outside_the_model_is_refused():
    with pytest.raises(ValueError):
        PageBlock("sidebar_thing", (0, 0, 1, 1), 0)
    with pytest.raises(ValueError):
        ReadPage(number=1, route="guessed", reason="")
