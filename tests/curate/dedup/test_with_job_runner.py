"""The dedup stages inside the real job runner and local executor (processes, markers)."""
from __future__ import annotations

import json
from pathlib import Path

from dedup_docs import body, page

from corpusmill.config import job_from_config
from corpusmill.job import run_job
from corpusmill.progress import Progress
from tests.conftest import read_out, write_jsonl


def _inputs(tmp: Path) -> list[str]:
    files = []
    for f in range(3):
        rows = [{"id": f"f{f}-u{i}", "text": page(body(f * 2 + i))} for i in range(2)]
        rows.append({"id": f"f{f}-exact", "text": page(body(0)).upper()})
        rows.append({"id": f"f{f}-near", "text": page(body(1), date=f"Updated {f} May 2024")})
        files.append(str(write_jsonl(tmp / f"in{f}.jsonl.gz", rows)))
    return files


def _run(inputs: list[str], out: Path, workers: int) -> dict[str, list[dict]]:
    cfg = {"reader": "corpus", "inputs": inputs, "output": str(out), "workers": workers,
           "pipeline": [{"stage": "exact_dedup"}, {"stage": "minhash_dedup"},
                        {"stage": "paragraph_dedup", "expected_items": 1000}]}
    stats = run_job(job_from_config(cfg), Progress(quiet=True))
    assert stats.output + stats.dropped + stats.errors == stats.input == 12
    return read_out(out)


def test_same_output_with_one_or_two_workers(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    one = _run(inputs, tmp_path / "one", workers=1)
    two = _run(inputs, tmp_path / "two", workers=2)
    assert one == two
    rejects = {r["id"]: r["provenance"][-1] for r in one["rejects"]}
    # f0-u0 is body(0) (first); the upper-cased copies are exact duplicates of it.
    assert {k for k, v in rejects.items() if v["stage"] == "exact_dedup"} == \
        {"f0-exact", "f1-exact", "f2-exact"}
    # f0-u1 is body(1): the re-dated copies are near duplicates of it.
    assert {k for k, v in rejects.items() if v["stage"] == "minhash_dedup"} == \
        {"f0-near", "f1-near", "f2-near"}
    assert all(v["action"] == "duplicate" for k, v in rejects.items() if "exact" in k or "near" in k)
    kept = {r["id"]: r for r in one["data"]}
    # Input rows keep their columns; what dedup learned is in the one column it adds.
    assert json.loads(kept["f0-u1"]["corpusmill"])["dedup"]["cluster_size"] == 4
