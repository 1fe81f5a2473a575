"""Every dedup stage resumes from its on-disk state: stop half-way through the passes, restart
with fresh stage objects, and finish with the same result as an uninterrupted run."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from dedup_docs import PARAGRAPHS, body, page
from dedup_harness import apply, collect, flat, rec, run, run_passes

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.registry import stage_class


def _shards() -> dict[str, list]:
    """12 records over 4 shards: 4 bodies in re-dated copies, one exact copy, own paragraphs."""
    shards = {f"{s:05d}": [rec(f"s{s}-{j}", page(body((s + j) % 4), date=f"Posted {s + j} May")
                                + "\n" + PARAGRAPHS[40 + s * 3 + j])
                           for j in range(3)] for s in range(3)}
    shards["00003"] = [rec("exact", shards["00000"][0].text)]
    return shards


@pytest.mark.parametrize("name, kwargs", [
    ("exact_dedup", {"partitions": 4}), ("minhash_dedup", {"bucket_partitions": 2}),
    ("substring_dedup", {"partitions": 4}), ("paragraph_dedup", {"expected_items": 1000})])
def test_restart_in_the_middle_of_the_passes(tmp_path: Path, name: str, kwargs: dict) -> None:
    def fresh() -> CorpusStage:
        return stage_class(name)(**kwargs)

    shards = _shards()
    expected = run(fresh(), tmp_path / "full", shards)
    assert any(not r.ok for r in flat(expected))  # the corpus has duplicates

    shards = copy.deepcopy(shards)
    ctx = RunContext(tmp_path / "resumed")
    collect(fresh(), ctx, shards)
    total = sum(len(p.tasks) for p in fresh().passes(ctx, list(shards)))
    done = run_passes(fresh(), ctx, list(shards), max_tasks=total // 2)
    run_passes(fresh(), ctx, list(shards), completed=done)
    got = apply(fresh(), ctx, shards)
    assert [(r.id, r.status, r.text, r.metadata, r.provenance) for r in flat(got)] == \
        [(r.id, r.status, r.text, r.metadata, r.provenance) for r in flat(expected)]
