"""Stages that need the whole corpus (dedup): collect per shard, global passes, apply per shard.

A run is a chain of *segments*. A segment is one pass over the shards: records
stream through per-record stages; non-ok records go to `rejects/`, ok records
to the next segment's input (or to `data/` after the last one). A
`CorpusStage` sits between two segments:

1. `collect(ctx, shard)` returns a per-record `Stage` appended to the segment
   before it. It passes records through and writes this shard's side data
   (e.g. MinHash signatures) under `ctx.work_dir` in `close()`.
2. `passes(ctx, shards)` returns global passes (`tasks.Pass`), each a list of
   tasks that the executor runs like any other shard work (markers, resume,
   workers).
3. `apply(ctx, shard)` returns a per-record `Stage` at the start of the next
   segment that marks this shard's records (e.g. `duplicate`) from the
   decisions the passes wrote.

Memory stays bounded by a shard (or a bucket), never by the corpus.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass


@dataclass(frozen=True)
class RunContext:
    """Where a run keeps its files; passed to stages that write side data."""

    out_dir: Path

    @property
    def work_dir(self) -> Path:
        return self.out_dir / "_work"

    def stage_dir(self, stage_name: str) -> Path:
        d = self.work_dir / stage_name
        d.mkdir(parents=True, exist_ok=True)
        return d


class CorpusStage:
    name: str = "corpus_stage"
    version: str = "1"

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        raise NotImplementedError

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        raise NotImplementedError

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        raise NotImplementedError

    def limits(self, record: Record) -> dict[str, str]:
        """Score name -> the bound a record needs to be kept (as `Stage.limits`), for `explain`."""
        return {}
