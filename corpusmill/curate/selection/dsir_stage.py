"""The `dsir` stage: importance resampling of the corpus toward a target set, inside a pipeline.

The same method as `corpusmill select dsir` (curate/selection/dsir.py: hashed unigram+bigram
features, add-one smoothed bag-of-n-grams models of the target and of the pool, Gumbel top-k
without replacement), as a corpus stage, because the pool's model needs every shard:

- `collect` (per shard) hashes each ok record's features once and saves them (feature ids and
  counts, a few bytes a word), the shard's feature counts and which target words it has;
- pass `fit` (one task) sums the shards into the pool's model and writes the log ratio
  log p_target - log p_pool per bucket; a target that shares (next to) no words with the pool is
  recorded as an error here and every record gets it (status `error`, the message saying what to
  check) rather than a selection made of hash collisions;
- pass `weigh` (one task per shard) computes each record's log importance weight and its draw key,
  weight + Gumbel noise from a hash of (seed, record id): a record draws the same noise whatever
  the sharding, order or worker count;
- pass `draw` (one task) keeps the k largest keys over the corpus (ties by the id hash), so the
  selection is one draw of k without replacement, and writes the KL reduction the method defines,
  KL(target || pool) - KL(target || selected);
- `apply` keeps the drawn records (`dsir_log_weight` and `dsir_draw`, the draw rank, in the
  provenance scores) and drops the others as `dsir:not_drawn` (with their weight), or as
  `dsir:empty_text` when a text has no words.

Memory: one shard's features in `collect` and `weigh`, 16 bytes a record in `draw`.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.shard_stages import DecisionApplier, ShardCollector
from corpusmill.curate.dedup.side_files import load_ids, read_json, read_npy, write_json, write_npy
from corpusmill.curate.selection.commands import input_files, records
from corpusmill.curate.selection.dsir import (DEFAULT_BUCKETS, FeatureHasher, NoOverlap, PoolCounter, Profile,
                                              distribution, fit, id_gumbel, kl, target_profile, top_k, word_overlap)
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task


class Dsir(CorpusStage):
    name = "dsir"
    version = "1"

    def __init__(self, target: str | list[str], k: int | None = None, keep_fraction: float | None = None,
                 seed: int = 0, buckets: int = DEFAULT_BUCKETS, text_field: str = "text") -> None:
        paths = [target] if isinstance(target, str) else list(target or [])
        if not paths or not all(paths):
            raise ValueError("dsir: set `target:` to the texts to select toward (files or folders, as `select --target`)")
        if (k is None) == (keep_fraction is None):
            raise ValueError("dsir: set exactly one of `k:` (documents to draw) or `keep_fraction:`")
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"dsir: k is a number of documents >= 1, not {k!r}")
        if keep_fraction is not None and not 0.0 < keep_fraction <= 1.0:
            raise ValueError(f"dsir: keep_fraction must be in (0, 1], not {keep_fraction}")
        if not isinstance(buckets, int) or not 2 <= buckets <= 2**32:
            raise ValueError(f"dsir: buckets is a number of hash buckets in 2..2^32, not {buckets!r}")
        self.target = [str(Path(p).resolve()) for p in paths]
        self.k, self.keep_fraction, self.seed, self.buckets = k, keep_fraction, int(seed), buckets
        self.text_field = text_field
        # Read now: a missing or empty target fails the run before its first record.
        self.hasher, self.profile = _target(tuple(self.target), text_field, buckets)

    def limits(self, record: Record) -> dict[str, str]:
        size = f"{self.k:,}" if self.k is not None else f"{self.keep_fraction:.2%} of the corpus's count"
        return {"dsir_draw": f"< {size} (seed {self.seed})"}

    # ---------------------------------------------------------------- corpus stage

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _FeatureCollector(self, ctx.stage_dir(self.name), shard_id)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d, shards = str(ctx.stage_dir(self.name)), sorted(shard_ids)
        return [
            Pass(f"{self.name}:fit", [Task(f"{self.name}:fit", fit_pool,
                                           (d, shards, self.target, self.text_field, self.buckets))]),
            Pass(f"{self.name}:weigh", [Task(f"{self.name}:weigh:{s}", weigh_shard, (d, s, self.seed))
                                        for s in shards]),
            Pass(f"{self.name}:draw", [Task(f"{self.name}:draw", draw, (d, shards, self.k, self.keep_fraction))]),
        ]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        d = ctx.stage_dir(self.name)
        summary = read_json(d / "draw.json")
        if "error" in summary or not (d / "ids" / f"{shard_id}.json").exists():
            return _Applier(self, [], summary)  # an error for every record, or none reached collect
        weights = read_npy(d / "weights" / f"{shard_id}.npy", mmap=False)
        ranks = read_npy(d / "ranks" / f"{shard_id}.npy", mmap=False)
        decisions = [{"pos": i, "id": rid, "weight": float(w), "rank": int(r)}
                     for i, (rid, w, r) in enumerate(zip(load_ids(d, shard_id), weights, ranks))]
        return _Applier(self, decisions, summary)


@lru_cache(maxsize=4)
def _target(paths: tuple[str, ...], text_field: str, buckets: int) -> tuple[FeatureHasher, Profile]:
    """The target's features, read once per process (every shard task builds the stage)."""
    hasher = FeatureHasher(buckets)
    try:
        return hasher, target_profile((r.text for r in records(input_files(list(paths)), text_field)), hasher)
    except NoOverlap as e:  # no words at all in the target
        raise ValueError(f"dsir: {e}") from None


class _FeatureCollector(ShardCollector):
    """Saves each ok record's hashed features (CSR rows: ids and counts), the shard's feature
    counts and which target words it has."""

    def __init__(self, owner: Dsir, stage_dir: Path, shard_id: str) -> None:
        super().__init__(owner.name, owner.version, stage_dir, shard_id)
        self.counter = PoolCounter(owner.hasher, owner.profile)
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, pos: int, record: Record) -> None:
        ids, counts = np.unique(self.counter.add(record.text), return_counts=True)
        self.rows.append((ids.astype(np.uint32), counts.astype(np.uint32)))

    def flush(self) -> None:
        d, s = self.stage_dir, self.shard_id
        lengths = np.fromiter((len(ids) for ids, _ in self.rows), dtype=np.int64, count=len(self.rows))
        write_npy(d / "features" / f"{s}.indptr.npy", np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        write_npy(d / "features" / f"{s}.ids.npy",
                  np.concatenate([ids for ids, _ in self.rows]) if self.rows else np.empty(0, np.uint32))
        write_npy(d / "features" / f"{s}.counts.npy",
                  np.concatenate([c for _, c in self.rows]) if self.rows else np.empty(0, np.uint32))
        write_npy(d / "pool" / f"{s}.counts.npy", self.counter.counts)
        write_npy(d / "pool" / f"{s}.seen.npy", self.counter.seen)


def fit_pool(stage_dir: str, shard_ids: list[str], target: list[str], text_field: str,
             buckets: int) -> dict[str, Any]:
    """Task: the pool's model from every shard's counts, and the log ratio per bucket."""
    d = Path(stage_dir)
    hasher, profile = _target(tuple(target), text_field, buckets)
    counts, seen = np.zeros(buckets), np.zeros(len(profile.words), dtype=bool)
    for s in shard_ids:
        if (d / "ids" / f"{s}.json").exists():  # else no ok record reached this shard's collect
            counts += read_npy(d / "pool" / f"{s}.counts.npy", mmap=False)
            seen |= read_npy(d / "pool" / f"{s}.seen.npy", mmap=False)
    try:
        model = fit(profile, counts, word_overlap(profile, seen), hasher)
    except NoOverlap as e:
        write_json(d / "fit.json", {"error": f"dsir: {e}"})
        return {"error": str(e)}
    write_npy(d / "log_ratio.npy", model.log_ratio)
    write_npy(d / "target.npy", model.target)
    write_json(d / "fit.json", {"overlap": model.overlap, "kl_target_pool": kl(model.target, model.raw)})
    return {"overlap": round(model.overlap, 4)}


def _shard_features(d: Path, shard_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row of each feature, feature ids, counts, row count) of a shard's saved CSR rows."""
    indptr = read_npy(d / "features" / f"{shard_id}.indptr.npy", mmap=False)
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    return (rows, read_npy(d / "features" / f"{shard_id}.ids.npy", mmap=False).astype(np.int64),
            read_npy(d / "features" / f"{shard_id}.counts.npy", mmap=False).astype(np.float64), np.int64(n))


def weigh_shard(stage_dir: str, shard_id: str, seed: int) -> dict[str, Any]:
    """Task: each record's log importance weight sum_j c_j (log p_target(j) - log p_pool(j)) and its draw key."""
    d = Path(stage_dir)
    if "error" in read_json(d / "fit.json") or not (d / "ids" / f"{shard_id}.json").exists():
        return {"records": 0}
    log_ratio = read_npy(d / "log_ratio.npy", mmap=False)
    rows, ids, counts, n = _shard_features(d, shard_id)
    # float64 even for a shard with no ok record (bincount of nothing is int64, which cannot hold -inf)
    weights = np.bincount(rows, weights=log_ratio[ids] * counts, minlength=int(n)).astype(np.float64)
    weights[np.bincount(rows, minlength=int(n)) == 0] = -np.inf  # no words: never drawn
    noise, hashes = id_gumbel(load_ids(d, shard_id), seed)
    write_npy(d / "weights" / f"{shard_id}.npy", weights)
    write_npy(d / "keys" / f"{shard_id}.npy", weights + noise)
    write_npy(d / "hashes" / f"{shard_id}.npy", hashes)
    return {"records": int(n)}


def draw(stage_dir: str, shard_ids: list[str], k: int | None, keep_fraction: float | None) -> dict[str, Any]:
    """Task: the k largest keys over the corpus, the draw rank of each record (-1: not drawn), the KL reduction."""
    d = Path(stage_dir)
    fitted = read_json(d / "fit.json")
    if "error" in fitted:
        write_json(d / "draw.json", fitted)
        return {"error": fitted["error"]}
    shards = [s for s in shard_ids if (d / "ids" / f"{s}.json").exists()]
    weights = [read_npy(d / "weights" / f"{s}.npy", mmap=False) for s in shards]
    all_w = np.concatenate(weights) if weights else np.empty(0)
    keys = np.concatenate([read_npy(d / "keys" / f"{s}.npy", mmap=False) for s in shards]) if shards else np.empty(0)
    hashes = (np.concatenate([read_npy(d / "hashes" / f"{s}.npy", mmap=False) for s in shards])
              if shards else np.empty(0, np.uint64))
    drawable = int(np.isfinite(all_w).sum())
    wanted = k if k is not None else math.ceil(keep_fraction * drawable)
    chosen = top_k(keys, all_w, wanted, hashes)
    ranks = np.full(len(all_w), -1, dtype=np.int64)
    ranks[chosen] = np.arange(len(chosen))
    # The method's measure: how much closer the selection's features are to the target's than the pool's.
    selected = np.zeros(len(read_npy(d / "log_ratio.npy", mmap=False)))
    start = 0
    for s, w in zip(shards, weights):
        shard_ranks = ranks[start: start + len(w)]
        write_npy(d / "ranks" / f"{s}.npy", shard_ranks)
        rows, ids, counts, _ = _shard_features(d, s)
        picked = shard_ranks[rows] >= 0
        selected += np.bincount(ids[picked], weights=counts[picked], minlength=len(selected))
        start += len(w)
    target = read_npy(d / "target.npy", mmap=False)
    after = kl(target, distribution(selected))
    summary = {"pool": len(all_w), "drawable": drawable, "drawn": len(chosen), "overlap": round(fitted["overlap"], 4),
               "kl_target_pool": round(fitted["kl_target_pool"], 4), "kl_target_selected": round(after, 4),
               "kl_reduction": round(fitted["kl_target_pool"] - after, 4)}
    write_json(d / "draw.json", summary)
    return summary


class _Applier(DecisionApplier):
    def __init__(self, owner: Dsir, decisions: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        super().__init__(owner.name, owner.version, decisions)
        self.error = summary.get("error")
        if self.error is None:
            self.detail = (f"seed {owner.seed}; {summary['drawn']:,} drawn of {summary['pool']:,}; "
                           f"KL(target||pool) {summary['kl_target_pool']} -> KL(target||selected) "
                           f"{summary['kl_target_selected']} (reduction {summary['kl_reduction']}); "
                           f"target word overlap {summary['overlap']:.1%}")

    def process(self, record: Record) -> None:
        if self.error is not None:
            raise ValueError(self.error)
        super().process(record)

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        weight = decision["weight"]
        if not math.isfinite(weight):
            self.drop(record, "empty_text", detail=f"no words to weigh; {self.detail}")
        elif decision["rank"] >= 0:
            self.keep(record, {"dsir_log_weight": round(weight, 4), "dsir_draw": decision["rank"]}, self.detail)
        else:
            self.drop(record, "not_drawn", {"dsir_log_weight": round(weight, 4)}, self.detail)
