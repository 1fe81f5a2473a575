"""Near-duplicate dedup with MinHash LSH (FineWeb's setup: 5-grams, 14 bands x 8 rows).

Layout under the stage's work dir:

- `collect` (per shard): `sig/<shard>.npy` (records x permutations uint64
  signatures), `bkeys/<shard>.npy` + `bpos/<shard>.npy` (bands x records
  bucket keys, each band row sorted, and the record positions in that
  order), `meta/<shard>.npy` (text length and quality score, for the keep
  policy), `ids/<shard>.json`.
- pass `buckets`: one task per (band, key partition). It reads its band row
  from every shard (memory-mapped, key range by binary search), sorts, and
  links every record in a bucket to the bucket's first record:
  `pairs/b<band>-p<part>.npy`. Memory: one band's keys / partitions.
- pass `clusters`: one task. Union-find over all pairs (memory: the pairs
  and the records that occur in them, not the corpus), keep one record per
  component by policy, and write `decisions/<shard>.json` for every shard.
- `apply` (per shard): marks removed members `duplicate` (status
  `dropped`) with `metadata["dedup"]` = {duplicate_of, cluster_id,
  cluster_size, stage}; kept members get the same dict with duplicate_of
  None, and a `kept` provenance entry naming the cluster.

Records are compared by their normalised words only, so a web page and a
PDF with the same text fall in the same cluster. Records without words have
no signature and are never near-duplicates (exact_dedup handles them).
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.components import component_labels
from corpusmill.curate.dedup.minhash_signatures import MinHasher
from corpusmill.curate.dedup.shard_stages import (
    DecisionApplier,
    ShardCollector,
    mark_duplicate,
    mark_kept,
)
from corpusmill.curate.dedup.side_files import (
    load_ids,
    node_ids,
    read_json,
    read_npy,
    split_nodes,
    write_json,
    write_npy,
)
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

KEEP_POLICIES = ("first", "longest", "best_quality")
META_DTYPE = np.dtype([("length", "<u8"), ("score", "<f8")])
PAIR_DTYPE = np.dtype([("a", "<u8"), ("b", "<u8")])
# Shingles buffered before signatures are computed in one batch.
_BATCH_SHINGLES = 1 << 16
# Members whose signatures are compared at once in the cluster pass.
_GATHER_CHUNK = 1 << 15


class MinHashDedup(CorpusStage):
    name = "minhash_dedup"
    version = "1"

    def __init__(self, n_gram: int = 5, bands: int = 14, rows: int = 8,
                 permutations: int | None = None, seed: int = 1, keep: str = "first",
                 quality_score: str = "metadata.quality_score", bucket_partitions: int = 1) -> None:
        if permutations is not None and permutations != bands * rows:
            raise ValueError(f"minhash_dedup: permutations ({permutations}) must equal "
                             f"bands x rows ({bands * rows})")
        if keep not in KEEP_POLICIES:
            raise ValueError(f"minhash_dedup: keep must be one of {KEEP_POLICIES}, not {keep!r}")
        if not 1 <= bucket_partitions <= 4096:
            raise ValueError("minhash_dedup: bucket_partitions must be in 1..4096")
        parse_score_path(quality_score)
        self.n_gram, self.bands, self.rows, self.seed = n_gram, bands, rows, seed
        self.keep = keep
        self.quality_score = quality_score
        self.bucket_partitions = bucket_partitions
        self.hasher = MinHasher(n_gram, bands, rows, seed)

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _MinHashCollector(self.name, self.version, ctx.stage_dir(self.name), shard_id,
                                 self.hasher, self.quality_score)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d = str(ctx.stage_dir(self.name))
        shards = sorted(shard_ids)
        parts = self.bucket_partitions
        buckets = Pass(f"{self.name}:buckets", [
            Task(f"{self.name}:buckets:b{b:03d}-p{p:03d}", bucket_pairs, (d, shards, b, p, parts))
            for b in range(self.bands) for p in range(parts)])
        clusters = Pass(f"{self.name}:clusters", [
            Task(f"{self.name}:clusters", cluster_decisions, (d, shards, self.keep))])
        return [buckets, clusters]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        decisions = read_json(ctx.stage_dir(self.name) / "decisions" / f"{shard_id}.json")
        return _MinHashApplier(self.name, self.version, decisions)


def parse_score_path(path: str) -> tuple[str, ...]:
    """"metadata.<key>" or "provenance.<stage>.<score>" -> its parts."""
    parts = tuple(path.split("."))
    if not ((parts[0] == "metadata" and len(parts) == 2)
            or (parts[0] == "provenance" and len(parts) == 3)):
        raise ValueError(f"quality_score must be 'metadata.<key>' or "
                         f"'provenance.<stage>.<score>', not {path!r}")
    return parts


def record_score(record: Record, parts: tuple[str, ...]) -> float:
    """The named score of a record, NaN when it has none (ranked below every score)."""
    if parts[0] == "metadata":
        value = record.metadata.get(parts[1])
    else:
        value = None
        for entry in reversed(record.provenance):
            if entry.get("stage") == parts[1] and parts[2] in (entry.get("scores") or {}):
                value = entry["scores"][parts[2]]
                break
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


class _MinHashCollector(ShardCollector):
    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str,
                 hasher: MinHasher, quality_score: str) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.hasher = hasher
        self.score_path = parse_score_path(quality_score)
        self.meta: list[tuple[int, float]] = []
        self.pending: list[np.ndarray] = []
        self.pending_pos: list[int] = []
        self.pending_size = 0
        self.sig_blocks: list[np.ndarray] = []
        self.sig_pos: list[int] = []

    def add(self, pos: int, record: Record) -> None:
        shingles = self.hasher.shingles(record.text)
        self.meta.append((len(record.text), record_score(record, self.score_path)))
        if len(shingles):
            self.pending.append(shingles)
            self.pending_pos.append(pos)
            self.pending_size += len(shingles)
            if self.pending_size >= _BATCH_SHINGLES:
                self._compute()

    def _compute(self) -> None:
        if self.pending:
            self.sig_blocks.append(self.hasher.signatures(self.pending))
            self.sig_pos.extend(self.pending_pos)
        self.pending, self.pending_pos, self.pending_size = [], [], 0

    def flush(self) -> None:
        self._compute()
        h = self.hasher
        n = len(self.meta)
        sigs = np.full((n, h.permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
        pos = np.array(self.sig_pos, dtype=np.uint32)
        if len(pos):
            sigs[pos] = np.concatenate(self.sig_blocks)
        keys = h.band_keys(sigs[pos]).T.copy() if len(pos) else np.empty((h.bands, 0), np.uint64)
        order = np.argsort(keys, axis=1, kind="stable")
        d, s = self.stage_dir, self.shard_id
        write_npy(d / "sig" / f"{s}.npy", sigs)
        write_npy(d / "bkeys" / f"{s}.npy", np.take_along_axis(keys, order, axis=1))
        write_npy(d / "bpos" / f"{s}.npy", pos[order])
        write_npy(d / "meta" / f"{s}.npy", np.array(self.meta, dtype=META_DTYPE))


def bucket_pairs(stage_dir: str, shard_ids: list[str], band: int, part: int,
                 parts: int) -> dict[str, Any]:
    """Task: link each record in a band bucket to the bucket's first record."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    lo = np.uint64((part << 64) // parts)
    hi = np.uint64((((part + 1) << 64) // parts) - 1)
    keys, nodes = [], []
    for i, s in enumerate(shard_ids):
        k = read_npy(d / "bkeys" / f"{s}.npy")[band]
        a, b = np.searchsorted(k, lo, side="left"), np.searchsorted(k, hi, side="right")
        keys.append(np.array(k[a:b]))
        nodes.append(node_ids(i, np.array(read_npy(d / "bpos" / f"{s}.npy")[band][a:b])))
    key = np.concatenate(keys) if keys else np.empty(0, np.uint64)
    node = np.concatenate(nodes) if nodes else np.empty(0, np.uint64)
    order = np.lexsort((node, key))
    key, node = key[order], node[order]
    new = np.ones(len(key), dtype=bool)
    new[1:] = key[1:] != key[:-1]
    first = node[np.flatnonzero(new)][np.cumsum(new) - 1]
    pairs = np.empty(int((~new).sum()), dtype=PAIR_DTYPE)
    pairs["a"], pairs["b"] = first[~new], node[~new]
    write_npy(d / "pairs" / f"b{band:03d}-p{part:03d}.npy", pairs)
    return {"seconds": round(time.perf_counter() - t0, 3),
            "records": len(key), "pairs": len(pairs)}


def _gather(d: Path, shard_ids: list[str], nodes: np.ndarray, what: str) -> np.ndarray:
    """Rows of a per-shard side array for global nodes, reading one shard at a time."""
    shard, pos = split_nodes(nodes)
    out = None
    for s in np.unique(shard):
        arr = read_npy(d / what / f"{shard_ids[s]}.npy")
        sel = shard == s
        rows = arr[pos[sel]]
        if out is None:
            out = np.empty((len(nodes), *rows.shape[1:]), dtype=rows.dtype)
        out[sel] = rows
    return out


def cluster_decisions(stage_dir: str, shard_ids: list[str], keep: str) -> dict[str, Any]:
    """Task: connected components of all band pairs -> one kept record per cluster."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    pair_files = sorted((d / "pairs").glob("b*-p*.npy"))
    pairs = (np.concatenate([np.load(f) for f in pair_files]) if pair_files
             else np.empty(0, PAIR_DTYPE))
    nodes, inverse = np.unique(np.concatenate([pairs["a"], pairs["b"]]), return_inverse=True)
    labels = component_labels(inverse[: len(pairs)], inverse[len(pairs):], len(nodes))
    keeper = _keepers(d, shard_ids, nodes, labels, keep)
    sizes = np.bincount(labels, minlength=len(nodes))[labels]
    similarity = _similarity(d, shard_ids, nodes, nodes[keeper])

    ids = np.empty(len(nodes), dtype=object)
    shard, pos = split_nodes(nodes)
    for s in np.unique(shard):
        sel = np.flatnonzero(shard == s)
        own = load_ids(d, shard_ids[s])
        ids[sel] = [own[p] for p in pos[sel]]
    by_shard: dict[int, list[dict[str, Any]]] = {}
    for k in range(len(nodes)):
        kept = keeper[k] == k
        by_shard.setdefault(int(shard[k]), []).append({
            "pos": int(pos[k]), "id": ids[k], "cluster_id": f"mh:{ids[labels[k]]}",
            "cluster_size": int(sizes[k]), "duplicate_of": None if kept else ids[keeper[k]],
            "similarity": float(similarity[k])})
    for i, s in enumerate(shard_ids):
        write_json(d / "decisions" / f"{s}.json", by_shard.get(i, []))
    return {"seconds": round(time.perf_counter() - t0, 3),
            "pairs": len(pairs), "clustered": len(nodes),
            "clusters": int((labels == np.arange(len(nodes))).sum()),
            "duplicates": int((keeper != np.arange(len(nodes))).sum())}


def _keepers(d: Path, shard_ids: list[str], nodes: np.ndarray, labels: np.ndarray,
             keep: str) -> np.ndarray:
    """For each node, the index of its component's kept node."""
    n = len(nodes)
    if keep == "first" or n == 0:
        return labels  # nodes sort by (shard id, position): the label is the first member
    meta = _gather(d, shard_ids, nodes, "meta")
    value = meta["length"].astype(np.float64) if keep == "longest" else meta["score"]
    value = np.where(np.isnan(value), -np.inf, value)
    order = np.lexsort((np.arange(n), -value, labels))  # best first, ties by position
    best = np.empty(n, dtype=np.int64)
    lab = labels[order]
    head = np.ones(n, dtype=bool)
    head[1:] = lab[1:] != lab[:-1]
    best[lab[head]] = order[head]
    return best[labels]


def _similarity(d: Path, shard_ids: list[str], nodes: np.ndarray,
                kept: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of each node with its cluster's kept record (equal signature slots)."""
    out = np.empty(len(nodes), dtype=np.float64)
    for s in range(0, len(nodes), _GATHER_CHUNK):
        a = _gather(d, shard_ids, nodes[s: s + _GATHER_CHUNK], "sig")
        b = _gather(d, shard_ids, kept[s: s + _GATHER_CHUNK], "sig")
        out[s: s + _GATHER_CHUNK] = (a == b).mean(axis=1)
    return out


class _MinHashApplier(DecisionApplier):
    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        cid, size, of = decision["cluster_id"], decision["cluster_size"], decision["duplicate_of"]
        scores = {"jaccard_estimate": decision["similarity"], "cluster_size": size}
        if of is None:
            mark_kept(self, record, cid, size, f"kept for near-duplicate cluster {cid} ({size} records)",
                      scores={"cluster_size": size})
        else:
            mark_duplicate(self, record, of, cid, size, "duplicate", scores,
                           detail=f"near-duplicate of {of} in cluster {cid} ({size} records)")
