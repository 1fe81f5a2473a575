"""Drives a CorpusStage in-process the way the executor does: collect, passes, apply.

`completed` stands in for the executor's task markers: tasks whose ids are in
it are skipped, and every task run is added to it (so a test can stop half
way through the passes and "restart" with fresh stage objects).
"""
from __future__ import annotations

import copy
from pathlib import Path

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.record import Record


def collect(stage: CorpusStage, ctx: RunContext, shards: dict[str, list[Record]]) -> None:
    for shard_id, records in shards.items():
        st = stage.collect(ctx, shard_id)
        for _ in st(records):
            pass
        st.close()


def run_passes(stage: CorpusStage, ctx: RunContext, shard_ids: list[str],
               completed: set[str] | None = None, max_tasks: int | None = None) -> set[str]:
    """Run pass tasks in order, skipping `completed`; stop after `max_tasks` new ones."""
    completed = set() if completed is None else completed
    ran = 0
    for p in stage.passes(ctx, shard_ids):
        for task in p.tasks:
            if task.id in completed:
                continue
            if max_tasks is not None and ran >= max_tasks:
                return completed
            result = task.fn(*task.args)
            assert isinstance(result, dict)
            completed.add(task.id)
            ran += 1
    return completed


def apply(stage: CorpusStage, ctx: RunContext, shards: dict[str, list[Record]]) -> dict[str, list[Record]]:
    out = {}
    for shard_id, records in shards.items():
        ok = [r for r in records if r.ok]  # the next segment receives only ok records
        st = stage.apply(ctx, shard_id)
        out[shard_id] = list(st(ok))
        st.close()
    return out


def run(stage: CorpusStage, out_dir: Path, shards: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """A whole uninterrupted run on copies of the records; returns the applied records by shard."""
    shards = copy.deepcopy(shards)
    ctx = RunContext(out_dir)
    collect(stage, ctx, shards)
    run_passes(stage, ctx, list(shards))
    return apply(stage, ctx, shards)


def flat(shards: dict[str, list[Record]]) -> list[Record]:
    return [r for sid in sorted(shards) for r in shards[sid]]


def removed(shards: dict[str, list[Record]]) -> dict[str, str | None]:
    """id -> duplicate_of for every record marked duplicate."""
    return {r.id: r.metadata.get("dedup", {}).get("duplicate_of")
            for r in flat(shards) if r.status == "dropped"}


def rec(rid: str, text: str, uri: str | None = None, media_type: str = "text/html",
        **metadata) -> Record:
    source = {"uri": uri} if uri else {}
    return Record(id=rid, text=text, media_type=media_type, source=source, metadata=dict(metadata))
