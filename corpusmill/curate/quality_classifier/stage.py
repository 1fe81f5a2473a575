"""`quality_classifier`: score every record with a trained classifier, keep by threshold or top fraction.

A corpus stage, because `keep_fraction` needs every score before any decision:

- `collect` (per shard) scores the shard's ok records in batches and writes
  `scores/<shard>.npy` (float64, NaN for a text with no words);
- pass `cutoff` (one task) reads every shard's scores (8 bytes a record) and
  decides: with `threshold`, score >= threshold; with `keep_fraction`, the
  ceil(fraction x scored) best, ties broken by (shard, position) so the count is
  exact whatever the worker count; it writes `keep/<shard>.npy` and `cutoff.json`;
- `apply` logs `kept` or drops with reason `quality_classifier:low_score`, with
  `quality_score` in the provenance scores and the model's sha256 in the detail.
  A record with no words is dropped as `quality_classifier:empty_text`.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.shard_stages import DecisionApplier, ShardCollector
from corpusmill.curate.dedup.side_files import load_ids, read_json, read_npy, write_json, write_npy
from corpusmill.curate.quality_classifier.model import QualityModel, cached_model
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

_BATCH = 512  # records scored per call (fastText's multi-line predict, one bincount for hashed)


class QualityClassifier(CorpusStage):
    name = "quality_classifier"
    version = "1"

    def __init__(self, model: str = "", threshold: float | None = None,
                 keep_fraction: float | None = None) -> None:
        if not model:
            raise ValueError("quality_classifier: set `model:` to a file from `corpusmill train-classifier`")
        if (threshold is None) == (keep_fraction is None):
            raise ValueError("quality_classifier: set exactly one of `threshold:` (0..1) or `keep_fraction:`")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"quality_classifier: threshold must be in 0..1, not {threshold}")
        if keep_fraction is not None and not 0.0 < keep_fraction <= 1.0:
            raise ValueError(f"quality_classifier: keep_fraction must be in (0, 1], not {keep_fraction}")
        loaded = QualityModel(model)  # a wrong file fails here, before any shard runs
        self.model, self.sha256, self.kind = str(Path(model).resolve()), loaded.sha256, loaded.kind
        self.threshold, self.keep_fraction = threshold, keep_fraction

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _ScoreCollector(self.name, self.version, ctx.stage_dir(self.name), shard_id,
                               self.model, self.sha256)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d = str(ctx.stage_dir(self.name))
        return [Pass(f"{self.name}:cutoff", [
            Task(f"{self.name}:cutoff", decide_cutoff,
                 (d, sorted(shard_ids), self.threshold, self.keep_fraction))])]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        d = ctx.stage_dir(self.name)
        cutoff = read_json(d / "cutoff.json")["cutoff"]
        scores = read_npy(d / "scores" / f"{shard_id}.npy", mmap=False)
        keep = read_npy(d / "keep" / f"{shard_id}.npy", mmap=False)
        decisions = [{"pos": i, "id": rid, "score": float(s), "keep": bool(k)}
                     for i, (rid, s, k) in enumerate(zip(load_ids(d, shard_id), scores, keep))]
        how = (f"threshold {self.threshold}" if self.threshold is not None
               else f"keep_fraction {self.keep_fraction} (corpus cutoff {cutoff})")
        return _ScoreApplier(self.name, self.version, decisions,
                             f"{self.kind} model sha256={self.sha256}; {how}")

    def limits(self, record: Record) -> dict[str, str]:
        if self.threshold is not None:
            return {"quality_score": f">= {self.threshold}"}
        return {"quality_score": f"in the top {self.keep_fraction:.2%} of the corpus"}


class _ScoreCollector(ShardCollector):
    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str, model: str,
                 sha256: str) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.model = cached_model(model, sha256)
        self.pending: list[str] = []
        self.scores: list[np.ndarray] = []

    def add(self, pos: int, record: Record) -> None:
        self.pending.append(record.text)
        if len(self.pending) >= _BATCH:
            self._score()

    def _score(self) -> None:
        if self.pending:
            self.scores.append(self.model.scores(self.pending))
            self.pending = []

    def flush(self) -> None:
        self._score()
        write_npy(self.stage_dir / "scores" / f"{self.shard_id}.npy",
                  np.concatenate(self.scores) if self.scores else np.empty(0))


def decide_cutoff(stage_dir: str, shard_ids: list[str], threshold: float | None,
                  keep_fraction: float | None) -> dict[str, Any]:
    """Task: which records to keep, from every shard's scores."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    per_shard = [read_npy(d / "scores" / f"{s}.npy", mmap=False) for s in shard_ids]
    scores = np.concatenate(per_shard) if per_shard else np.empty(0)
    scored = ~np.isnan(scores)
    if threshold is not None:
        keep = scored & (scores >= threshold)
        cutoff = threshold
    else:
        k = math.ceil(keep_fraction * int(scored.sum()))
        # Best first; ties by global position (shard order, then stream order): an exact count.
        order = np.lexsort((np.arange(len(scores)), -np.where(scored, scores, -np.inf)))
        keep = np.zeros(len(scores), dtype=bool)
        keep[order[:k]] = True
        keep &= scored
        cutoff = float(scores[order[k - 1]]) if k else None
    start = 0
    for s, arr in zip(shard_ids, per_shard):
        write_npy(d / "keep" / f"{s}.npy", keep[start: start + len(arr)])
        start += len(arr)
    write_json(d / "cutoff.json", {"cutoff": cutoff, "scored": int(scored.sum()), "kept": int(keep.sum())})
    return {"seconds": round(time.perf_counter() - t0, 3), "scored": int(scored.sum()),
            "kept": int(keep.sum()), "cutoff": cutoff}


class _ScoreApplier(DecisionApplier):
    def __init__(self, name: str, version: str, decisions: list[dict[str, Any]], detail: str) -> None:
        super().__init__(name, version, decisions)
        self.detail = detail

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        score = decision["score"]
        if math.isnan(score):
            self.drop(record, "empty_text", detail=f"no words to score; {self.detail}")
        elif decision["keep"]:
            self.keep(record, {"quality_score": round(score, 6)}, self.detail)
        else:
            self.drop(record, "low_score", {"quality_score": round(score, 6)}, self.detail)
