"""PdfParse on real PDFs (text-layer route) and on bad inputs (errors and drops by cause)."""
from __future__ import annotations

import io
import struct
import zlib

import pymupdf
import pytest
from PIL import Image

from corpusmill.parsers.pdf_stage import PdfParse
from corpusmill.record import Record



def pdf_record(content: bytes, rid: str = "doc", media_type: str = "application/pdf") -> Record:
    return Record(id=rid, media_type=media_type, content=content, source={"uri": f"file:///{rid}"})


@pytest.fixture(scope="module")
def stage():
    s = PdfParse(timeout_s=60, memory_limit_mb=1024)
    yield s
    s.close()


def run(stage: PdfParse, *records: Record) -> list[Record]:
    return list(stage(list(records)))


# ---------------------------------------------------------------- text-layer route
@pytest.mark.parametrize("doc_id, floor", [
    # Floors a little below the measured furniture-free BoW F1 (0.984, 0.967, 0.969).
    ("revtex4-1--apssamp", 0.97),
    ("ntgclass--brief-sample", 0.95),
    ("eledmac--1-tabular", 0.95),
])
def test_text_layer_quality_floor(stage, bench, gt_pages, pdf_fixtures, doc_id, floor):
    content = (pdf_fixtures / f"{doc_id}.pdf").read_bytes()
    (rec,) = run(stage, pdf_record(content, doc_id))
    assert rec.ok, rec.reason
    gold = bench.strip_furniture(gt_pages(doc_id))
    assert bench.bow_f1(rec.text, "\n".join(gold)) >= floor
    assert rec.source["page_count"] == len(gold) == len(rec.pages)
    assert all(p["route"] == "text-layer" for p in rec.pages)
    assert all(p["route_reason"].startswith("usable text layer") for p in rec.pages)
    assert rec.content is None


def test_record_fields_and_provenance(stage, pdf_fixtures):
    content = (pdf_fixtures / "revtex4-1--apssamp.pdf").read_bytes()
    (rec,) = run(stage, pdf_record(content))
    prov = rec.provenance[-1]
    assert prov["stage"] == "pdf_parse" and prov["action"] == "extracted"
    assert prov["detail"].startswith("pymupdf")
    assert prov["scores"]["pages"] == 7 and prov["scores"]["pages_text_layer"] == 7
    assert prov["scores"]["pages_ocr"] == 0
    page = rec.pages[0]
    assert page["number"] == 1 and page["chars"] > 1000
    start, end = page["text_span"]
    assert rec.text[start:end].startswith("# Manuscript Title")
    kinds = {b["type"] for p in rec.pages for b in p["blocks"]}
    assert {"paragraph", "page_number"} <= kinds
    orders = [b["order"] for b in page["blocks"] if b["order"] is not None]
    assert orders == list(range(len(orders)))
    assert all(len(b["bbox"]) == 4 for b in page["blocks"])
    assert rec.metadata.get("date", "").startswith("20")


def test_two_column_reading_order_and_furniture(stage, pdf_fixtures):
    (rec,) = run(stage, pdf_record((pdf_fixtures / "revtex4-1--apssamp.pdf").read_bytes()))
    text = rec.text
    # Left column, then right column, then the next page.
    a = text.index("This sample document demonstrates proper use of")
    b = text.index("When commands are referred to in this example file")
    c = text.index("## II. MATH AND EQUATIONS")
    assert a < b < c
    # Page numbers (bottom centre) are gone; headings are Markdown.
    assert "\n\n2\n\n" not in text and not text.rstrip().endswith("\n7")
    assert text.startswith("# Manuscript Title")
    assert "\n## A. Second-level heading: Formatting\n" in text
    # Hyphenation joined: pdftotext's gt has "commands" where the PDF has "com-" / "mands".
    assert "com- mands" not in text and "com-mands" not in text


def test_other_media_types_pass_through(stage):
    html = Record(id="h", media_type="text/html", content=b"<html><body>hi</body></html>")
    (out,) = run(stage, html)
    assert out.ok and out.content == b"<html><body>hi</body></html>" and out.provenance == []


def test_warc_borne_pdf_record(stage):
    """A PDF response from the dev WARC, as the WARC reader hands it over, parses like a file."""
    import json
    from pathlib import Path

    warcio = pytest.importorskip("warcio")
    corpus = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "warc"
    if not (corpus / "dev.warc.gz").exists():
        pytest.skip(f"dev WARC not found at {corpus}")
    entry = next(json.loads(line) for line in (corpus / "dev.manifest.jsonl").open()
                 if '"response"' in line and "application/pdf" in line)
    with open(corpus / "dev.warc.gz", "rb") as f:
        f.seek(entry["offset"])
        warc_record = next(iter(warcio.ArchiveIterator(f)))
        payload = warc_record.content_stream().read()
    rec = Record(id="warc-pdf", media_type="application/pdf", content=payload,
                 source={"uri": entry["target_uri"], "warc_file": "dev.warc.gz", "warc_offset": entry["offset"]})
    (out,) = run(stage, rec)
    assert out.ok, out.reason
    assert out.source["page_count"] >= 1 and len(out.text) > 1000
    assert out.source["warc_offset"] == entry["offset"]


# ---------------------------------------------------------------- bad inputs
def test_corrupt_pdf_is_an_error_and_the_run_goes_on(stage, pdf_fixtures):
    good = (pdf_fixtures / "eledmac--1-tabular.pdf").read_bytes()
    garbage = pdf_record(b"%PDF-1.7\n" + bytes(range(256)) * 40, "garbage")
    truncated = pdf_record(good[: len(good) // 2], "truncated")
    after = pdf_record(good, "after")
    out = run(stage, garbage, truncated, after)
    assert [r.status for r in out] == ["error", "error", "ok"]
    assert out[0].reason.startswith("corrupt PDF")
    assert out[1].reason.startswith("corrupt PDF")
    assert out[0].content is None


def test_encrypted_pdf_is_dropped(stage, pdf_fixtures):
    doc = pymupdf.open(pdf_fixtures / "eledmac--1-tabular.pdf")
    secret = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    (rec,) = run(stage, pdf_record(secret))
    assert rec.status == "dropped"
    assert rec.reason == "pdf_parse:encrypted"
    assert "password" in rec.provenance[-1]["detail"]


def test_zero_page_pdf_is_dropped(stage):
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n")
    xref = len(body)
    pdf = body + (b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
                  b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n")
    (rec,) = run(stage, pdf_record(pdf))
    assert rec.status == "dropped" and rec.reason == "pdf_parse:zero_pages"


def test_not_a_pdf_behind_a_pdf_media_type(stage):
    (rec,) = run(stage, pdf_record(b"<!DOCTYPE html><html><body>404 not found</body></html>"))
    assert rec.status == "error"
    assert rec.reason == "not a PDF: content looks like text/html"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (with a tiny, truncated IDAT)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_30000_px_image_is_refused_before_decoding(stage):
    (rec,) = run(stage, pdf_record(_png_header_only(30_000, 30_000), "huge", "image/png"))
    assert rec.status == "error"
    assert rec.reason.startswith("image too large")


def test_hang_is_killed_by_the_time_limit(pdf_fixtures):
    """A real page under a tiny time limit: the child is killed, the next document still parses."""
    content = (pdf_fixtures / "revtex4-1--apssamp.pdf").read_bytes()
    s = PdfParse(timeout_s=0.001)
    try:
        (rec,) = run(s, pdf_record(content, "slow"))
        assert rec.status == "error" and rec.reason == "timeout after 0.001s"
        s.timeout_s = 60
        (rec2,) = run(s, pdf_record(content, "next"))
        assert rec2.ok
    finally:
        s.close()


def test_decompression_bomb_is_streamed_not_inflated(stage):
    """A content stream inflating to 48 MB of blanks: MuPDF streams it; the page has no text."""
    doc = pymupdf.open()
    doc.new_page()
    bomb = zlib.compressobj(9)
    payload = b"".join(bomb.compress(b" " * (1 << 20)) for _ in range(48)) + bomb.flush()
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, payload, compress=False)
    doc.xref_set_key(xref, "Filter", "/FlateDecode")
    doc.xref_set_key(doc[0].xref, "Contents", f"{xref} 0 R")
    content = doc.tobytes()
    assert len(content) < 1_000_000
    (rec,) = run(stage, pdf_record(content, "bomb"))  # stage memory limit: 1 GB
    assert rec.status == "dropped" and rec.reason == "pdf_parse:no_text"


def test_memory_limit_kills_the_child(pdf_fixtures):
    s = PdfParse(timeout_s=60, memory_limit_mb=1)
    try:
        (rec,) = run(s, pdf_record((pdf_fixtures / "eledmac--1-tabular.pdf").read_bytes()))
        assert rec.status == "error" and rec.reason.startswith("memory limit exceeded")
    finally:
        s.close()


def test_broken_image_is_an_error(stage):
    buf = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(buf, format="JPEG")
    (rec,) = run(stage, pdf_record(buf.getvalue()[:100], "cut", "image/jpeg"))
    assert rec.status == "error" and rec.reason.startswith("corrupt image")
