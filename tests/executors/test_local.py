"""The local executor and the job runner: accounting, resume after kill -9, refusing mixed runs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from corpusmill.config import job_from_config
from corpusmill.job import OutputInUse, run_job
from corpusmill.progress import Progress
from tests.conftest import ROOT, read_out, write_jsonl


def _corpus(tmp: Path, files: int, rows: int) -> list[str]:
    paths = []
    for f in range(files):
        data = [{"id": f"f{f}-{i}", "text": "" if i % 7 == 0 else f"document {f} {i} " * 3}
                for i in range(rows)]
        paths.append(str(write_jsonl(tmp / f"in{f}.jsonl.gz", data)))
    return paths


def _cfg(inputs: list[str], out: Path, workers: int = 2) -> dict:
    return {"reader": "corpus", "inputs": inputs, "output": str(out), "workers": workers,
            "pipeline": [{"stage": "media_gate"}]}


def test_every_record_accounted_for_with_two_workers(tmp_path: Path) -> None:
    inputs = _corpus(tmp_path, files=4, rows=300)
    stats = run_job(job_from_config(_cfg(inputs, tmp_path / "out")), Progress(quiet=True))
    assert stats.input == 1200
    assert stats.output + stats.dropped + stats.errors == stats.input
    assert stats.dropped == 4 * len(range(0, 300, 7))
    got = read_out(tmp_path / "out")
    ids = [r["id"] for part in got.values() for r in part]
    assert len(ids) == len(set(ids)) == 1200
    assert {r["provenance"][-1]["reason"] for r in got["rejects"]} == {"media_gate:empty_text"}


def test_rerun_skips_finished_shards(tmp_path: Path) -> None:
    inputs = _corpus(tmp_path, files=3, rows=50)
    job = job_from_config(_cfg(inputs, tmp_path / "out"))
    run_job(job, Progress(quiet=True))
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "data").iterdir()}
    stats = run_job(job, Progress(quiet=True))
    assert stats.input == 150
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "data").iterdir()} == before


def test_refuses_to_mix_two_different_runs(tmp_path: Path) -> None:
    inputs = _corpus(tmp_path, files=2, rows=10)
    run_job(job_from_config(_cfg(inputs[:1], tmp_path / "out")), Progress(quiet=True))
    with pytest.raises(OutputInUse):
        run_job(job_from_config(_cfg(inputs, tmp_path / "out")), Progress(quiet=True))
    stats = run_job(job_from_config(_cfg(inputs, tmp_path / "out")), Progress(quiet=True), overwrite=True)
    assert stats.input == 20


def test_kill_9_then_resume_has_no_gaps_and_no_duplicates(tmp_path: Path) -> None:
    files, rows = 16, 8000  # many files: the kill lands long before the last one, even on a loaded machine
    inputs = _corpus(tmp_path, files=files, rows=rows)
    out = tmp_path / "out"
    cfg_path = tmp_path / "p.yaml"
    cfg_path.write_text(yaml.safe_dump(_cfg(inputs, out, workers=2)))
    cmd = [sys.executable, "-m", "corpusmill.cli", "run", str(cfg_path), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    markers = out / "_markers" / "segment0"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        n = len(list(markers.glob("*.json"))) if markers.is_dir() else 0
        if n >= 2 or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed; make it bigger"
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, like an OOM kill
    proc.wait()
    done_before = len(list(markers.glob("*.json")))
    assert 0 < done_before < files
    assert not (out / "stats.json").exists()

    rc = subprocess.run(cmd, cwd=ROOT).returncode
    assert rc == 0
    got = read_out(out)
    ids = [r["id"] for part in got.values() for r in part]
    assert len(ids) == len(set(ids)), "duplicates after resume"
    assert set(ids) == {f"f{f}-{i}" for f in range(files) for i in range(rows)}, "gaps after resume"
    assert not [p for p in out.rglob(".*.tmp")], "partial files published"
