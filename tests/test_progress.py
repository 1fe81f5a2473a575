"""Progress: plain lines when not on a terminal, nothing with --quiet; the summary table at the end."""
from __future__ import annotations

import io
import queue
from pathlib import Path

from corpusmill.progress import Progress
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


def test_the_final_line_counts_what_tasks_wrote_even_when_ticks_arrive_late() -> None:
    # A worker's ticks travel through a queue whose feeder thread can deliver them after the
    # task's result: the final count must come from the result, and late ticks must not add.
    out = io.StringIO()
    p = Progress(stream=out)
    q: queue.Queue = queue.Queue()
    p.start_pass("segment0", total=2, done=0)
    q.put(("a", 200, None))
    p.drain(q)
    p.task_done("a", {"written": {"data": 240, "rejects": 10}}, records=250)
    q.put(("a", 50, 1.0))  # a's last tick, after its result
    q.put(("b", 30, None))
    p.drain(q)
    p.task_done("b", {"written": {"data": 40}}, records=40)
    assert out.getvalue().splitlines()[-1].startswith("[segment0] 2/2 tasks  290 records")
