"""Page budgets: a page over its time or memory budget, or with a corrupt image, fails alone; the rest is kept.

Documents are built from strips of a real degraded dev scan (tests/scanned_pdfs.py), a few pages each.
"""
from __future__ import annotations

import io

import pymupdf
import pytest
from PIL import Image

from corpusmill.parsers.pdf_document import ParseConfig
from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.parsers.pdf_worker import Budget, ParserProcess
from corpusmill.record import Record
from tests.scanned_pdfs import (add_poster_page, add_scan_page, add_slow_page, scan_strips, scanned_pdf,
                                truncated)

PDF = "application/pdf"


@pytest.fixture(scope="module")
def strips(ocr_engine_name) -> list[bytes]:
    return scan_strips(3)


def _pdf(build) -> bytes:
    doc = pymupdf.open()
    build(doc)
    return doc.tobytes()


def _parse(stage: PdfParse, content: bytes, media_type: str = PDF) -> Record:
    (rec,) = stage([Record(id="doc", media_type=media_type, content=content, source={"uri": "file:///doc"})])
    return rec


def _kept_pages_read(rec: Record, numbers: list[int]) -> None:
    for number in numbers:
        page = rec.pages[number - 1]
        assert page["route"] == "ocr", page
        assert page["chars"] > 40, page


def test_page_over_its_time_budget_fails_and_the_rest_is_kept(strips):
    content = _pdf(lambda d: (add_scan_page(d, strips[0]), add_slow_page(d, strips[1]), add_scan_page(d, strips[2])))
    stage = PdfParse(page_timeout_s=20, timeout_s=120, memory_limit_mb=None)
    try:
        rec = _parse(stage, content)
    finally:
        stage.close()
    assert rec.ok, rec.reason
    assert [p["route"] for p in rec.pages] == ["ocr", "failed", "ocr"]
    assert rec.pages[1]["route_reason"] == "page timeout after 20s"
    assert rec.pages[1]["chars"] == 0
    _kept_pages_read(rec, [1, 3])
    scores = rec.provenance[-1]["scores"]
    assert scores["pages"] == 3 and scores["pages_failed"] == 1 and scores["pages_ocr"] == 2


def test_corrupt_jpeg_inside_a_pdf_fails_its_page_only(strips):
    content = _pdf(lambda d: [add_scan_page(d, j) for j in (strips[0], truncated(strips[1]), strips[2])])
    stage = PdfParse(memory_limit_mb=None)
    try:
        rec = _parse(stage, content)
    finally:
        stage.close()
    assert rec.ok, rec.reason
    assert [p["route"] for p in rec.pages] == ["ocr", "failed", "ocr"]
    assert rec.pages[1]["route_reason"].startswith("corrupt image in the page (")
    _kept_pages_read(rec, [1, 3])


def test_page_over_the_memory_limit_fails_and_the_rest_is_kept(strips):
    """The limit sits 200 MB above the child's peak while reading the strips; a 36-MP page needs more."""
    worker = ParserProcess(ParseConfig(max_render_pixels=60_000_000), memory_limit_mb=None)
    budget = Budget(page_s=120, base_s=120, per_page_s=30)
    try:
        worker.parse(scanned_pdf(3), PDF, budget)
        worker.memory_limit = worker.peak_rss + 200 * 2**20
        content = _pdf(lambda d: (add_scan_page(d, strips[0]), add_poster_page(d, strips[1], copies=40),
                                  add_scan_page(d, strips[2])))
        parsed = worker.parse(content, PDF, budget)
    finally:
        worker.close()
    routes = [page.route for page in parsed.parts]
    assert routes == ["ocr", "failed", "ocr"], [page.reason for page in parsed.parts]
    assert parsed.parts[1].reason.startswith("memory limit exceeded (")
    assert all(len(page.text) > 40 for page in (parsed.parts[0], parsed.parts[2]))


def test_document_budget_fails_the_pages_it_did_not_reach(strips):
    """A page that would take minutes under a generous page budget: the document's 15 s run out first,
    and every page not read by then fails with that reason (the record still comes back)."""
    content = _pdf(lambda d: (add_slow_page(d, strips[0]), add_scan_page(d, strips[1])))
    worker = ParserProcess(ParseConfig(), memory_limit_mb=None)
    try:
        parsed = worker.parse(content, PDF, Budget(page_s=600, base_s=15, per_page_s=0))
    finally:
        worker.close()
    assert parsed.page_count == 2
    for page in parsed.parts:
        assert page.route == "failed" and page.text == ""
        assert page.reason.startswith("document time budget (15s for 2 pages) spent")


def test_all_pages_failing_is_an_error_with_the_first_reason(strips):
    content = _pdf(lambda d: [add_scan_page(d, truncated(j)) for j in strips[:2]])
    stage = PdfParse(memory_limit_mb=None)
    try:
        rec = _parse(stage, content)
    finally:
        stage.close()
    assert rec.status == "error"
    assert rec.reason.startswith("all 2 pages failed; page 1: corrupt image in the page")


def test_tiff_of_500_frames_is_read_frame_by_frame(strips):
    """500 frames (blank but for a few with text): each frame decoded alone, every one accounted for."""
    with Image.open(io.BytesIO(strips[0])) as strip:
        text = strip.convert("RGB")
    blank = Image.new("RGB", (64, 64), "white")
    frames = [text if k in (0, 250, 499) else blank for k in range(500)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    stage = PdfParse(memory_limit_mb=2048)
    try:
        rec = _parse(stage, buf.getvalue(), "image/tiff")
    finally:
        stage.close()
    assert rec.ok, rec.reason
    assert rec.source["page_count"] == 500 and len(rec.pages) == 500
    assert [p["number"] for p in rec.pages] == list(range(1, 501))
    assert [p["number"] for p in rec.pages if p["chars"] > 40] == [1, 251, 500]
