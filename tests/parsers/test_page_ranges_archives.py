"""Long scans inside zip/tar archives and WARC responses: split into page ranges like PDF files, joined in
order, a killed run resumes only the unfinished ranges, and the spilled members are gone at the end.

The scans are strips of a real degraded dev scan (tests/scanned_pdfs.py) in image-only PDFs and a
multi-page TIFF, packed into real archives here.
"""
from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pymupdf
from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpusmill.job import JobSpec, run_job
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.progress import Progress
from tests.conftest import ROOT, read_out
from tests.scanned_pdfs import add_scan_page, scan_strips, scanned_pdf, truncated

# Ranges of two pages: a three-page scan is two ranges, a five-page one three.
PARSE = {"stage": "pdf_parse", "range_pages": 2, "memory_limit_mb": None}


def _tiff(jpegs: list[bytes]) -> bytes:
    frames = [Image.open(io.BytesIO(j)).convert("RGB") for j in jpegs]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return buf.getvalue()


def _job(reader: str, inputs: list[str], out: Path, workers: int, parse: dict | None = None) -> JobSpec:
    return JobSpec(reader=reader, inputs=inputs, out_dir=str(out), pipeline=[parse or PARSE], workers=workers,
                   keep_work=True)


def _ranges(out: Path, content: bytes) -> list[str]:
    """The finished ranges of the document with these bytes: their first pages."""
    key = hashlib.sha1(content).hexdigest()[:16]
    return sorted(p.stem.split("-")[1] for p in (out / "_markers" / "pdf_pages.read").glob(f"{key}-*.json"))


def _leftovers(out: Path) -> list[Path]:
    """Spilled members and half-written files left in the run's work folder."""
    work = out / "_work" / "pdf_pages"
    return sorted([*work.rglob("document"), *work.rglob(".*.tmp")])


def _book_with_a_corrupt_jpeg() -> bytes:
    doc = pymupdf.open()
    for jpeg in scan_strips(3)[:1] + [truncated(scan_strips(2)[1])] + scan_strips(3)[2:]:
        add_scan_page(doc, jpeg)
    return doc.tobytes()


def test_scans_inside_zip_and_tar_are_read_in_ranges_and_joined_in_order(tmp_path):
    """A PDF (its second page a corrupt JPEG) in a zip, a TIFF in a tar.gz."""
    book = _book_with_a_corrupt_jpeg()
    tiff = _tiff(scan_strips(4)[1:])
    with zipfile.ZipFile(tmp_path / "scans.zip", "w") as zf:
        zf.writestr("notes.txt", "not a document")
        zf.writestr("books/book.pdf", book)
    with tarfile.open(tmp_path / "faxes.tar.gz", "w:gz") as tf:
        info = tarfile.TarInfo("fax.tif")
        info.size = len(tiff)
        tf.addfile(info, io.BytesIO(tiff))
    out = tmp_path / "out"
    stats = run_job(_job("pdf", [str(tmp_path / "scans.zip"), str(tmp_path / "faxes.tar.gz")], out, workers=2),
                    Progress(quiet=True))

    assert stats.input == 3
    by_member = {r["source"]["member"]: r for r in read_out(out)["data"]}
    assert set(by_member) == {"notes.txt", "books/book.pdf", "fax.tif"}  # the text passes through untouched
    assert _ranges(out, book) == ["0000000", "0000002"]
    assert _ranges(out, tiff) == ["0000000", "0000002"]
    for rec in (by_member["books/book.pdf"], by_member["fax.tif"]):
        assert [p["number"] for p in rec["pages"]] == [1, 2, 3]
    assert [p["route"] for p in by_member["fax.tif"]["pages"]] == ["ocr"] * 3
    assert all(p["chars"] > 40 for p in by_member["fax.tif"]["pages"])
    # The corrupt page fails alone, in its range; the rest of the book is kept.
    pages = by_member["books/book.pdf"]["pages"]
    assert [p["route"] for p in pages] == ["ocr", "failed", "ocr"]
    assert pages[1]["route_reason"].startswith("corrupt image in the page (")
    assert pages[0]["chars"] > 40 and pages[2]["chars"] > 40
    # Read in ranges from the archive, the same text as the member parsed whole.
    whole = parse_document(book, "application/pdf", ParseConfig(), PageReader())
    assert by_member["books/book.pdf"]["text"] == whole.text
    assert _leftovers(out) == []


def _warc(path: Path, pdf: bytes) -> None:
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "application/pdf"),
                                           ("Content-Length", str(len(pdf)))], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.org/book.pdf", "response",
                                                      payload=io.BytesIO(pdf), http_headers=http))


def test_scan_inside_a_warc_response_is_read_in_ranges(tmp_path):
    book = scanned_pdf(3)
    _warc(tmp_path / "crawl.warc.gz", book)
    out = tmp_path / "out"
    parse = {**PARSE, "media_types": ["application/pdf"]}
    stats = run_job(_job("warc", [str(tmp_path / "crawl.warc.gz")], out, workers=2, parse=parse),
                    Progress(quiet=True))
    assert stats.errors == 0
    (rec,) = read_out(out)["data"]
    assert rec["source"]["uri"] == "https://example.org/book.pdf"
    assert _ranges(out, book) == ["0000000", "0000002"]
    assert [p["number"] for p in rec["pages"]] == [1, 2, 3]
    assert [p["route"] for p in rec["pages"]] == ["ocr"] * 3
    assert _leftovers(out) == []


def test_limit_leaves_scans_past_it_unread(tmp_path):
    """`--limit 1` reads the archive's first document only: the scan after it is never planned."""
    with zipfile.ZipFile(tmp_path / "scans.zip", "w") as zf:
        zf.writestr("a.txt", "first document")
        zf.writestr("b.pdf", scanned_pdf(3))
    out = tmp_path / "out"
    job = _job("pdf", [str(tmp_path / "scans.zip")], out, workers=1)
    job.limit = 1
    stats = run_job(job, Progress(quiet=True))
    assert stats.input == 1
    assert not (out / "_markers" / "pdf_pages.read").exists()


_RUN = """
import sys
from pathlib import Path
from corpusmill.progress import Progress
from corpusmill.job import run_job
from tests.parsers.test_page_ranges_archives import _job
run_job(_job("pdf", [sys.argv[1]], Path(sys.argv[2]), workers=1), Progress(quiet=True))
"""


def test_kill_9_inside_an_archive_resumes_only_the_unfinished_ranges(tmp_path):
    book = scanned_pdf(5)
    with tarfile.open(tmp_path / "books.tar", "w") as tf:
        info = tarfile.TarInfo("book.pdf")
        info.size = len(book)
        tf.addfile(info, io.BytesIO(book))
    archive, out = str(tmp_path / "books.tar"), tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _RUN, archive, str(out)], cwd=ROOT, env=env,
                            start_new_session=True)
    markers = out / "_markers" / "pdf_pages.read"
    deadline = time.monotonic() + 300
    while not list(markers.glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in markers.glob("*.json")}
    assert 1 <= len(done) < 3, "the run was to be killed after its first range"
    folder = out / "_work" / "pdf_pages" / hashlib.sha1(book).hexdigest()
    # The killed run's spilled member is what its resume reads the other ranges from.
    assert (folder / "document").read_bytes() == book

    stats = run_job(_job("pdf", [archive], out, workers=1), Progress(quiet=True))
    assert stats.input == stats.output == 1
    for name, mtime in done.items():
        assert (markers / name).stat().st_mtime_ns == mtime  # finished ranges were not redone
    assert _ranges(out, book) == ["0000000", "0000002", "0000004"]
    (rec,) = read_out(out)["data"]
    assert [p["number"] for p in rec["pages"]] == [1, 2, 3, 4, 5]
    assert all(p["route"] == "ocr" and p["chars"] > 40 for p in rec["pages"])
    assert _leftovers(out) == []
