"""Progress: plain lines when not on a terminal, nothing with --quiet; the summary table at the end."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import write_jsonl
from tests.jobs.test_warc_job import cli


def _input(tmp: Path) -> Path:
    return write_jsonl(tmp / "in.jsonl.gz", [{"id": str(i), "text": f"text {i}"} for i in range(50)])


def test_plain_progress_lines_and_summary(tmp_path: Path) -> None:
    r = cli("pii", str(_input(tmp_path)), "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("[segment0]")]
    assert lines and "1/1 tasks" in lines[-1] and "50 records" in lines[-1]
    assert "corpusmill run summary" in r.stdout and "input 50 = output 50" in r.stdout


def test_quiet_is_quiet(tmp_path: Path) -> None:
    r = cli("pii", str(_input(tmp_path)), "-o", str(tmp_path / "out"), "--quiet")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
