"""`corpusmill mix`: count, plan, sample, shuffle, write; memory flat in corpus size.

Pass 1 reads every source once, labels each ok record with its domain and counts its tokens
(reusing `metadata.tokens` when it was counted with the recipe's tokenizer); counts go to a
side file, not memory. Pass 2 reads the sources again in the same order and decides each
document's copies per phase with a seeded, dithered rounding: the running token deficit of its
(phase, source, domain) stream against the planned rate, compared with a hash-derived uniform
draw. Achieved tokens then track the plan to within about one document, without holding the
corpus. Copies go to bucket files of their phase by a seeded hash; pass 3 shuffles each bucket
(about `shard_tokens`) into one output shard, phase by phase. Every decision is a function of the recipe, seed
and input bytes, never of hash seeds, timing or dict order, so reruns are byte-identical.
"""
from __future__ import annotations

import gzip
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson
import xxhash

from corpusmill.mix.domains import labeler
from corpusmill.mix.plan import Key, Plan, make_plan
from corpusmill.mix.recipe import Recipe, RecipeError, Source
from corpusmill.output_folder import claim
from corpusmill.readers import CorpusReader
from corpusmill.record import KEPT, OK, Record
from corpusmill.tokens import load_tokenizer

STAGE = "mix"
VERSION = "1"
_BATCH = 1024
_WORK = ".mix-work"


@dataclass
class _Doc:
    record: Record
    domain: str
    tokens: int


def _uniform(*parts: Any) -> float:
    return xxhash.xxh64_intdigest("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")) / 2.0**64


def _fingerprint(path: Path) -> dict[str, Any]:
    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return {"path": str(path), "bytes": path.stat().st_size, "xxh3_128": h.hexdigest()}


class Mixer:
    def __init__(self, recipe: Recipe) -> None:
        self.recipe = recipe
        self.tokenizer = load_tokenizer(recipe.tokenizer)
        self.label = labeler(recipe.domain)
        self.work = recipe.output / _WORK
        self.skipped = 0

    def _docs(self, src: Source, counts: np.ndarray | None) -> Iterator[_Doc]:
        """The source's ok records in file order, labelled and counted (from `counts` in pass 2)."""
        reader = CorpusReader(text_field=src.text_field)
        i = 0
        batch: list[Record] = []

        def flush() -> Iterator[_Doc]:
            nonlocal i
            if counts is None:
                known = [r.metadata.get("tokens") if r.metadata.get("tokenizer") == self.recipe.tokenizer
                         and isinstance(r.metadata.get("tokens"), int) else None for r in batch]
                fresh = iter(self.tokenizer.count_batch([r.text for r, n in zip(batch, known) if n is None]))
                tok = [next(fresh) if n is None else n for n in known]
            else:
                tok = counts[i:i + len(batch)].tolist()
            i += len(batch)
            for r, n in zip(batch, tok):
                yield _Doc(r, self.label(src.name, r), int(n))

        for f in src.files:
            for rec in reader.read(f):
                if rec.status != OK:  # unreadable rows: counted once (pass 1), never mixed
                    if counts is None:
                        self.skipped += 1
                    continue
                batch.append(rec)
                if len(batch) >= _BATCH:
                    yield from flush()
                    batch = []
        yield from flush()

    def count(self) -> tuple[dict[Key, int], dict[Key, int]]:
        """Pass 1: tokens and documents per (source, domain); per-document counts to side files."""
        tokens: dict[Key, int] = {}
        docs: dict[Key, int] = {}
        self.work.mkdir(parents=True, exist_ok=True)
        for src in self.recipe.sources:
            with open(self.work / f"{src.name}.tokens", "wb") as fh:
                for d in self._docs(src, None):
                    k = (src.name, d.domain)
                    tokens[k] = tokens.get(k, 0) + d.tokens
                    docs[k] = docs.get(k, 0) + 1
                    fh.write(np.int64(d.tokens).tobytes())
        return tokens, docs

    def sample(self, plan: Plan, per_phase: list[int]) -> dict[str, Any]:
        """Pass 2: copies per document and phase, written to seeded-hash buckets of their phase."""
        offsets = [sum(per_phase[:i]) for i in range(len(per_phase))]
        n_buckets = sum(per_phase)
        seed = self.recipe.seed
        desired: dict[tuple[str, Key], float] = {}
        achieved: dict[tuple[str, Key], int] = {}
        out_docs: dict[tuple[str, Key], int] = {}
        buckets = [open(self.work / f"bucket-{b:05d}.jsonl", "wb") for b in range(n_buckets)]
        bucket_tokens = [0] * n_buckets
        bucket_docs = [0] * n_buckets
        try:
            for src in self.recipe.sources:
                counts = np.fromfile(self.work / f"{src.name}.tokens", dtype=np.int64)
                for d in self._docs(src, counts):
                    if d.tokens <= 0:
                        continue
                    epoch = 0
                    for pi, phase in enumerate(self.recipe.phases):
                        key = (src.name, d.domain)
                        rate = plan.rates[phase.name].get(key, 0.0)
                        if rate <= 0:
                            continue
                        sk = (phase.name, key)
                        desired[sk] = desired.get(sk, 0.0) + rate * d.tokens
                        base = math.floor(rate)
                        deficit = desired[sk] - achieved.get(sk, 0) - base * d.tokens
                        extra = deficit > _uniform(seed, "pick", src.name, d.record.id, phase.name) * d.tokens
                        for _ in range(base + int(extra)):
                            line = self._copy(d, src.name, phase.name, rate, epoch)
                            b = offsets[pi] + int(_uniform(seed, "bucket", src.name, d.record.id, epoch)
                                                  * per_phase[pi])
                            order = int(_uniform(seed, "order", src.name, d.record.id, epoch) * 2.0**64)
                            buckets[b].write(b"%016x\t" % order + line)
                            bucket_tokens[b] += d.tokens
                            bucket_docs[b] += 1
                            achieved[sk] = achieved.get(sk, 0) + d.tokens
                            out_docs[sk] = out_docs.get(sk, 0) + 1
                            epoch += 1
        finally:
            for fh in buckets:
                fh.close()
        return {"achieved": achieved, "docs": out_docs, "bucket_tokens": bucket_tokens, "bucket_docs": bucket_docs}

    def _copy(self, d: _Doc, source: str, phase: str, rate: float, epoch: int) -> bytes:
        r = d.record
        row = r.to_dict()
        if epoch:
            row["id"] = f"{r.id}:e{epoch}"
        mix = {"source": source, "domain": d.domain, "phase": phase, "weight": round(rate, 6), "epoch": epoch,
               "tokens": d.tokens}
        row["metadata"] = {**row["metadata"], "mix": mix, "tokens": d.tokens, "tokenizer": self.recipe.tokenizer}
        row["provenance"] = [*row["provenance"], {"stage": STAGE, "version": VERSION, "action": KEPT,
                                                   "scores": {"weight": round(rate, 6), "epoch": epoch},
                                                   "detail": f"source={source} domain={d.domain} phase={phase}"}]
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)

    def shuffle(self, per_phase: list[int]) -> list[str]:
        """Pass 3: each bucket, sorted by its seeded key, becomes one gzip shard (mtime 0: byte-stable).

        Shards are named by phase first (`mix-p00-00003.jsonl.gz`), so file order is training order.
        """
        data = self.recipe.output / "data"
        data.mkdir(parents=True, exist_ok=True)
        names = []
        for b, (pi, k) in enumerate((pi, k) for pi, n in enumerate(per_phase) for k in range(n)):
            src = self.work / f"bucket-{b:05d}.jsonl"
            lines = src.read_bytes().splitlines(keepends=True)
            lines.sort()
            name = f"mix-p{pi:02d}-{k:05d}.jsonl.gz"
            tmp = data / f".{name}.tmp"
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                       compresslevel=3) as gz:
                for ln in lines:
                    gz.write(ln[17:])
            tmp.replace(data / name)
            src.unlink()
            names.append(f"data/{name}")
        return names


def run_mix(recipe: Recipe, overwrite: bool = False) -> dict[str, Any]:
    with claim(recipe.output, "mix") as folder:
        if folder.owned():
            if not overwrite:
                raise RecipeError(f"output {recipe.output} holds a mix already (use --overwrite to replace it)")
            folder.clear()
        folder.own("data", _WORK, "manifest.json")
        try:
            return _mix(recipe)
        except BaseException:
            # Nothing half-made stays behind: a failed or interrupted mix leaves no output (ours; never the user's).
            folder.discard()
            raise


def _mix(recipe: Recipe) -> dict[str, Any]:
    out = recipe.output
    mixer = Mixer(recipe)
    available, available_docs = mixer.count()
    plan = make_plan(recipe, available)
    per_phase = [max(1, math.ceil(sum(plan.planned[ph.name].values()) / recipe.shard_tokens))
                 for ph in recipe.phases]
    res = mixer.sample(plan, per_phase)
    shards = mixer.shuffle(per_phase)
    shutil.rmtree(mixer.work)
    manifest = _manifest(recipe, plan, available, available_docs, res, shards, mixer.skipped)
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return manifest


def _manifest(recipe: Recipe, plan: Plan, available: dict[Key, int], available_docs: dict[Key, int],
              res: dict[str, Any], shards: list[str], skipped: int) -> dict[str, Any]:
    achieved: dict[tuple[str, Key], int] = res["achieved"]
    total = sum(achieved.values())
    domains: dict[str, dict[str, Any]] = {}
    for ph, per in plan.requested.items():
        for d, t in per.items():
            e = domains.setdefault(d, {"requested": 0.0, "planned": 0.0, "achieved": 0, "documents": 0})
            e["requested"] += t
            e["planned"] += plan.planned[ph][d]
    for (ph, (s, d)), t in achieved.items():
        e = domains.setdefault(d, {"requested": 0.0, "planned": 0.0, "achieved": 0, "documents": 0})
        e["achieved"] += t
        e["documents"] += res["docs"][(ph, (s, d))]
    req_total = sum(e["requested"] for e in domains.values())
    for e in domains.values():
        e["requested"] = round(e["requested"])
        e["planned"] = round(e["planned"])
        e["share_requested"] = round(e["requested"] / req_total, 6) if req_total else 0.0
        e["share_achieved"] = round(e["achieved"] / total, 6) if total else 0.0
    sources: dict[str, dict[str, Any]] = {}
    for src in recipe.sources:
        avail = sum(n for (s, _d), n in available.items() if s == src.name)
        got = sum(t for (_p, (s, _d)), t in achieved.items() if s == src.name)
        planned = sum(r * available[k] for rates in plan.rates.values() for k, r in rates.items() if k[0] == src.name)
        sources[src.name] = {
            "available_tokens": avail,
            "available_documents": sum(n for (s, _d), n in available_docs.items() if s == src.name),
            "requested": round(planned), "achieved": got,
            "documents": sum(n for (_p, (s, _d)), n in res["docs"].items() if s == src.name),
            "epochs_used": round(got / avail, 4) if avail else 0.0, "max_epochs": src.max_epochs,
            "domains": sorted({d for (s, d) in available if s == src.name}),
        }
    phases = {ph.name: {"fraction": ph.fraction,
                        "requested": round(sum(plan.requested[ph.name].values())),
                        "planned": round(sum(plan.planned[ph.name].values())),
                        "achieved": sum(t for (p, _k), t in achieved.items() if p == ph.name)}
              for ph in recipe.phases}
    return {
        "recipe": recipe.raw,
        "tokenizer": recipe.tokenizer,
        "inputs": [{"source": s.name, **_fingerprint(f)} for s in recipe.sources for f in s.files],
        "warnings": recipe.warnings + plan.warnings,
        "budget": {"requested": recipe.tokens, "planned": round(recipe.tokens * plan.scale), "achieved": total,
                   "shortfall": recipe.tokens - round(recipe.tokens * plan.scale)},
        "requested": {d: e["requested"] for d, e in sorted(domains.items())},
        "achieved": {d: e["achieved"] for d, e in sorted(domains.items())},
        "domains": domains,
        "sources": sources,
        "phases": phases,
        "skipped_input_records": skipped,
        "shards": [{"file": f, "documents": n, "tokens": t}
                   for f, n, t in zip(shards, res["bucket_docs"], res["bucket_tokens"])],
    }
