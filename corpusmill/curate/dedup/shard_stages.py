"""The per-record halves of the dedup `CorpusStage`s: collect a shard, apply decisions.

Both halves number a shard's ok records 0, 1, 2, ... in stream order. The
collect half sits at the end of a segment and the apply half at the start of
the next one, which receives exactly the ok records collect passed on, in the
same order - so a position names the same record on both sides. Each decision
also carries the record id, which apply checks: a mismatch means the side
files belong to another run, and the record is marked `error` rather than
deduplicated against the wrong decision.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from corpusmill.curate.dedup.side_files import write_json
from corpusmill.record import Record
from corpusmill.stage import Stage


class ShardCollector(Stage):
    """Numbers the shard's ok records and saves their ids; subclasses add their keys.

    A record whose keys cannot be computed raises in `add` (the base `Stage`
    then marks it `error`); it is not numbered, so positions stay aligned
    with what the next segment sees.
    """

    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str) -> None:
        self.name = name
        self.version = version
        super().__init__()
        self.stage_dir = stage_dir
        self.shard_id = shard_id
        self.ids: list[str] = []

    def process(self, record: Record) -> None:
        self.add(len(self.ids), record)
        self.ids.append(record.id)

    def add(self, pos: int, record: Record) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.flush()
        # Written last: its presence says the shard's other side files are complete.
        write_json(self.stage_dir / "ids" / f"{self.shard_id}.json", self.ids)

    def flush(self) -> None:
        raise NotImplementedError


class DecisionApplier(Stage):
    """Applies one shard's decisions (dicts with `pos`, `id`, ...) to its records."""

    def __init__(self, name: str, version: str, decisions: list[dict[str, Any]]) -> None:
        self.name = name
        self.version = version
        super().__init__()
        self._by_pos = {d["pos"]: d for d in decisions}
        self._n = 0

    def process(self, record: Record) -> None:
        pos = self._n
        self._n += 1
        decision = self._by_pos.get(pos)
        if decision is None:
            return
        if decision["id"] != record.id:
            raise RuntimeError(
                f"dedup decision for position {pos} is for record {decision['id']!r}, not "
                f"{record.id!r}: side files do not match this shard's records")
        self.decide(record, decision)

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        raise NotImplementedError


def mark_kept(stage: Stage, record: Record, cluster_id: str, cluster_size: int, detail: str,
              scores: dict[str, float] | None = None) -> None:
    """Keep `record` as its cluster's representative; `explain` finds the cluster by its id."""
    record.metadata["dedup"] = {"duplicate_of": None, "cluster_id": cluster_id,
                                "cluster_size": cluster_size, "stage": stage.name}
    stage.keep(record, scores, detail)


def mark_duplicate(stage: Stage, record: Record, duplicate_of: str, cluster_id: str,
                   cluster_size: int, reason: str, scores: dict[str, float] | None = None,
                   detail: str | None = None) -> None:
    """Mark `record` a duplicate: provenance action `duplicate`, status `dropped`."""
    record.metadata["dedup"] = {"duplicate_of": duplicate_of, "cluster_id": cluster_id,
                                "cluster_size": cluster_size, "stage": stage.name}
    stage.duplicate(record, reason, scores, detail or f"duplicate of {duplicate_of}")
