"""`corpusmill mix`: count, plan, decide, sample, shuffle, on the executor; memory flat in corpus size.

Passes (each a set of tasks with markers, so a killed or interrupted mix resumes; see passes.py):

1. `count`, a task per input file: label each ok record with its domain and count its tokens
   (reusing `metadata.tokens` when it was counted with the recipe's tokenizer). Per document, its
   tokens, domain and the seeded uniform draws of its phases go to a side file, not memory.
2. The driver plans sampling rates from the counts (plan.py).
3. `decide`, a task per source: its documents' copies per phase, in file order, by a seeded,
   dithered rounding: the running token deficit of each (phase, source, domain) stream against the
   planned rate, compared with the document's draw. Achieved tokens track the plan to within about
   one document, without holding the corpus. Streams never cross sources, so sources run in parallel.
4. `sample`, a task per input file: each copy, with its provenance, goes to a bucket of its phase
   chosen by a seeded hash; the task's lines are spilled, grouped by bucket, to run files.
5. `shuffle`, a task per bucket: its lines from every run, sorted by a seeded key, become one shard
   (about `shard_tokens`), named by phase so file order is training order.

Every decision is a function of the recipe, seed and input bytes, never of hash seeds, timing,
task order or the worker count, so reruns (and resumed runs) are byte-identical.
"""
from __future__ import annotations

import gzip
import math
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import orjson
import xxhash

from corpusmill.job import file_identity
from corpusmill.mix.domains import labeler
from corpusmill.mix.passes import PassRun, RunOptions, publish
from corpusmill.mix.plan import Key, Plan, make_plan
from corpusmill.mix.recipe import Recipe, RecipeError
from corpusmill.output_folder import claim
from corpusmill.progress import worker_report
from corpusmill.readers import CorpusReader
from corpusmill.record import KEPT, OK, Record
from corpusmill.tasks import Task
from corpusmill.tokens import load_tokenizer

STAGE = "mix"
VERSION = "1"
_BATCH = 1024
_CHUNK = 1 << 16  # documents read at a time from a side file
_SPILL_BYTES = 64 << 20  # sampled lines a task holds before spilling a run
DATA = "data"
MANIFEST = "manifest.json"


def _uniform(*parts: Any) -> float:
    return xxhash.xxh64_intdigest("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")) / 2.0**64


def _fingerprint(path: Path) -> dict[str, Any]:
    """Size and content hash of an input file, for the manifest (computed in its count task, in parallel)."""
    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return {"bytes": path.stat().st_size, "xxh3_128": h.hexdigest()}


def _doc_dtype(phases: int) -> np.dtype:
    return np.dtype([("tokens", "<i8"), ("domain", "<i4"), ("u", "<f8", (phases,))])


def _ok_records(path: Path, text_field: str) -> Iterator[Record]:
    """A file's ok records in order (the documents of a mix); unreadable rows are counted once, in `count`."""
    for rec in CorpusReader(text_field=text_field).read(path):
        if rec.status == OK:
            yield rec


def _files(recipe: Recipe) -> list[tuple[str, int, int, Path]]:
    """(task id, source index, file index, path) of every input file, sources in recipe order."""
    # Absolute paths: a Ray worker need not share the driver's working directory.
    return [(f"{si:03d}-{fi:05d}", si, fi, f.resolve()) for si, src in enumerate(recipe.sources)
            for fi, f in enumerate(src.files)]


# ---------------------------------------------------------------- pass 1: count

def _count(recipe: Recipe, work: str, tid: str, si: int, path: Path) -> dict[str, Any]:
    src = recipe.sources[si]
    tokenizer = load_tokenizer(recipe.tokenizer)
    label = labeler(recipe.domain)
    dtype = _doc_dtype(len(recipe.phases))
    domains: dict[str, int] = {}
    tokens: list[int] = []
    docs: list[int] = []
    skipped = 0
    batch: list[Record] = []
    target = Path(work) / f"{tid}.count"

    def flush(fh: BinaryIO) -> None:
        known = [r.metadata.get("tokens") if r.metadata.get("tokenizer") == recipe.tokenizer
                 and isinstance(r.metadata.get("tokens"), int) else None for r in batch]
        fresh = iter(tokenizer.count_batch([r.text for r, n in zip(batch, known) if n is None]))
        rows = np.zeros(len(batch), dtype=dtype)
        for i, (r, n) in enumerate(zip(batch, known)):
            t = int(next(fresh) if n is None else n)
            d = domains.setdefault(label(src.name, r), len(domains))
            if d == len(tokens):
                tokens.append(0)
                docs.append(0)
            tokens[d] += t
            docs[d] += 1
            rows[i] = (t, d, [_uniform(recipe.seed, "pick", src.name, r.id, ph.name) for ph in recipe.phases])
        fh.write(rows.tobytes())
        worker_report.tick(len(batch))

    def write(fh: BinaryIO) -> None:
        nonlocal skipped, batch
        for rec in CorpusReader(text_field=src.text_field).read(path):
            if rec.status != OK:  # unreadable rows: counted here, never mixed
                skipped += 1
                continue
            batch.append(rec)
            if len(batch) >= _BATCH:
                flush(fh)
                batch = []
        if batch:
            flush(fh)

    publish(target, write)
    return {"domains": list(domains), "tokens": tokens, "docs": docs, "skipped": skipped,
            "input": _fingerprint(path), "written": {"documents": sum(docs)}}


# ---------------------------------------------------------------- pass 3: decide

def _decide(recipe: Recipe, work: str, si: int, rates: dict[str, list[list[Any]]],
            files: list[list[Any]]) -> dict[str, Any]:
    """Copies per document and phase for one source (`<file task>.copies`, uint32 [documents, phases]).

    `rates`: phase -> [[domain, rate]] for this source; `files`: [task id, domain names] in file order.
    """
    src = recipe.sources[si]
    phases = recipe.phases
    dtype = _doc_dtype(len(phases))
    rate = {ph: {d: float(r) for d, r in per} for ph, per in rates.items()}
    desired: dict[tuple[str, str], float] = {}
    achieved: dict[tuple[str, str], int] = {}
    out_docs: dict[tuple[str, str], int] = {}
    seen = 0
    for tid, names in files:
        side = Path(work) / f"{tid}.count"
        n = side.stat().st_size // dtype.itemsize
        seen += n

        def write(fh: BinaryIO) -> None:
            for lo in range(0, n, _CHUNK):
                rows = np.fromfile(side, dtype=dtype, count=min(_CHUNK, n - lo), offset=lo * dtype.itemsize)
                copies = np.zeros((len(rows), len(phases)), dtype=np.uint32)
                for i, (t, d, u) in enumerate(zip(rows["tokens"].tolist(), rows["domain"].tolist(),
                                                  rows["u"].tolist())):
                    if t <= 0:
                        continue
                    domain = names[d]
                    for pi, ph in enumerate(phases):
                        r = rate[ph.name].get(domain, 0.0)
                        if r <= 0:
                            continue
                        sk = (ph.name, domain)
                        desired[sk] = desired.get(sk, 0.0) + r * t
                        base = math.floor(r)
                        deficit = desired[sk] - achieved.get(sk, 0) - base * t
                        c = base + int(deficit > u[pi] * t)
                        copies[i, pi] = c
                        achieved[sk] = achieved.get(sk, 0) + c * t
                        out_docs[sk] = out_docs.get(sk, 0) + c
                fh.write(copies.tobytes())
                worker_report.tick(len(rows))
        publish(Path(work) / f"{tid}.copies", write)
    return {"streams": [[ph, src.name, d, t, out_docs[(ph, d)]] for (ph, d), t in sorted(achieved.items())],
            "written": {"documents": seen}}


# ---------------------------------------------------------------- pass 4: sample

def _copy(recipe: Recipe, r: Record, source: str, domain: str, tokens: int, phase: str, rate: float,
          epoch: int) -> bytes:
    row = r.to_dict()
    if epoch:
        row["id"] = f"{r.id}:e{epoch}"
    mix = {"source": source, "domain": domain, "phase": phase, "weight": round(rate, 6), "epoch": epoch,
           "tokens": tokens}
    row["metadata"] = {**row["metadata"], "mix": mix, "tokens": tokens, "tokenizer": recipe.tokenizer}
    row["provenance"] = [*row["provenance"], {"stage": STAGE, "version": VERSION, "action": KEPT,
                                               "scores": {"weight": round(rate, 6), "epoch": epoch},
                                               "detail": f"source={source} domain={domain} phase={phase}"}]
    return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


def _sample(recipe: Recipe, work: str, tid: str, si: int, path: Path, names: list[str],
            rates: dict[str, list[list[Any]]], per_phase: list[int]) -> dict[str, Any]:
    """One input file's copies as lines keyed by bucket, spilled in runs grouped by bucket.

    Run `j` is `<tid>.r<j>` with `<tid>.r<j>.idx` (int64 [buckets + 1]: where each bucket's lines start).
    """
    src = recipe.sources[si]
    phases = recipe.phases
    dtype = _doc_dtype(len(phases))
    rate = {ph: {d: float(r) for d, r in per} for ph, per in rates.items()}
    offsets = [sum(per_phase[:i]) for i in range(len(per_phase))]
    n_buckets = sum(per_phase)
    decided = _decided(Path(work) / f"{tid}.count", Path(work) / f"{tid}.copies", dtype, len(phases))
    buffer: list[tuple[int, bytes]] = []
    held = 0
    runs = 0
    b_docs = [0] * n_buckets
    b_tokens = [0] * n_buckets

    def spill() -> None:
        nonlocal buffer, held, runs
        buffer.sort(key=lambda x: x[0])  # stable: grouped by bucket, in document order within one
        starts = np.searchsorted(np.array([b for b, _ in buffer], dtype=np.int64), np.arange(n_buckets + 1))
        name = Path(work) / f"{tid}.r{runs}"
        publish(name, lambda fh: fh.writelines(line for _b, line in buffer))
        byte_at = np.concatenate(([0], np.cumsum([len(line) for _b, line in buffer], dtype=np.int64)))
        publish(name.with_name(name.name + ".idx"), lambda fh: fh.write(byte_at[starts].astype(np.int64).tobytes()))
        runs += 1
        buffer, held = [], 0

    i = -1
    for i, (r, (t, d, copies)) in enumerate(zip(_ok_records(path, src.text_field), decided)):
        domain = names[d]
        epoch = 0
        for pi, ph in enumerate(phases):
            for _ in range(copies[pi]):
                line = _copy(recipe, r, src.name, domain, t, ph.name, rate[ph.name][domain], epoch)
                b = offsets[pi] + int(_uniform(recipe.seed, "bucket", src.name, r.id, epoch) * per_phase[pi])
                order = int(_uniform(recipe.seed, "order", src.name, r.id, epoch) * 2.0**64)
                buffer.append((b, b"%016x\t" % order + line))
                held += len(line) + 17
                b_docs[b] += 1
                b_tokens[b] += t
                epoch += 1
        if i % 200 == 199:
            worker_report.tick(200)
        if held >= _SPILL_BYTES:
            spill()
    if buffer or not runs:
        spill()
    return {"runs": runs, "buckets": [[b, b_docs[b], b_tokens[b]] for b in range(n_buckets) if b_docs[b]],
            "written": {"documents": i + 1}}


def _decided(side: Path, copies: Path, dtype: np.dtype, phases: int) -> Iterator[tuple[int, int, list[int]]]:
    """(tokens, domain index, copies per phase) of a file's documents in order, read a chunk at a time."""
    n = side.stat().st_size // dtype.itemsize
    for lo in range(0, n, _CHUNK):
        k = min(_CHUNK, n - lo)
        rows = np.fromfile(side, dtype=dtype, count=k, offset=lo * dtype.itemsize)
        c = np.fromfile(copies, dtype=np.uint32, count=k * phases, offset=lo * phases * 4).reshape(k, phases)
        yield from zip(rows["tokens"].tolist(), rows["domain"].tolist(), c.tolist())


# ---------------------------------------------------------------- pass 5: shuffle

def _shuffle(work: str, out: str, b: int, name: str, runs: list[list[Any]]) -> dict[str, Any]:
    """Bucket `b` from every run (`runs`: [file task id, run count]), sorted by its seeded key, as one gzip shard."""
    lines: list[bytes] = []
    for tid, n in runs:
        for j in range(n):
            run = Path(work) / f"{tid}.r{j}"
            lo, hi = np.fromfile(run.with_name(run.name + ".idx"), dtype=np.int64, count=2, offset=8 * b).tolist()
            if hi > lo:
                with open(run, "rb") as fh:
                    fh.seek(lo)
                    lines += fh.read(hi - lo).splitlines(keepends=True)
    lines.sort()

    def write(raw: BinaryIO) -> None:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=3) as gz:
            for ln in lines:
                gz.write(ln[17:])
    publish(Path(out) / DATA / name, write)
    worker_report.tick(len(lines), 1.0)
    return {"file": f"{DATA}/{name}", "written": {"documents": len(lines)}}


# ---------------------------------------------------------------- the run

def run_mix(recipe: Recipe, overwrite: bool = False, options: RunOptions | None = None) -> dict[str, Any]:
    """Mix (or resume mixing) into `recipe.output`; the manifest, with how this invocation ran under "run"."""
    load_tokenizer(recipe.tokenizer)  # a tokenizer that does not load is the user's to fix, before any work
    fingerprint = {"recipe": recipe.raw, "files": [file_identity(str(f)) for s in recipe.sources for f in s.files]}
    with claim(recipe.output, "mix") as folder:
        fresh = not folder.owned()
        run = PassRun(folder, "mix", fingerprint, options or RunOptions(), overwrite, (DATA, MANIFEST))
        try:
            manifest = _mix(recipe, run)
        except RecipeError:
            if fresh or overwrite:
                # A recipe the corpus cannot satisfy (found once counted): nothing half-made stays (ours only).
                folder.discard()
            raise
        return {**manifest, "run": {"executor": run.executor_name, "workers": run.options.workers,
                                    "task_seconds": run.seconds}}


def _mix(recipe: Recipe, run: PassRun) -> dict[str, Any]:
    out = recipe.output.resolve()
    work = run.work.resolve() / "mix"
    work.mkdir(parents=True, exist_ok=True)
    (out / DATA).mkdir(exist_ok=True)
    w = str(work)
    files = _files(recipe)
    counted = run.run("mix:count", [Task(tid, _count, (recipe, w, tid, si, f)) for tid, si, _fi, f in files])
    available: dict[Key, int] = {}
    available_docs: dict[Key, int] = {}
    for tid, si, _fi, _f in files:
        c = counted[tid]
        for d, t, n in zip(c["domains"], c["tokens"], c["docs"]):
            k = (recipe.sources[si].name, d)
            available[k] = available.get(k, 0) + t
            available_docs[k] = available_docs.get(k, 0) + n
    skipped = sum(counted[tid]["skipped"] for tid, *_ in files)
    plan = make_plan(recipe, available)
    per_phase = [max(1, math.ceil(sum(plan.planned[ph.name].values()) / recipe.shard_tokens))
                 for ph in recipe.phases]
    rates = [{ph: [[d, r] for (s, d), r in sorted(per.items()) if s == src.name] for ph, per in plan.rates.items()}
             for src in recipe.sources]
    decided = run.run("mix:decide", [
        Task(f"{si:03d}", _decide, (recipe, w, si, rates[si], [[tid, counted[tid]["domains"]]
                                                                 for tid, s, _fi, _f in files if s == si]))
        for si in range(len(recipe.sources))])
    sampled = run.run("mix:sample", [
        Task(tid, _sample, (recipe, w, tid, si, f, counted[tid]["domains"], rates[si], per_phase))
        for tid, si, _fi, f in files])
    names = [f"mix-p{pi:02d}-{k:05d}.jsonl.gz" for pi, n in enumerate(per_phase) for k in range(n)]
    runs = [[tid, sampled[tid]["runs"]] for tid, *_ in files]
    run.run("mix:shuffle", [Task(f"{b:05d}", _shuffle, (w, str(out), b, name, runs)) for b, name in enumerate(names)])
    bucket_docs = [0] * len(names)
    bucket_tokens = [0] * len(names)
    for tid, *_ in files:
        for b, n, t in sampled[tid]["buckets"]:
            bucket_docs[b] += n
            bucket_tokens[b] += t
    achieved: dict[tuple[str, Key], int] = {}
    docs: dict[tuple[str, Key], int] = {}
    for si in range(len(recipe.sources)):
        for ph, s, d, t, n in decided[f"{si:03d}"]["streams"]:
            achieved[(ph, (s, d))] = t
            docs[(ph, (s, d))] = n
    res = {"achieved": achieved, "docs": docs, "bucket_tokens": bucket_tokens, "bucket_docs": bucket_docs}
    inputs = [{"source": recipe.sources[si].name, "path": str(recipe.sources[si].files[fi]), **counted[tid]["input"]}
              for tid, si, fi, _f in files]
    manifest = _manifest(recipe, plan, available, available_docs, res, [f"{DATA}/{n}" for n in names], skipped,
                         inputs)
    publish(out / MANIFEST, lambda fh: fh.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)))
    shutil.rmtree(run.work, ignore_errors=True)
    return manifest


def _manifest(recipe: Recipe, plan: Plan, available: dict[Key, int], available_docs: dict[Key, int],
              res: dict[str, Any], shards: list[str], skipped: int,
              inputs: list[dict[str, Any]]) -> dict[str, Any]:
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
        "inputs": inputs,
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
