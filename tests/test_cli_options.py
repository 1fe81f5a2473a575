"""--version, --limit, --quiet and the log level on real runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from corpusmill import __version__
from tests.conftest import FIXTURES, ROOT, read_out, write_jsonl


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_version() -> None:
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"corpusmill {__version__}"


def test_limit_reads_the_first_n_documents_of_each_input(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl.gz", [{"id": f"a{i}", "text": f"text a {i} " * 20} for i in range(10)])
    b = write_jsonl(tmp_path / "b.jsonl.gz", [{"id": f"b{i}", "text": f"text b {i} " * 20} for i in range(10)])
    r = cli("pii", str(a), str(b), "-o", str(tmp_path / "out"), "--limit", "3", "--quiet")
    assert r.returncode == 0, r.stderr
    ids = sorted(rec["id"] for part in read_out(tmp_path / "out").values() for rec in part)
    assert ids == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_limit_on_a_warc_counts_documents_not_request_records(tmp_path: Path) -> None:
    r = cli("warc", str(FIXTURES / "warc" / "demo.warc.gz"), "-o", str(tmp_path / "out"), "--limit", "5",
            "--no-dedup", "--quiet")
    assert r.returncode == 0, r.stderr
    got = read_out(tmp_path / "out")
    documents = [rec for part in got.values() for rec in part
                 if not any(p.get("reason", "").startswith("warc_type:") for p in rec["provenance"])]
    assert len(documents) == 5


def test_quiet_silences_library_loggers_in_the_pdf_parser(tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "page.png").write_bytes((FIXTURES / "layout" / "acmart-sigconf-p0005-two-column.png").read_bytes())
    loud = cli("pdf", str(scans), "-o", str(tmp_path / "loud"), "--no-dedup", "--no-pii")
    assert loud.returncode == 0, loud.stderr
    # The layout model ran (its blocks are on the page); its library's INFO lines on loading are not shown.
    assert "rapid_layout" not in loud.stderr, loud.stderr
    assert any(b["type"] != "text_line" for p in read_out(tmp_path / "loud")["data"][0]["pages"] for b in p["blocks"])
    quiet = cli("pdf", str(scans), "-o", str(tmp_path / "quiet"), "--no-dedup", "--no-pii", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet.stderr
    assert read_out(tmp_path / "quiet")["data"], "the page was read"
