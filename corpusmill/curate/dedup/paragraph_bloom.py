"""DCLM-style paragraph dedup: a paragraph seen earlier in the corpus is removed.

Why a `CorpusStage` and not a per-record stage: "seen earlier" must mean
earlier in the corpus order (shard id, position), or the output would depend
on how shards were spread over workers (each worker would hold its own
filter). So `collect` only hashes each shard's paragraphs (lines, normalised:
NFKC, casefold, whitespace and punctuation collapsed; xxh3-128) to a side
file, one task of the `filter` pass walks the shards in order through one
Bloom filter, and `apply` removes the paragraphs it marked. The walk is
sequential but cheap (vectorised per shard: within a shard, earlier
occurrences are found exactly by sorting; across shards, by the filter).
Memory: the filter (bits from `expected_items` and `fp_rate`, ~1.2 MB per
million paragraphs at 1%) plus one shard's keys.

A record whose removed paragraphs make up at least `drop_fraction` of its
paragraph text is dropped (DCLM's BFF drops such documents whole);
otherwise it is "modified". A false positive removes a new paragraph, at the
stated rate.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from corpusmill.corpus_stage import CorpusStage, RunContext
from corpusmill.curate.dedup.bloom_filter import BloomFilter
from corpusmill.curate.dedup.shard_stages import DecisionApplier, ShardCollector
from corpusmill.curate.dedup.side_files import (
    load_ids,
    read_json,
    read_npy,
    write_json,
    write_npy,
)
from corpusmill.curate.dedup.text_keys import hash128, normalized_text
from corpusmill.record import Record
from corpusmill.stage import Stage
from corpusmill.tasks import Pass, Task

PARA_DTYPE = np.dtype([("h1", "<u8"), ("h2", "<u8"), ("pos", "<u4"), ("line", "<u4")])


def paragraphs(text: str) -> list[str]:
    return text.split("\n")


class ParagraphBloomDedup(CorpusStage):
    name = "paragraph_dedup"
    version = "1"

    def __init__(self, expected_items: int = 10_000_000, fp_rate: float = 0.01,
                 drop_fraction: float = 0.8) -> None:
        BloomFilter(1, fp_rate)  # validates fp_rate now, not in a worker later
        if expected_items < 1:
            raise ValueError("paragraph_dedup: expected_items must be >= 1")
        if not 0.0 < drop_fraction <= 1.0:
            raise ValueError("paragraph_dedup: drop_fraction must be in (0, 1]")
        self.expected_items = expected_items
        self.fp_rate = fp_rate
        self.drop_fraction = drop_fraction

    def limits(self, record: Record) -> dict[str, str]:
        return {"removed_fraction": f"< {self.drop_fraction}"}

    def collect(self, ctx: RunContext, shard_id: str) -> Stage:
        return _ParagraphCollector(self.name, self.version, ctx.stage_dir(self.name), shard_id)

    def passes(self, ctx: RunContext, shard_ids: list[str]) -> list[Pass]:
        d = str(ctx.stage_dir(self.name))
        return [Pass(f"{self.name}:filter", [
            Task(f"{self.name}:filter", filter_paragraphs,
                 (d, sorted(shard_ids), self.expected_items, self.fp_rate))])]

    def apply(self, ctx: RunContext, shard_id: str) -> Stage:
        decisions = read_json(ctx.stage_dir(self.name) / "decisions" / f"{shard_id}.json")
        return _ParagraphApplier(self.name, self.version, decisions, self.drop_fraction)


class _ParagraphCollector(ShardCollector):
    def __init__(self, name: str, version: str, stage_dir: Path, shard_id: str) -> None:
        super().__init__(name, version, stage_dir, shard_id)
        self.keys: list[tuple[int, int, int, int]] = []

    def add(self, pos: int, record: Record) -> None:
        keys = []
        for line_no, line in enumerate(paragraphs(record.text)):
            norm = normalized_text(line)
            if norm:
                keys.append((*hash128(norm), pos, line_no))
        self.keys.extend(keys)

    def flush(self) -> None:
        write_npy(self.stage_dir / "paragraphs" / f"{self.shard_id}.npy",
                  np.array(self.keys, dtype=PARA_DTYPE))


def filter_paragraphs(stage_dir: str, shard_ids: list[str], expected_items: int,
                      fp_rate: float) -> dict[str, Any]:
    """Task: walk the shards in order through one Bloom filter; write each shard's removals."""
    t0 = time.perf_counter()
    d = Path(stage_dir)
    bloom = BloomFilter(expected_items, fp_rate)
    total = removed = 0
    for s in shard_ids:
        keys = read_npy(d / "paragraphs" / f"{s}.npy", mmap=False)  # in (position, line) order
        seen = bloom.contains(keys["h1"], keys["h2"])
        _, first = np.unique(np.stack([keys["h1"], keys["h2"]], axis=1), axis=0, return_index=True)
        repeat = np.ones(len(keys), dtype=bool)
        repeat[first] = False
        dup = seen | repeat
        bloom.add(keys["h1"], keys["h2"])
        ids = load_ids(d, s)
        decisions: dict[int, dict[str, Any]] = {}
        for pos, line in zip(keys["pos"][dup].tolist(), keys["line"][dup].tolist()):
            decisions.setdefault(pos, {"pos": pos, "id": ids[pos], "lines": []})["lines"].append(line)
        write_json(d / "decisions" / f"{s}.json", list(decisions.values()))
        total += len(keys)
        removed += int(dup.sum())
    return {"seconds": round(time.perf_counter() - t0, 3),
            "paragraphs": total, "removed": removed, "bloom_fill": round(bloom.fill_ratio, 4)}


class _ParagraphApplier(DecisionApplier):
    def __init__(self, name: str, version: str, decisions: list[dict[str, Any]],
                 drop_fraction: float) -> None:
        super().__init__(name, version, decisions)
        self.drop_fraction = drop_fraction

    def decide(self, record: Record, decision: dict[str, Any]) -> None:
        lines = paragraphs(record.text)
        remove = set(decision["lines"])
        if max(remove) >= len(lines):
            raise RuntimeError("paragraph_dedup: decision names a line the text does not have: "
                               "side files do not match this record")
        total = sum(len(line.strip()) for line in lines) or 1
        gone = sum(len(lines[i].strip()) for i in remove)
        scores = {"removed_paragraphs": len(remove), "removed_fraction": gone / total}
        if gone / total >= self.drop_fraction:
            self.drop(record, "duplicate_paragraphs", scores)
            return
        record.text = "\n".join(line for i, line in enumerate(lines) if i not in remove)
        self.modify(record, scores,
                    detail=f"removed {len(remove)} paragraph(s) seen earlier in the corpus")
