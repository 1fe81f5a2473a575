"""Benchmark decontamination: word n-gram overlap (13-grams by default, NeMo Curator's convention).

Text is compared normalised: NFKC, case-folded, as a sequence of `\\w+` words, so spacing,
punctuation and case do not hide a copied benchmark item. Each benchmark item's n-grams are
hashed (64-bit, seeded by nothing: the same on every machine) into one sorted array; a document's
n-gram hashes are computed with a vectorised polynomial roll and looked up with `np.isin`.
A hit either drops the document (reason `decontaminate:<benchmark>`, item ids in the detail) or
cuts the matched spans from the original text (`mode: cut`), dropping what is left if the cut
removes more than `max_cut_fraction` of it. Items shorter than n words cannot match;
`Benchmark.too_short` counts them so the command can say so.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from corpusmill.readers import iter_rows
from corpusmill.record import MODIFIED, Record
from corpusmill.stage import Stage

_WORD = re.compile(r"\w+")
_MUL = np.uint64(0x100000001B3)  # FNV prime: any odd 64-bit multiplier mixes the roll
MODES = ("drop", "cut")


def _words(text: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    spans, ids = [], []
    for m in _WORD.finditer(text):
        spans.append(m.span())
        ids.append(xxhash.xxh64_intdigest(unicodedata.normalize("NFKC", m.group()).casefold().encode(
            "utf-8", "surrogatepass")))
    return np.array(ids, dtype=np.uint64), spans


def ngram_hashes(words: np.ndarray, n: int) -> np.ndarray:
    """Hash of each window of n word ids (uint64 arithmetic wraps, as intended)."""
    if len(words) < n:
        return np.empty(0, dtype=np.uint64)
    m = len(words) - n + 1
    acc = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            acc = acc * _MUL + words[k:k + m]
    return acc


@dataclass
class Benchmark:
    name: str
    hashes: np.ndarray  # sorted unique n-gram hashes
    owners: np.ndarray  # item index per hash (the first item holding it)
    items: list[str]  # item ids
    too_short: int  # items with fewer than n words (cannot match)


def load_benchmark(name: str, path: str | Path, text_fields: list[str], id_field: str | None = None,
                   n: int = 13) -> Benchmark:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"benchmark {name!r}: no file {path}")
    grams: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    items: list[str] = []
    too_short = 0
    seen_fields: set[str] = set()
    try:
        rows = list(iter_rows(path))
    except Exception as e:
        raise ValueError(f"benchmark {name!r}: {path} is not JSONL/Parquet ({type(e).__name__}: {e})") from None
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        seen_fields.update(row)
        text = "\n".join(row[f] for f in text_fields if isinstance(row.get(f), str))
        if not text:
            continue
        h = ngram_hashes(_words(text)[0], n)
        if not len(h):
            too_short += 1
        items.append(str(row.get(id_field, i)) if id_field else str(i))
        grams.append(h)
        owners.append(np.full(len(h), len(items) - 1, dtype=np.int32))
    if not items and not too_short:
        raise ValueError(f"benchmark {name!r}: {path} has no text field {', '.join(text_fields)} "
                         f"(fields found: {', '.join(sorted(seen_fields)) or 'none'}); set text_fields")
    all_h = np.concatenate(grams) if grams else np.empty(0, dtype=np.uint64)
    all_o = np.concatenate(owners) if owners else np.empty(0, dtype=np.int32)
    uniq, first = np.unique(all_h, return_index=True)
    return Benchmark(name, uniq, all_o[first], items, too_short)


class Decontaminate(Stage):
    """Drop (or cut the matching spans of) documents sharing an n-gram with a benchmark item.

    `benchmarks`: [{name, path, text_fields: [..], id_field}] (JSONL/Parquet files the user points to).
    """

    name = "decontaminate"
    version = "1"

    def __init__(self, benchmarks: list[dict[str, Any]], n: int = 13, mode: str = "drop",
                 max_cut_fraction: float = 0.5) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"decontaminate mode must be one of {MODES}, got {mode!r}")
        if not benchmarks:
            raise ValueError("decontaminate needs at least one benchmark file")
        self.n = n
        self.mode = mode
        self.max_cut_fraction = max_cut_fraction
        self.benchmarks = [load_benchmark(b["name"], b["path"], list(b.get("text_fields", ["text"])),
                                          b.get("id_field"), n) for b in benchmarks]

    def process(self, record: Record) -> None:
        words, spans = _words(record.text)
        grams = ngram_hashes(words, self.n)
        if not len(grams):
            return
        hit = np.zeros(len(grams), dtype=bool)
        found: list[str] = []
        for b in self.benchmarks:
            mask = np.isin(grams, b.hashes)
            if mask.any():
                pos = np.searchsorted(b.hashes, grams[mask])
                ids = sorted({b.items[i] for i in b.owners[pos].tolist()})
                found.append(f"{b.name}:{','.join(ids[:20])}")
                hit |= mask
        if not found:
            return
        detail = "; ".join(found)
        names = "+".join(f.split(":", 1)[0] for f in found)
        scores = {"ngrams_matched": int(hit.sum()), "ngrams": len(grams)}
        if self.mode == "drop":
            self.drop(record, names, scores, detail)
            return
        cut = self._cut_spans(hit, spans)
        removed = sum(e - s for s, e in cut)
        if removed > self.max_cut_fraction * len(record.text):
            self.drop(record, names, {**scores, "cut_fraction": removed / len(record.text)}, detail)
            return
        parts, last = [], 0
        for s, e in cut:
            parts.append(record.text[last:s])
            last = e
        parts.append(record.text[last:])
        record.text = "".join(parts)
        record.metadata["decontaminated"] = {"chars_cut": removed, "spans": len(cut), "hits": found}
        record.log(self.name, self.version, MODIFIED, reason=f"{self.name}:{names}", scores=scores, detail=detail)

    def _cut_spans(self, hit: np.ndarray, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Character spans covered by matching windows, merged (window i covers words i..i+n-1)."""
        out: list[tuple[int, int]] = []
        for i in np.flatnonzero(hit).tolist():
            s, e = spans[i][0], spans[i + self.n - 1][1]
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        return out


def decontam_stage_spec(benchmarks: list[str], n: int, mode: str) -> dict[str, Any]:
    """`NAME=PATH[:FIELDS[:ID_FIELD]]` options -> a checked pipeline entry (files read once here)."""
    specs = []
    for opt in benchmarks:
        name, eq, rest = opt.partition("=")
        if not eq or not name or not rest:
            raise ValueError(f"--benchmark {opt!r}: use NAME=PATH[:FIELDS[:ID_FIELD]]")
        path, _, more = rest.partition(":")
        fields, _, id_field = more.partition(":")
        spec: dict[str, Any] = {"name": name, "path": str(Path(path).resolve()),
                                "text_fields": [f for f in fields.split(",") if f] or ["text"]}
        if id_field:
            spec["id_field"] = id_field
        load_benchmark(spec["name"], spec["path"], spec["text_fields"], spec.get("id_field"), n)
        specs.append(spec)
    return {"stage": "decontaminate", "benchmarks": specs, "n": n, "mode": mode}
