"""One streaming pass over a run's output -> the numbers the report plots.

Memory stays bounded whatever the corpus size: counters for categories and a
fixed-size reservoir sample per numeric series (lengths, filter scores).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from corpusmill.explain import iter_output
from corpusmill.executors.markers import MarkerStore
from corpusmill.record import DROP, DUPLICATE, ERROR, OK
from corpusmill.stats import RunStats

RESERVOIR = 5000


@dataclass
class Reservoir:
    """Uniform sample of a stream (Vitter's algorithm R), seeded for reproducible reports."""

    size: int = RESERVOIR
    seen: int = 0
    values: list[float] = field(default_factory=list)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))

    def add(self, v: float) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(v)
        else:
            j = self._rng.randrange(self.seen)
            if j < self.size:
                self.values[j] = v


@dataclass
class ReportData:
    stats: RunStats
    languages: dict[str, Counter[str]] = field(default_factory=lambda: {"kept": Counter(),
                                                                         "dropped": Counter()})
    lengths: dict[str, Reservoir] = field(default_factory=lambda: {"kept": Reservoir(),
                                                                    "dropped": Reservoir()})
    # (stage, score name) -> kept/dropped samples
    scores: dict[tuple[str, str], dict[str, Reservoir]] = field(default_factory=dict)
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    media_types: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: dict[str, str] = field(default_factory=dict)
    throughput: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, records)


def collect(out: Path) -> ReportData:
    stats = RunStats.from_dict(orjson.loads((out / "stats.json").read_bytes()))
    data = ReportData(stats)
    seen_clusters: set[Any] = set()
    for _, rec in iter_output(out):
        side = "kept" if rec.status == OK else "dropped"
        wtype = rec.source.get("warc_type")
        # WARC request/metadata/warcinfo records carry no document: name them by type.
        data.media_types[rec.media_type or (f"(WARC {wtype} record)" if wtype else "unknown")] += 1
        lang = rec.metadata.get("language")
        if lang:
            data.languages[side][str(lang)] += 1
        if rec.text_chars:
            data.lengths[side].add(float(rec.text_chars))
        for p in rec.provenance:
            # A score is "dropped" where this very stage dropped the record on it.
            by = "dropped" if p["action"] in (DROP, DUPLICATE) else "kept"
            for name, v in (p.get("scores") or {}).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    key = (p["stage"], name)
                    if key not in data.scores:
                        data.scores[key] = {"kept": Reservoir(), "dropped": Reservoir()}
                    data.scores[key][by].add(float(v))
        dedup = rec.metadata.get("dedup") or {}
        cid = dedup.get("cluster_id")
        if cid is not None and cid not in seen_clusters:
            seen_clusters.add(cid)
            data.cluster_sizes[int(dedup.get("cluster_size") or 0)] += 1
        for edit in [*(rec.metadata.get("pii") or []), *(rec.metadata.get("pii_fields") or [])]:
            data.pii[str(edit.get("type"))] += 1
        for page in rec.pages:
            data.routes[str(page.get("route"))] += 1
        if rec.status == ERROR:
            msg = rec.reason or "unknown error"
            # Group messages by their stable head, not their per-record tail (offsets, paths).
            head = msg.split(":")[0][:80] if ":" in msg else msg[:80]
            key = f"{rec.provenance[-1]['stage'] if rec.provenance else '?'}: {head}"
            data.errors[key] += 1
            data.error_examples.setdefault(key, msg[:300])
    data.throughput = _throughput(out)
    return data


def _throughput(out: Path) -> list[tuple[float, int]]:
    """Cumulative input records finished over time, from the first segment's shard markers."""
    rows = [r for r in MarkerStore(out).all("segment0").values() if r.get("finished_at")]
    if not rows:
        return []
    start = min(float(r["started_at"]) for r in rows)
    series = [(0.0, 0)]
    total = 0
    for r in sorted(rows, key=lambda r: r["finished_at"]):
        total += int(r.get("input") or 0)
        series.append((float(r["finished_at"]) - start, total))
    return series
