"""Exact document dedup: normalised-text hash and normalised URL, first seen kept.

`collect` hashes each ok record's normalised text (NFKC, casefold, whitespace
and punctuation collapsed; xxh3-128) and, for web records (an http(s)
`source["uri"]`), its normalised URL, into one sorted key file per shard.
Pass `match` splits the 128-bit key space into `partitions`; a task reads
its key range from every shard (memory-mapped, binary-searched) and finds,
per key, the first record by (shard id, position). Pass `decide` turns that
into a decision file per shard. `apply` marks every record whose text or URL
was seen before as a duplicate of that first record, whatever the worker
count.

Text and URL are independent keys: a record is removed if either was seen
earlier, even when the earlier record was itself removed for its other key
(the usual "seen before" semantics of hash dedup). Empty texts have no text
key (nothing to compare; length filters handle them).
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
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
from corpusmill.curate.dedup.text_keys import hash128, normalized_text, normalized_url
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

TEXT, URL = 0, 1
_KINDS = {TEXT: "text", URL: "url"}
KEY_DTYPE = np.dtype([("h1", "<u8"), ("h2", "<u8"), ("kind", "u1"), ("pos", "<u4")])
MATCH_DTYPE = np.dtype([("node", "<u8"), ("first", "<u8"), ("kind", "u1"), ("size", "<u4")])


class ExactDedup(CorpusStage):
    name = "exact_dedup"
    version = "1"

    def __init__(self, text: bool = True, url: bool = True, partitions: int = 16) -> None:
        if not (text or url):
            raise ValueError("exact_dedup: enable text and/or url")
        if not 1 <= partitions <= 4096:
            raise ValueError("exact_dedup: partitions must be in 1..4096")
        self.text = text
        self.url = url
        self.partitions = partitions

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _ExactCollector(self.name, self.version, ctx.stage_dir(self.name), shard_id,
                               self.text, self.url)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d = str(ctx.stage_dir(self.name))
        shards = sorted(shard_ids)
        match = Pass(f"{self.name}:match", [
            Task(f"{self.name}:match:{p:04d}", match_partition, (d, shards, p, self.partitions))
            for p in range(self.partitions)])
        decide = Pass(f"{self.name}:decide", [
            Task(f"{self.name}:decide:{s}", decide_shard, (d, shards, s, self.partitions))
            for s in shards])
        return [match, decide]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        decisions = read_json(ctx.stage_dir(self.name) / "decisions" / f"{shard_id}.json")
        return _ExactApplier(self.name, self.version, decisions)


class _ExactCollector(ShardCollector):
    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str,
                 text: bool, url: bool) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.use_text, self.use_url = text, url
        self.keys: list[tuple[int, int, int, int]] = []

    def add(self, pos: int, record: Record) -> None:
        keys = []
        if self.use_text:
            norm = normalized_text(record.text)
            if norm:
                keys.append((*hash128(norm), TEXT, pos))
        if self.use_url:
            uri = record.source.get("uri")
            url = normalized_url(uri) if isinstance(uri, str) else None
            if url:
                keys.append((*hash128(url, seed=1), URL, pos))
        self.keys.extend(keys)

    def flush(self) -> None:
        arr = np.array(self.keys, dtype=KEY_DTYPE)
        arr.sort(order=["h1", "h2", "kind", "pos"])
        write_npy(self.stage_dir / "keys" / f"{self.shard_id}.npy", arr)


def _bounds(part: int, parts: int) -> tuple[int, int]:
    lo = (part << 64) // parts
    hi = ((part + 1) << 64) // parts
    return lo, hi


def match_partition(stage_dir: str, shard_ids: list[str], part: int, parts: int) -> dict[str, Any]:
    """Task: for keys in this partition's h1 range, find each key's first record."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    lo, hi = _bounds(part, parts)
    chunks, nodes = [], []
    for i, s in enumerate(shard_ids):
        keys = read_npy(d / "keys" / f"{s}.npy")
        a = np.searchsorted(keys["h1"], np.uint64(lo), side="left")
        b = np.searchsorted(keys["h1"], np.uint64(hi - 1), side="right")
        sl = np.array(keys[a:b])
        chunks.append(sl)
        nodes.append(node_ids(i, sl["pos"]))
    keys = np.concatenate(chunks) if chunks else np.empty(0, KEY_DTYPE)
    node = np.concatenate(nodes) if nodes else np.empty(0, np.uint64)
    order = np.lexsort((node, keys["h2"], keys["h1"], keys["kind"]))
    keys, node = keys[order], node[order]
    same = np.zeros(len(keys), dtype=bool)
    if len(keys) > 1:
        same[1:] = ((keys["h1"][1:] == keys["h1"][:-1]) & (keys["h2"][1:] == keys["h2"][:-1])
                    & (keys["kind"][1:] == keys["kind"][:-1]))
    group = np.cumsum(~same) - 1
    starts = np.flatnonzero(~same)
    sizes = np.diff(np.append(starts, len(keys)))
    size = sizes[group] if len(keys) else np.empty(0, np.int64)
    in_dup = size > 1
    out = np.empty(int(in_dup.sum()), dtype=MATCH_DTYPE)
    out["node"] = node[in_dup]
    out["first"] = node[starts][group][in_dup]
    out["kind"] = keys["kind"][in_dup]
    out["size"] = size[in_dup]
    out.sort(order=["node", "kind"])
    write_npy(d / "matches" / f"{part:04d}.npy", out)
    return {"seconds": round(time.perf_counter() - t0, 3),
            "keys": len(keys), "duplicates": int(same.sum())}


def decide_shard(stage_dir: str, shard_ids: list[str], shard_id: str, parts: int) -> dict[str, Any]:
    """Task: this shard's decisions from every partition's matches (its node range only)."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    idx = shard_ids.index(shard_id)
    lo, hi = node_ids(idx, np.array([0])), node_ids(idx + 1, np.array([0]))
    rows = []
    for p in range(parts):
        m = read_npy(d / "matches" / f"{p:04d}.npy")
        a, b = np.searchsorted(m["node"], np.concatenate([lo, hi]))
        rows.append(np.array(m[a:b]))
    matches = np.concatenate(rows) if rows else np.empty(0, MATCH_DTYPE)
    matches.sort(order=["node", "kind"])  # text before URL: the text match explains best
    by_pos: dict[int, dict[str, Any]] = {}
    _, pos = split_nodes(matches["node"])
    first_shard, first_pos = split_nodes(matches["first"])
    for k in range(len(matches)):
        p = int(pos[k])
        dup = matches["first"][k] != matches["node"][k]
        entry = by_pos.get(p)
        if entry is None or (dup and not entry["duplicate"]):
            by_pos[p] = {"pos": p, "duplicate": bool(dup), "kind": _KINDS[int(matches["kind"][k])],
                         "size": int(matches["size"][k]),
                         "first": (int(first_shard[k]), int(first_pos[k]))}
    # Resolve the first records' ids, one shard's id list at a time.
    wanted: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in by_pos.values():
        wanted[e["first"][0]].append(e)
    own = load_ids(d, shard_id)
    for s, entries in sorted(wanted.items()):
        ids = own if s == idx else load_ids(d, shard_ids[s])
        for e in entries:
            e["first"] = ids[e["first"][1]]
    decisions = [dict(e, id=own[e["pos"]]) for _, e in sorted(by_pos.items())]
    write_json(d / "decisions" / f"{shard_id}.json", decisions)
    return {"seconds": round(time.perf_counter() - t0, 3),
            "duplicates": sum(e["duplicate"] for e in decisions)}


class _ExactApplier(DecisionApplier):
    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        cluster_id = f"exact-{decision['kind']}-{decision['first']}"
        if decision["duplicate"]:
            mark_duplicate(self, record, decision["first"], cluster_id, decision["size"],
                           f"{decision['kind']}_duplicate",
                           detail=f"same normalised {decision['kind']} as {decision['first']}")
        elif decision["size"] > 1:
            mark_kept(self, record, cluster_id, decision["size"],
                      f"first of {decision['size']} records with this normalised {decision['kind']}")
        else:
            self.keep(record, detail=f"unique normalised {decision['kind']}")
