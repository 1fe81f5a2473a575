"""Semantic dedup (SemDeDup-style): static embeddings, k-means, a within-cluster similarity threshold.

Catches what MinHash cannot: the same content reworded, re-ordered or re-templated.

- `collect` (per shard): `emb/<shard>.npy` (records x dim float32 unit vectors from
  `static_embeddings`, a zero row for a text with no tokens), `coverage/<shard>.npy`
  (each text's share of meaningful tokens), `sketch/<shard>.npy` (each text's bottom-128
  word-hash sketch, `word_sketch`), `meta/<shard>.npy`
  (length and quality score, for the keep policy, as MinHash), `ids/<shard>.json`; with
  the contextual check on, the texts and language flags it reads (`contextual_check`).
- pass `kmeans` (one task): spherical k-means with a fixed seed on up to `fit_sample`
  vectors drawn with that seed, ceil(records / `cluster_size`) clusters; every record
  is assigned to its nearest centroid: `assign/<shard>.npy`.
- pass `groups` (`partitions` tasks, each a share of the clusters): within a cluster,
  records are compared by the cosine of their *residuals* (vector minus the cluster's
  centroid). A mean of static token vectors drifts toward its language's average as a
  text grows, so two unrelated long articles in one language have a raw cosine of
  0.97-0.98; the centroid carries that shared part, and what is left is the content.
  (Measured on the dev WARC: at the recall of raw cosine 0.98, residual cosine 0.9
  flags about half as many unrelated documents. The defaults, cosine 0.85 with word
  overlap 0.7, were chosen on the labelled pairs of bench/semantic_dedup.py: cosine
  0.80-0.85 with overlap 0.6-0.7 gave the same pairs; without the word check the cosine
  had to stay at 0.93.) Texts with (nearly) the same words,
  raw cosine >= `IDENTICAL`, are always similar. A pair over the threshold must also share
  words: at least `min_word_overlap` of the smaller text's distinct words are in the other
  (estimated from the sketches). Two documents on one topic (a library reference and a
  how-to on the same module) sit as close in a bag-of-token-vectors space as a copy with a
  changed template, but share only about half of their words, where a copy, a cut, an
  excerpt or a light rewrite keeps nearly all of them (bench/semantic_dedup.py: copies and
  edits >= 0.95, same-topic pages 0.45-0.6). Records are ranked by the keep policy
  (`first`, `longest`, `best_quality`) and taken greedily: a record whose similarity
  with an already kept record is >= `threshold` is a duplicate of the most similar
  such record, else it is kept. Unlike connected components this never chains (A~B,
  B~C does not remove C for A): every removed record is within the threshold of the
  very record it names. A record the static check leaves kept goes to the contextual
  check (`contextual_check`, unless `contextual_threshold` is None): among its earlier
  kept candidates (close, but not close enough for the static rule), the one with the
  highest all-MiniLM-L6-v2 cosine >= `contextual_threshold` makes it a duplicate. A
  mean of static token vectors cannot tell a reworded text from another text on the
  same topic; a contextual encoder can (bench/semantic_dedup.py: English paraphrases
  0.71-0.97, same-topic texts and pages <= 0.74), but costs ~0.3 ms of CPU per token,
  so it reads only those candidates. Each kept record also gets its nearest other kept
  record in the cluster. A text mostly in byte-fallback tokens (a script the vocabulary
  lacks) matches only near-identical texts. `groups/p<part>-s<shard index>.npy`.
- pass `decide` (one task per shard): the rows of that shard, with ids, as
  `decisions/<shard>.json`.
- `apply`: duplicates are marked `duplicate` (reason `semantic_dedup:duplicate`,
  status `dropped`) with `metadata["dedup"]` naming the kept record and the group
  `sd:<kept id>`, and which check named it (`check`, with the residual cosine, word
  overlap and, for the contextual check, its cosine in the scores); kept records log `kept` with their k-means cluster and nearest kept
  neighbour (what `explain` shows); a kept record with duplicates carries the group.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup import kmeans, word_sketch
from corpusmill.curate.dedup.contextual_check import ContextualCheck, TextStore
from corpusmill.curate.dedup.contextual_embeddings import model_dir
from corpusmill.curate.dedup.minhash import KEEP_POLICIES, META_DTYPE, parse_score_path, record_score
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
from corpusmill.curate.dedup.static_embeddings import embedder
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

NONE = np.iinfo(np.uint64).max
GROUP_DTYPE = np.dtype([("node", "<u8"), ("cluster", "<i4"), ("kept", "u1"), ("ref", "<u8"),
                        ("similarity", "<f4"), ("overlap", "<f4"), ("group_size", "<u4"),
                        ("cluster_size", "<u4"), ("check", "u1"), ("contextual", "<f4")])
# Which check named a duplicate (GROUP_DTYPE "check").
STATIC, CONTEXTUAL = 1, 2
CHECK_NAMES = {STATIC: "static", CONTEXTUAL: "contextual"}
_BATCH = 256  # records embedded per call
_BLOCK = 2048  # rows of a cluster's similarity matrix computed at once
IDENTICAL = 0.999  # raw cosine of texts with the same words (give or take a few)
# Below this share of meaningful (not byte-fallback) tokens a vector is too weak to call a
# reworded text a duplicate (Chinese news: ~0.5); only near-identical texts match.
MIN_COVERAGE = 0.8
# The contextual check (contextual_check.py), on bench/semantic_dedup.py's labelled pairs: every
# threshold in 0.74-0.86 gives the same pairs (12 of 13 English paraphrases, no false positive);
# 0.8 is the middle. Candidates: English paraphrases had residual cosines >= 0.80 and word overlaps
# >= 0.40; the floors sit below with room, and 0.65 reads a third of what 0.5 reads on the dev WARC
# for the same pairs found. Languages: the model is English-centric; other languages are opt-in.
CONTEXTUAL_THRESHOLD = 0.8
CANDIDATE_COSINE = 0.65
CANDIDATE_OVERLAP = 0.35
CONTEXTUAL_LANGUAGES = ("en",)


class SemanticDedup(CorpusStage):
    name = "semantic_dedup"
    version = "3"

    def __init__(self, threshold: float = 0.85, min_word_overlap: float = 0.7, dim: int = 256,
                 cluster_size: int = 50,
                 seed: int = 1, kmeans_iterations: int = 10, fit_sample: int = 100_000,
                 keep: str = "first", quality_score: str = "metadata.quality_score",
                 partitions: int = 4, contextual_threshold: float | None = CONTEXTUAL_THRESHOLD,
                 candidate_cosine: float = CANDIDATE_COSINE, candidate_overlap: float = CANDIDATE_OVERLAP,
                 contextual_languages: list[str] | tuple[str, ...] = CONTEXTUAL_LANGUAGES) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"semantic_dedup: threshold is a cosine in (0, 1], not {threshold}")
        if not 0.0 <= min_word_overlap <= 1.0:
            raise ValueError(f"semantic_dedup: min_word_overlap is a share in [0, 1], not {min_word_overlap}")
        if keep not in KEEP_POLICIES:
            raise ValueError(f"semantic_dedup: keep must be one of {KEEP_POLICIES}, not {keep!r}")
        if cluster_size < 1 or fit_sample < 1 or kmeans_iterations < 1:
            raise ValueError("semantic_dedup: cluster_size, fit_sample and kmeans_iterations must be >= 1")
        if not 1 <= partitions <= 4096:
            raise ValueError("semantic_dedup: partitions must be in 1..4096")
        if dim not in (64, 128, 256):
            raise ValueError(f"semantic_dedup: dim must be 64, 128 or 256, not {dim}")
        if contextual_threshold is not None:
            if not 0.0 < contextual_threshold <= 1.0:
                raise ValueError(f"semantic_dedup: contextual_threshold is a cosine in (0, 1] or null, "
                                 f"not {contextual_threshold}")
            if not 0.0 < candidate_cosine <= 1.0 or not 0.0 <= candidate_overlap <= 1.0:
                raise ValueError("semantic_dedup: candidate_cosine must be in (0, 1] and candidate_overlap in [0, 1]")
            if isinstance(contextual_languages, str) or not all(isinstance(x, str) for x in contextual_languages):
                raise ValueError("semantic_dedup: contextual_languages is a list of language codes, e.g. [en]")
            model_dir()  # a missing model package is a one-line error now, not in a worker later
        self.contextual_threshold, self.candidate_cosine = contextual_threshold, candidate_cosine
        self.candidate_overlap, self.contextual_languages = candidate_overlap, frozenset(contextual_languages)
        parse_score_path(quality_score)
        self.threshold, self.dim, self.cluster_size, self.seed = threshold, dim, cluster_size, seed
        self.kmeans_iterations, self.fit_sample = kmeans_iterations, fit_sample
        self.keep, self.quality_score, self.partitions = keep, quality_score, partitions
        self.min_word_overlap = min_word_overlap

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        d = ctx.stage_dir(self.name)
        texts = None if self.contextual_threshold is None else TextStore(d, shard_id, self.contextual_languages)
        return _EmbeddingCollector(self.name, self.version, d, shard_id, self.dim, self.quality_score, texts)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d, shards, n = str(ctx.stage_dir(self.name)), sorted(shard_ids), self.name
        return [
            Pass(f"{n}:kmeans", [Task(f"{n}:kmeans", fit_clusters, (
                d, shards, self.cluster_size, self.seed, self.kmeans_iterations, self.fit_sample))]),
            Pass(f"{n}:groups", [Task(f"{n}:groups:p{p:03d}", group_partition, (
                d, shards, p, self.partitions, self.threshold, self.keep, self.min_word_overlap,
                self._second_check())) for p in range(self.partitions)]),
            Pass(f"{n}:decide", [Task(f"{n}:decide:{s}", decide_shard, (d, shards, s, self.partitions))
                                 for s in shards]),
        ]

    def _second_check(self) -> tuple[float, float, float] | None:
        """(contextual threshold, candidate cosine, candidate overlap), or None when off."""
        if self.contextual_threshold is None:
            return None
        return self.contextual_threshold, self.candidate_cosine, self.candidate_overlap

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        decisions = read_json(ctx.stage_dir(self.name) / "decisions" / f"{shard_id}.json")
        return _SemanticApplier(self.name, self.version, decisions, self.threshold, self.min_word_overlap,
                                self.contextual_threshold)

    def limits(self, record: Record) -> dict[str, str]:
        out = {"cosine": f"< {self.threshold} to every kept record, or word overlap < "
                         f"{self.min_word_overlap} with it (else a duplicate)"}
        if self.contextual_threshold is not None:
            out["contextual_cosine"] = (f"< {self.contextual_threshold} to every kept candidate (residual cosine "
                                        f">= {self.candidate_cosine}, word overlap >= {self.candidate_overlap}, "
                                        f"language in {sorted(self.contextual_languages)})")
        return out


class _EmbeddingCollector(ShardCollector):
    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str, dim: int,
                 quality_score: str, texts: TextStore | None) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.texts = texts
        self.embedder = embedder(dim)
        self.score_path = parse_score_path(quality_score)
        self.meta: list[tuple[int, float]] = []
        self.pending: list[str] = []
        self.blocks: list[np.ndarray] = []
        self.coverage: list[np.ndarray] = []
        self.sketches: list[np.ndarray] = []

    def add(self, pos: int, record: Record) -> None:
        self.meta.append((len(record.text), record_score(record, self.score_path)))
        self.pending.append(record.text)
        if self.texts is not None:
            self.texts.add(record.text, record.metadata.get("language"))
        if len(self.pending) >= _BATCH:
            self._embed()

    def _embed(self) -> None:
        if self.pending:
            vectors, coverage, sketches = self.embedder.embed_with_sketches(self.pending)
            self.blocks.append(vectors)
            self.coverage.append(coverage)
            self.sketches.append(sketches)
            self.pending = []

    def flush(self) -> None:
        self._embed()
        emb = np.concatenate(self.blocks) if self.blocks else np.empty((0, self.embedder.dim), np.float32)
        write_npy(self.stage_dir / "emb" / f"{self.shard_id}.npy", emb)
        write_npy(self.stage_dir / "coverage" / f"{self.shard_id}.npy",
                  np.concatenate(self.coverage) if self.coverage else np.empty(0, np.float32))
        write_npy(self.stage_dir / "sketch" / f"{self.shard_id}.npy",
                  np.concatenate(self.sketches) if self.sketches else np.empty((0, word_sketch.SIZE), np.uint64))
        write_npy(self.stage_dir / "meta" / f"{self.shard_id}.npy", np.array(self.meta, dtype=META_DTYPE))
        if self.texts is not None:
            self.texts.write()


def _has_vector(emb: np.ndarray) -> np.ndarray:
    return np.any(emb != 0, axis=1)


def fit_clusters(stage_dir: str, shard_ids: list[str], cluster_size: int, seed: int,
                 iterations: int, fit_sample: int) -> dict[str, Any]:
    """Task: k-means on a seeded sample of all vectors, then every record's cluster (-1: no vector)."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    counts = [len(read_npy(d / "emb" / f"{s}.npy")) for s in shard_ids]
    total = sum(counts)
    rng = np.random.Generator(np.random.PCG64(seed))
    pick = np.sort(rng.choice(total, size=min(fit_sample, total), replace=False)) if total else np.empty(0, int)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    sample = [np.asarray(read_npy(d / "emb" / f"{s}.npy")[pick[(pick >= lo) & (pick < hi)] - lo])
              for s, lo, hi in zip(shard_ids, offsets[:-1], offsets[1:])]
    x = np.concatenate(sample) if sample else np.empty((0, 1), np.float32)
    x = x[_has_vector(x)] if len(x) else x
    k = math.ceil(total / cluster_size)
    centroids = kmeans.fit(x, k, seed, iterations) if len(x) else np.empty((0, x.shape[1]), np.float32)
    sizes = np.zeros(len(centroids), dtype=np.int64)
    for s in shard_ids:
        emb = read_npy(d / "emb" / f"{s}.npy")
        labels = kmeans.assign(emb, centroids) if len(centroids) else np.zeros(len(emb), np.int32)
        labels[~_has_vector(np.asarray(emb))] = -1
        sizes += np.bincount(labels[labels >= 0], minlength=len(centroids))
        write_npy(d / "assign" / f"{s}.npy", labels)
    write_npy(d / "centroids.npy", centroids)
    return {"seconds": round(time.perf_counter() - t0, 3), "records": total, "clusters": len(centroids),
            "largest": int(sizes.max()) if len(sizes) else 0}


def residuals(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Unit vectors of x minus its cluster's centroid (zero where x is the centroid)."""
    r = x - centroids
    norms = np.linalg.norm(r, axis=1, keepdims=True)
    return np.divide(r, norms, out=np.zeros_like(r), where=norms > 1e-6)


def _rank(meta: np.ndarray, nodes: np.ndarray, keep: str) -> np.ndarray:
    """Order of a cluster's members by keep policy: best first, ties by (shard, position)."""
    if keep == "first":
        return np.argsort(nodes, kind="stable")
    value = meta["length"].astype(np.float64) if keep == "longest" else meta["score"]
    value = np.where(np.isnan(value), -np.inf, value)
    return np.lexsort((nodes, -value))


def similarities(x: np.ndarray, r: np.ndarray, weak: np.ndarray, rows: slice | np.ndarray,
                 cols: slice | np.ndarray) -> np.ndarray:
    """Residual cosines of rows x cols; a near-identical pair (raw cosine >= IDENTICAL) scores its raw cosine.

    Two identical texts alone in a cluster have zero residuals; the raw cosine still
    names them duplicates. A pair with a `weak` vector (a text mostly in byte-fallback
    tokens) counts only when near-identical.
    """
    sim = r[rows] @ r[cols].T
    raw = x[rows] @ x[cols].T
    sim = np.where(weak[rows][:, None] | weak[cols][None, :], -1.0, sim)
    return np.where(raw >= IDENTICAL, np.maximum(sim, raw), sim)


@dataclass
class Verdicts:
    """Per row of a cluster in rank order: kept, ref (-1: none), residual cosine and word overlap
    with ref (NaN: not computed), which check named it a duplicate (0 when kept) and the
    contextual cosine with ref (NaN: not computed)."""

    kept: np.ndarray
    ref: np.ndarray
    sim: np.ndarray
    shared: np.ndarray
    check: np.ndarray
    contextual: np.ndarray


def greedy_dedup(x: np.ndarray, r: np.ndarray, threshold: float, weak: np.ndarray | None = None,
                 sketches: np.ndarray | None = None, min_overlap: float = 0.0,
                 second: ContextualCheck | None = None, index: np.ndarray | None = None) -> Verdicts:
    """For unit rows `x` and their unit residuals `r`, in rank order.

    A row is a duplicate of the most similar earlier kept row when that similarity is >=
    threshold and, given word `sketches`, their word overlap >= `min_overlap` (not asked of
    near-identical texts): the static check. Failing that, given a `second` check (rows are
    its records `index`), a duplicate of the earlier kept candidate row with the highest
    contextual cosine >= its threshold. Else it is kept and ref is its most similar other
    kept row (-1 when it is alone; overlap NaN). Memory: a block of rows x members.
    """
    m = len(x)
    weak = np.zeros(m, dtype=bool) if weak is None else weak
    kept = np.ones(m, dtype=bool)
    ref = np.full(m, -1, dtype=np.int64)
    sim = np.zeros(m, dtype=np.float32)
    shared = np.full(m, np.nan, dtype=np.float32)
    check = np.zeros(m, dtype=np.uint8)
    contextual = np.full(m, np.nan, dtype=np.float32)
    floor = threshold if second is None else min(threshold, second.candidate_cosine)
    # Edges (i, j), j < i, similarity >= floor, with their word overlaps and whether the
    # static rule holds; rows without one are kept outright.
    edges: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for s in range(0, m, _BLOCK):
        block = similarities(x, r, weak, slice(s, s + _BLOCK), slice(0, s + _BLOCK))
        rows, cols = np.nonzero(block >= floor)
        rows = rows + s
        earlier = cols < rows
        rows, cols = rows[earlier], cols[earlier]
        vals = block[rows - s, cols]
        words = np.ones(len(rows), dtype=np.float32)
        if sketches is not None:
            raw = np.einsum("ij,ij->i", x[rows], x[cols])
            for e in np.flatnonzero(raw < IDENTICAL):
                words[e] = word_sketch.overlap(sketches[rows[e]], sketches[cols[e]])
        static = (vals >= threshold) & (words >= min_overlap)
        for i in np.unique(rows):
            sel = rows == i
            edges[int(i)] = (cols[sel], vals[sel], words[sel], static[sel])
    for i in sorted(edges):
        cols, vals, words, static = edges[i]
        live = kept[cols] & static
        if live.any():
            best = int(np.argmax(np.where(live, vals, -np.inf)))
            kept[i], ref[i], sim[i], shared[i], check[i] = False, cols[best], vals[best], words[best], STATIC
            continue
        if second is None or index is None:
            continue
        open_ = kept[cols] & ~static
        if not open_.any():
            continue
        ask = np.flatnonzero(open_)
        ask = ask[second.candidates(int(index[i]), index[cols[ask]], vals[ask], words[ask])]
        # Most similar (residual cosine) first, ties by rank: the order scores are computed in.
        scores = [(second.score(int(index[i]), int(index[cols[e]])), e)
                  for e in ask[np.lexsort((cols[ask], -vals[ask]))]]
        passing = [(c, e) for c, e in scores if c >= second.threshold]
        if passing:
            c, e = max(passing, key=lambda t: (t[0], -cols[t[1]]))
            kept[i], ref[i], sim[i], shared[i], check[i], contextual[i] = (
                False, cols[e], vals[e], words[e], CONTEXTUAL, c)
    keepers = np.flatnonzero(kept)
    if len(keepers) > 1:
        for s in range(0, len(keepers), _BLOCK):
            rows = keepers[s: s + _BLOCK]
            block = similarities(x, r, weak, rows, keepers)
            block[np.arange(len(rows)), np.arange(s, s + len(rows))] = -np.inf  # not itself
            best = np.argmax(block, axis=1)
            ref[rows], sim[rows] = keepers[best], block[np.arange(len(rows)), best]
    return Verdicts(kept, ref, sim, shared, check, contextual)


def group_partition(stage_dir: str, shard_ids: list[str], part: int, parts: int, threshold: float,
                    keep: str, min_overlap: float, second: tuple[float, float, float] | None = None
                    ) -> dict[str, Any]:
    """Task: greedy dedup in every cluster c with c % parts == part (`second`: the contextual
    check's threshold, candidate cosine and candidate overlap, or None)."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    nodes, labels, vecs, metas, covs, sketches = [], [], [], [], [], []
    for i, s in enumerate(shard_ids):
        lab = read_npy(d / "assign" / f"{s}.npy", mmap=False)
        pos = np.flatnonzero((lab >= 0) & (lab % parts == part))
        nodes.append(node_ids(i, pos))
        labels.append(lab[pos])
        vecs.append(np.asarray(read_npy(d / "emb" / f"{s}.npy")[pos]))
        metas.append(np.asarray(read_npy(d / "meta" / f"{s}.npy")[pos]))
        covs.append(np.asarray(read_npy(d / "coverage" / f"{s}.npy")[pos]))
        sketches.append(np.asarray(read_npy(d / "sketch" / f"{s}.npy")[pos]))
    centroids = read_npy(d / "centroids.npy", mmap=False)
    node = np.concatenate(nodes) if nodes else np.empty(0, np.uint64)
    label = np.concatenate(labels) if labels else np.empty(0, np.int32)
    out = np.zeros(len(node), dtype=GROUP_DTYPE)
    out["node"], out["cluster"], out["ref"], out["contextual"] = node, label, NONE, np.nan
    check = None
    if len(node):
        vec, meta, sketch = np.concatenate(vecs), np.concatenate(metas), np.concatenate(sketches)
        weak = np.concatenate(covs) < MIN_COVERAGE
        check = None if second is None else ContextualCheck(d, shard_ids, node, meta["length"], *second)
        order = np.argsort(label, kind="stable")
        bounds = np.flatnonzero(np.diff(label[order])) + 1
        for members in np.split(order, bounds):
            ranked = members[_rank(meta[members], node[members], keep)]
            v = greedy_dedup(vec[ranked], residuals(vec[ranked], centroids[label[ranked]]),
                             threshold, weak[ranked], sketch[ranked], min_overlap, check, ranked)
            kept, ref = v.kept, v.ref
            out["kept"][ranked] = kept
            has = ref >= 0
            out["ref"][ranked[has]] = node[ranked[ref[has]]]
            out["similarity"][ranked] = v.sim
            out["overlap"][ranked] = v.shared
            out["check"][ranked] = v.check
            out["contextual"][ranked] = v.contextual
            out["cluster_size"][ranked] = len(members)
            dup_of = ranked[ref[~kept]]  # each duplicate's kept record (index into node)
            keepers, n_dups = np.unique(dup_of, return_counts=True)
            out["group_size"][keepers] = n_dups + 1
            out["group_size"][ranked[~kept]] = out["group_size"][dup_of]
    shard_of, _ = split_nodes(out["node"])
    for i in range(len(shard_ids)):  # one file per shard, so `decide` reads only its own rows
        write_npy(d / "groups" / f"p{part:03d}-s{i:05d}.npy", out[shard_of == i])
    stats = {"seconds": round(time.perf_counter() - t0, 3), "records": len(node),
             "duplicates": int((out["kept"] == 0).sum()),
             "contextual_duplicates": int((out["check"] == CONTEXTUAL).sum())}
    if check is not None:
        stats |= {"contextual_pairs": check.pairs, "contextual_windows": check.windows,
                  "contextual_cpu_seconds": round(check.seconds, 3)}
    return stats


def decide_shard(stage_dir: str, shard_ids: list[str], shard_id: str, parts: int) -> dict[str, Any]:
    """Task: one shard's rows from every partition, with the ids they name."""
    d = Path(stage_dir)
    index = shard_ids.index(shard_id)
    rows = np.concatenate([read_npy(d / "groups" / f"p{p:03d}-s{index:05d}.npy", mmap=False)
                           for p in range(parts)])
    _, pos = split_nodes(rows["node"])
    ids = load_ids(d, shard_id)
    ref_shard, ref_pos = split_nodes(rows["ref"])
    other_ids: dict[int, list[str]] = {}
    decisions = []
    for r, p, rs, rp in zip(rows, pos, ref_shard, ref_pos):
        ref = None
        if r["ref"] != NONE:
            if int(rs) not in other_ids:
                other_ids[int(rs)] = load_ids(d, shard_ids[int(rs)])
            ref = other_ids[int(rs)][int(rp)]
        decisions.append({"pos": int(p), "id": ids[int(p)], "cluster": int(r["cluster"]),
                          "cluster_size": int(r["cluster_size"]), "kept": bool(r["kept"]), "ref": ref,
                          "similarity": round(float(r["similarity"]), 6),
                          "overlap": None if np.isnan(r["overlap"]) else round(float(r["overlap"]), 4),
                          "check": CHECK_NAMES.get(int(r["check"])),
                          "contextual": None if np.isnan(r["contextual"]) else round(float(r["contextual"]), 4),
                          "group_size": int(r["group_size"])})
    write_json(d / "decisions" / f"{shard_id}.json", decisions)
    return {"records": len(decisions), "duplicates": sum(not x["kept"] for x in decisions)}


class _SemanticApplier(DecisionApplier):
    def __init__(self, name: str, version: str, decisions: list[dict[str, Any]], threshold: float,
                 min_overlap: float, contextual_threshold: float | None) -> None:
        super().__init__(name, version, decisions)
        self.threshold, self.min_overlap, self.contextual_threshold = threshold, min_overlap, contextual_threshold

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        c, csize, ref, sim = (decision["cluster"], decision["cluster_size"], decision["ref"],
                              decision["similarity"])
        scores = {"kmeans_cluster": c, "cosine": sim}
        if not decision["kept"]:
            group = f"sd:{ref}"
            shared = decision["overlap"]
            scores["word_overlap"] = shared
            scores["check"] = decision["check"]
            where = f"kept record {ref} (k-means cluster {c}, {csize} records)"
            if decision["check"] == "contextual":
                scores["contextual_cosine"] = decision["contextual"]
                detail = (f"contextual check: all-MiniLM-L6-v2 cosine {decision['contextual']:.3f} >= "
                          f"{self.contextual_threshold} with {where}; static scores residual cosine "
                          f"{sim:.3f}, word overlap {shared:.2f} (static rule: >= {self.threshold} and "
                          f">= {self.min_overlap})")
            else:
                detail = (f"static check: residual cosine {sim:.3f} >= {self.threshold} and word overlap "
                          f"{shared:.2f} >= {self.min_overlap} with {where}")
            mark_duplicate(self, record, ref, group, decision["group_size"], "duplicate", scores, detail=detail)
            return
        near = (f"nearest kept neighbour {ref} (residual cosine {sim:.3f})" if ref is not None
                else "no other record in its cluster")
        detail = f"k-means cluster {c} ({csize} records); {near}"
        if decision["group_size"] > 1:
            mark_kept(self, record, f"sd:{record.id}", decision["group_size"],
                      f"kept for {decision['group_size'] - 1} semantic duplicate(s); {detail}", scores)
        else:
            self.keep(record, scores, detail)
