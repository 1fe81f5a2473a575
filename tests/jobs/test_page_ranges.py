"""Long scans read in page ranges on all workers, joined in order; a killed run redoes only unfinished ranges."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from corpusmill.job import JobSpec, run_job
from corpusmill.parsers.page_ocr import PageReader
from corpusmill.parsers.pdf_document import ParseConfig, parse_document
from corpusmill.progress import Progress
from tests.conftest import ROOT, read_out
from tests.scanned_pdfs import scanned_pdf

# Ranges of two pages, so a five-page scan makes three ranges: fast, and still several per worker.
PARSE = {"stage": "pdf_parse", "range_pages": 2, "memory_limit_mb": None}


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scans")
    (folder / "book.pdf").write_bytes(scanned_pdf(5))
    return folder / "book.pdf"


def _job(inputs: list[str], out: Path, workers: int) -> JobSpec:
    return JobSpec(reader="pdf", inputs=inputs, out_dir=str(out), pipeline=[PARSE], workers=workers,
                   keep_work=True)


def test_long_scan_is_read_in_ranges_on_all_workers_and_joined_in_order(scan, tmp_path):
    out = tmp_path / "out"
    stats = run_job(_job([str(scan)], out, workers=2), Progress(quiet=True))
    assert stats.input == stats.output == 1
    (rec,) = read_out(out)["data"]
    ranges = sorted(p.name for p in (out / "_markers" / "pdf_pages.read").glob("*.json"))
    assert [name.split("-")[1] for name in ranges] == ["0000000.json", "0000002.json", "0000004.json"]
    assert [p["number"] for p in rec["pages"]] == [1, 2, 3, 4, 5]
    assert rec["source"]["page_count"] == 5
    # The same pages as one whole-document parse: a range changes where pages are read, not what is read.
    whole = parse_document(scan.read_bytes(), "application/pdf", ParseConfig(), PageReader())
    assert rec["text"] == whole.text
    assert [p["route"] for p in rec["pages"]] == ["ocr"] * 5


_RUN = """
import sys
from corpusmill.job import JobSpec, run_job
from corpusmill.progress import Progress
from tests.jobs.test_page_ranges import _job
run_job(_job([sys.argv[1]], __import__("pathlib").Path(sys.argv[2]), workers=1), Progress(quiet=True))
"""


def test_kill_9_mid_document_resumes_only_the_unfinished_ranges(scan, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _RUN, str(scan), str(out)], cwd=ROOT, env=env,
                            start_new_session=True)
    markers = out / "_markers" / "pdf_pages.read"
    deadline = time.monotonic() + 300
    while not list(markers.glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in markers.glob("*.json")}
    assert 1 <= len(done) < 3, "the run was to be killed after its first range"
    ranges = next((out / "_work" / "pdf_pages").iterdir())
    finished = {p.name: p.stat().st_mtime_ns for p in ranges.glob("*.json.gz")}

    stats = run_job(_job([str(scan)], out, workers=1), Progress(quiet=True))
    assert stats.input == stats.output == 1
    for name, mtime in done.items():
        assert (markers / name).stat().st_mtime_ns == mtime  # finished ranges were not redone
    for start in [name.split("-")[1].split(".")[0] for name in done]:
        assert (ranges / f"{start}.json.gz").stat().st_mtime_ns == finished[f"{start}.json.gz"]
    assert len(list(markers.glob("*.json"))) == 3
    (rec,) = read_out(out)["data"]
    assert [p["number"] for p in rec["pages"]] == [1, 2, 3, 4, 5]
    plan = orjson.loads((ranges / "plan.json").read_bytes())
    assert plan["ranges"] == [[0, 2], [2, 4], [4, 5]]
