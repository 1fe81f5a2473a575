"""Exact-substring dedup (RefinedWeb): repeated spans of >= 50 tokens kept only once.

Method: a rolling hash of every `span_tokens`-token window with an on-disk
sort, the scalable equivalent of a suffix array. A token lies in a repeated
substring of >= W tokens exactly when it lies in a W-token window that occurs
elsewhere, so marking every window occurrence after the first covers the same
tokens that a suffix array's repeated spans do (up to 64-bit hash
collisions). Unlike a suffix array over the concatenated corpus (RefinedWeb
built one per 1/100th of the data), it needs no corpus-sized array in memory:
each shard writes its window hashes in sorted runs, and each task of the `match`
pass reads one hash range from every shard (memory-mapped, binary-searched),
so memory is bounded by corpus / partitions.

Tokens are word runs and single punctuation marks of the raw text (an
approximation of the BPE tokens RefinedWeb counted; 50 of them is about 40
words). The first occurrence - by (shard id, position, token offset) - is
kept; occurrences overlapping the first within the same record (a text that
repeats itself, like one token 1000 times) are not removed, so such a text
keeps its first `span_tokens` tokens. `apply` cuts the spans out ("modified",
with counts) and drops a record left with fewer than `min_tokens_left`.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.shard_stages import DecisionApplier, ShardCollector
from corpusmill.curate.dedup.side_files import (
    load_ids,
    node_ids,
    read_json,
    read_npy,
    split_nodes,
    write_json,
    write_npy,
)
from corpusmill.curate.dedup.text_keys import fmix64, hash_tokens
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_")
WINDOW_DTYPE = np.dtype([("hash", "<u8"), ("pos", "<u4"), ("off", "<u4")])
HIT_DTYPE = np.dtype([("node", "<u8"), ("off", "<u4")])
_BASE = 0x9E3779B97F4A7C15  # odd, so invertible mod 2^64
_BASE_INV = pow(_BASE, -1, 1 << 64)
# Window entries a collector holds before writing a sorted run (16 bytes each).
_RUN_WINDOWS = 1 << 23


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def window_hashes(token_hashes: np.ndarray, w: int) -> np.ndarray:
    """Hash of every w-token window, by prefix sums of h_j * B^j (all mod 2^64)."""
    n = len(token_hashes)
    if n < w:
        return np.empty(0, dtype=np.uint64)
    powers = np.cumprod(np.full(n, _BASE, dtype=np.uint64)) * np.uint64(_BASE_INV)  # B^j
    inv = np.cumprod(np.full(n - w + 1, _BASE_INV, dtype=np.uint64)) * np.uint64(_BASE)  # B^-i
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(token_hashes * powers, out=prefix[1:])
    return fmix64((prefix[w:] - prefix[: n - w + 1]) * inv)


class SubstringDedup(CorpusStage):
    name = "substring_dedup"
    version = "1"

    def __init__(self, span_tokens: int = 50, min_tokens_left: int = 50, partitions: int = 16) -> None:
        if span_tokens < 2:
            raise ValueError("substring_dedup: span_tokens must be >= 2")
        if not 1 <= partitions <= 4096:
            raise ValueError("substring_dedup: partitions must be in 1..4096")
        self.span_tokens = span_tokens
        self.min_tokens_left = min_tokens_left
        self.partitions = partitions

    def limits(self, record: Record) -> dict[str, str]:
        return {"tokens_left": f">= {self.min_tokens_left}"}

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _SubstringCollector(self.name, self.version, ctx.stage_dir(self.name), shard_id,
                                   self.span_tokens)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d = str(ctx.stage_dir(self.name))
        shards = sorted(shard_ids)
        match = Pass(f"{self.name}:match", [
            Task(f"{self.name}:match:{p:04d}", match_windows,
                 (d, shards, p, self.partitions, self.span_tokens))
            for p in range(self.partitions)])
        spans = Pass(f"{self.name}:spans", [
            Task(f"{self.name}:spans:{s}", shard_spans, (d, shards, s, self.partitions,
                                                         self.span_tokens))
            for s in shards])
        return [match, spans]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        decisions = read_json(ctx.stage_dir(self.name) / "decisions" / f"{shard_id}.json")
        return _SubstringApplier(self.name, self.version, decisions, self.min_tokens_left,
                                 self.span_tokens)


class _SubstringCollector(ShardCollector):
    """Writes the shard's window hashes as sorted runs of at most `_RUN_WINDOWS` entries.

    Runs bound the collector's memory (16 bytes a token) on big shards; the
    match tasks binary-search every run.
    """

    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str, w: int) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.w = w
        self.blocks: list[np.ndarray] = []
        self.held = 0
        self.runs = 0
        for stale in _runs(stage_dir, shard_id):  # from an earlier attempt at this shard
            stale.unlink()

    def add(self, pos: int, record: Record) -> None:
        wh = window_hashes(hash_tokens(tokens(record.text)), self.w)
        if len(wh):
            block = np.empty(len(wh), dtype=WINDOW_DTYPE)
            block["hash"], block["pos"], block["off"] = wh, pos, np.arange(len(wh))
            self.blocks.append(block)
            self.held += len(wh)
            if self.held >= _RUN_WINDOWS:
                self._spill()

    def _spill(self) -> None:
        arr = np.concatenate(self.blocks) if self.blocks else np.empty(0, WINDOW_DTYPE)
        arr = arr[np.argsort(arr["hash"])]
        write_npy(self.stage_dir / "windows" / f"{self.shard_id}.{self.runs:04d}.npy", arr)
        self.blocks, self.held, self.runs = [], 0, self.runs + 1

    def flush(self) -> None:
        self._spill()


def _runs(stage_dir: Path, shard_id: str) -> list[Path]:
    return sorted((stage_dir / "windows").glob(f"{shard_id}.[0-9][0-9][0-9][0-9].npy"))


def match_windows(stage_dir: str, shard_ids: list[str], part: int, parts: int,
                  w: int) -> dict[str, Any]:
    """Task: window occurrences in this hash range that repeat an earlier occurrence."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    lo = np.uint64((part << 64) // parts)
    hi = np.uint64((((part + 1) << 64) // parts) - 1)
    hashes, nodes, offs = [], [], []
    for i, s in enumerate(shard_ids):
        runs = _runs(d, s)
        if not runs:
            raise FileNotFoundError(f"dedup side file missing: {d / 'windows'}/{s}.*.npy "
                                    "(did collect run for this shard?)")
        for run in runs:
            win = read_npy(run)
            a = np.searchsorted(win["hash"], lo, "left")
            b = np.searchsorted(win["hash"], hi, "right")
            sl = np.array(win[a:b])
            hashes.append(sl["hash"])
            nodes.append(node_ids(i, sl["pos"]))
            offs.append(sl["off"])
    h = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
    node = np.concatenate(nodes) if nodes else np.empty(0, np.uint64)
    off = np.concatenate(offs) if offs else np.empty(0, np.uint32)
    order = np.lexsort((off, node, h))
    h, node, off = h[order], node[order], off[order]
    first = np.ones(len(h), dtype=bool)
    first[1:] = h[1:] != h[:-1]
    head = np.flatnonzero(first)[np.cumsum(first) - 1]
    # Not removed: first occurrences, and occurrences overlapping their first one in the same record.
    overlaps_first = (node == node[head]) & (off.astype(np.int64) - off[head] < w)
    hit = ~first & ~overlaps_first
    out = np.empty(int(hit.sum()), dtype=HIT_DTYPE)
    out["node"], out["off"] = node[hit], off[hit]
    out.sort(order=["node", "off"])
    write_npy(d / "hits" / f"{part:04d}.npy", out)
    return {"seconds": round(time.perf_counter() - t0, 3),
            "windows": len(h), "repeated": len(out)}


def shard_spans(stage_dir: str, shard_ids: list[str], shard_id: str, parts: int,
                w: int) -> dict[str, Any]:
    """Task: merge this shard's repeated windows into token ranges per record."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    idx = shard_ids.index(shard_id)
    bounds = np.concatenate([node_ids(idx, np.array([0])), node_ids(idx + 1, np.array([0]))])
    rows = []
    for p in range(parts):
        hits = read_npy(d / "hits" / f"{p:04d}.npy")
        a, b = np.searchsorted(hits["node"], bounds)
        rows.append(np.array(hits[a:b]))
    hits = np.concatenate(rows) if rows else np.empty(0, HIT_DTYPE)
    hits.sort(order=["node", "off"])
    _, pos = split_nodes(hits["node"])
    off = hits["off"].astype(np.int64)
    ids = load_ids(d, shard_id)
    decisions = []
    record_starts = np.flatnonzero(np.diff(pos, prepend=-1) != 0)
    for k, s in enumerate(record_starts):
        e = record_starts[k + 1] if k + 1 < len(record_starts) else len(pos)
        o = off[s:e]
        # Windows are sorted and all w long: a new range starts where a window
        # begins after the previous one ends.
        new = np.ones(len(o), dtype=bool)
        new[1:] = o[1:] > o[:-1] + w
        starts = o[new]
        ends = o[np.append(np.flatnonzero(new)[1:] - 1, len(o) - 1)] + w
        decisions.append({"pos": int(pos[s]), "id": ids[int(pos[s])],
                          "ranges": np.stack([starts, ends], axis=1).tolist()})
    write_json(d / "decisions" / f"{shard_id}.json", decisions)
    return {"seconds": round(time.perf_counter() - t0, 3),
            "records_with_repeats": len(decisions)}


class _SubstringApplier(DecisionApplier):
    def __init__(self, name: str, version: str, decisions: list[dict[str, Any]],
                 min_tokens_left: int, span_tokens: int) -> None:
        super().__init__(name, version, decisions)
        self.min_tokens_left = min_tokens_left
        self.span_tokens = span_tokens

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        text = record.text
        starts = [m.start() for m in _TOKEN.finditer(text)]
        n = len(starts)
        ranges = decision["ranges"]
        if ranges[-1][1] > n:
            raise RuntimeError(f"substring_dedup: decision covers token {ranges[-1][1]} of a "
                               f"{n}-token text: side files do not match this record")
        pieces, cursor = [], 0
        for s, e in ranges:
            pieces.append(text[cursor: starts[s]])
            cursor = starts[e] if e < n else len(text)
        pieces.append(text[cursor:])
        removed = sum(e - s for s, e in ranges)
        scores = {"removed_tokens": removed, "removed_spans": len(ranges),
                  "tokens_left": n - removed}
        if n - removed < self.min_tokens_left:
            self.drop(record, "too_little_left", scores)
            return
        record.text = "".join(pieces).strip()
        self.modify(record, scores, detail=f"removed {len(ranges)} span(s) of >= {self.span_tokens} tokens "
                                           f"seen earlier in the corpus")
