"""Pages OCR barely reads (handwriting-like scrawl) are flagged, dropped on request, or sent to the LLM.

The scrawl is a real degraded dev-scan strip with its strokes bent and blurred
(tests/scanned_pdfs.py): it reads at ~0.7 character-weighted confidence where
the same strip reads at >= 0.97.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pymupdf
import pytest

from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.record import Record
from tests.scanned_pdfs import add_scan_page, scan_strips, scrawled

TRANSCRIPTION = (
    "Dear Margaret, the harvest came in early this year and the mill has been running day and night since "
    "Tuesday. Father sends his regards and asks whether the new stones arrived from the quarry at Holm. "
    "The river is low, so we grind only in the mornings, when the pond behind the weir has filled again. "
    "Mrs. Ashdown's boy carries the sacks to the cart now; he is slow but careful, and he counts well. "
    "We sold forty bushels of wheat to the baker in Leigh at a fair price, and twelve of barley to the "
    "brewer, who still owes us for the spring. The roof of the granary leaks at the north corner again; "
    "I have asked the thatcher to come before the rains, though he promises more than he keeps. "
    "Please tell Aunt Ellen that her preserves were the best at the fair, and that the judges said so. "
    "Write soon, and tell us when you mean to come home; the orchard will be ready by the end of the month. "
    "Your loving brother, Thomas."
)


@pytest.fixture(scope="module")
def letter(ocr_engine_name) -> bytes:
    """Page 1 a clean scan strip, page 2 the same kind of strip scrawled."""
    strips = scan_strips(3)
    doc = pymupdf.open()
    add_scan_page(doc, strips[1])
    add_scan_page(doc, scrawled(strips[2]))
    return doc.tobytes()


def _parse(content: bytes, **options) -> Record:
    stage = PdfParse(memory_limit_mb=None, **options)
    try:
        (rec,) = stage([Record(id="letter", media_type="application/pdf", content=content)])
    finally:
        stage.close()
    return rec


def test_low_confidence_page_is_flagged_with_its_confidence(letter):
    rec = _parse(letter)
    assert rec.ok, rec.reason
    clean, scrawl = rec.pages
    assert "low_confidence" not in clean and clean["ocr_confidence"] >= 0.95
    assert scrawl["low_confidence"] is True and scrawl["ocr_confidence"] < 0.9
    assert scrawl["route"] == "ocr" and scrawl["route_reason"].endswith(
        f"low OCR confidence ({scrawl['ocr_confidence']:.2f}), no LLM configured")
    assert scrawl["chars"] > 0  # kept, but flagged
    scores = rec.provenance[-1]["scores"]
    assert scores["pages_low_confidence"] == 1 and scores["pages_dropped"] == 0


def test_min_ocr_confidence_drops_the_page_with_a_reason(letter):
    rec = _parse(letter, min_ocr_confidence=0.9)
    assert rec.ok, rec.reason
    clean, scrawl = rec.pages
    assert scrawl["chars"] == 0 and scrawl["dropped"].startswith("OCR confidence 0.")
    assert scrawl["dropped"].endswith("below the minimum 0.9")
    assert clean["chars"] > 100 and rec.text == rec.text[clean["text_span"][0]:clean["text_span"][1]]
    assert rec.provenance[-1]["scores"]["pages_dropped"] == 1


def test_document_of_only_dropped_pages_is_dropped_with_the_reason(ocr_engine_name):
    doc = pymupdf.open()
    add_scan_page(doc, scrawled(scan_strips(2)[1]))
    rec = _parse(doc.tobytes(), min_ocr_confidence=0.9)
    assert rec.status == "dropped" and rec.reason == "pdf_parse:low_ocr_confidence"


class _Vlm(BaseHTTPRequestHandler):
    calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls += 1
        data = json.dumps({"id": "x", "object": "chat.completion", "model": "vlm", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": TRANSCRIPTION}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_low_confidence_page_goes_to_the_llm_when_configured(letter):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vlm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rec = _parse(letter, llm_endpoint=f"http://127.0.0.1:{server.server_port}/v1", llm_model="vlm")
    finally:
        server.shutdown()
        server.server_close()
    assert rec.ok, rec.reason
    clean, scrawl = rec.pages
    assert clean["route"] == "ocr"
    assert scrawl["route"] == "llm" and scrawl["low_confidence"] is True, scrawl["route_reason"]
    assert rec.text[scrawl["text_span"][0]:scrawl["text_span"][1]] == TRANSCRIPTION
    assert _Vlm.calls == 1
