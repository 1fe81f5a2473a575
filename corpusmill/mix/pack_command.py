"""`corpusmill pack`: a corpus (or a mixture's output) -> fixed-length token sequences + text view.

Two passes on the executor. `count`, a task per input file: tokenize its documents once, keeping
their token ids, lengths and ids in work files. The driver then cuts the document stream into
windows of about `window_tokens` (from the lengths alone, so windows never depend on the worker
count) and measures concatenate-and-chunk over the whole stream. `window`, a task per window: pack
it with best-fit decreasing and write its shard files. Memory is bounded by a window, not the corpus.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import orjson

from corpusmill.job import file_identity
from corpusmill.mix.packing import ConcatChunk, PackStats, best_fit_decreasing, fill
from corpusmill.mix.passes import PassRun, RunOptions, publish
from corpusmill.mix.recipe import source_files
from corpusmill.output_folder import claim, is_within
from corpusmill.progress import worker_report
from corpusmill.readers import CorpusReader
from corpusmill.record import OK
from corpusmill.tasks import Task
from corpusmill.tokens import load_tokenizer

_BATCH = 1024
DATA = "data"
REPORT = "pack.json"


def _count_file(spec: dict[str, Any], k: int, path: str) -> dict[str, Any]:
    """Pass 1 on one input file: `_work/pack/<k>.tok` (uint32 ids), `.len` (int64), `.docs` (jsonl), `.off`."""
    tok = load_tokenizer(spec["tokenizer"])
    tail = [tok.eos_id] if spec["eos"] and tok.eos_id is not None else []
    reader = CorpusReader(text_field=spec["text_field"])
    work = Path(spec["work"])
    names = {ext: work / f"{k:05d}.{ext}" for ext in ("tok", "len", "docs", "off")}
    tmp = {ext: p.with_name(f".{p.name}.tmp") for ext, p in names.items()}
    skipped: dict[str, int] = {}
    docs = tokens = 0
    fh = {ext: open(p, "wb") for ext, p in tmp.items()}
    try:
        batch: list[Any] = []
        at = 0

        def flush() -> None:
            nonlocal docs, tokens, at
            encoded = [(r, x + tail) for r, x in zip(batch, tok.encode_batch([r.text for r in batch]))]
            kept = [(r, x) for r, x in encoded if x]
            if len(kept) < len(encoded):  # whitespace only, no end-of-text token: nothing to pack
                skipped["no tokens"] = skipped.get("no tokens", 0) + len(encoded) - len(kept)
            ids = [x for _, x in kept]
            fh["tok"].write(np.fromiter((t for x in ids for t in x), dtype=np.uint32).tobytes())
            fh["len"].write(np.array([len(x) for x in ids], dtype=np.int64).tobytes())
            offs = []
            for r, x in kept:
                line = orjson.dumps({"id": r.id, "tokens": len(x),
                                     **({"mix": r.metadata["mix"]} if "mix" in r.metadata else {})},
                                    option=orjson.OPT_APPEND_NEWLINE)
                offs.append(at)
                at += len(line)
                fh["docs"].write(line)
            fh["off"].write(np.array(offs, dtype=np.int64).tobytes())
            docs += len(kept)
            tokens += sum(map(len, ids))
            worker_report.tick(len(batch))

        for r in reader.read(path):
            if r.status != OK or not r.text:
                why = "empty" if r.status == OK else f"unreadable ({r.status})"
                skipped[why] = skipped.get(why, 0) + 1
                continue
            batch.append(r)
            if len(batch) >= _BATCH:
                flush()
                batch = []
        if batch:
            flush()
    finally:
        for f in fh.values():
            f.close()
    for ext in names:
        tmp[ext].replace(names[ext])
    return {"documents": docs, "tokens": tokens, "skipped": skipped, "written": {"documents": docs}}


def _windows(work: Path, counts: list[dict[str, Any]], window_tokens: int, seq_len: int
             ) -> tuple[list[dict[str, Any]], ConcatChunk]:
    """The document stream cut after the document that brings a window to `window_tokens`; the baseline, measured."""
    base = ConcatChunk(seq_len)
    windows: list[dict[str, Any]] = []
    parts: list[list[int]] = []  # [file, first doc, end doc, first token]
    n_tok = doc_base = 0
    for k, c in enumerate(counts):
        if not c["documents"]:
            continue
        lengths = np.fromfile(work / f"{k:05d}.len", dtype=np.int64)
        base.add(lengths)
        cs = np.cumsum(lengths)
        tok_at = np.concatenate(([0], cs))
        i = 0
        while i < len(lengths):
            # First document j >= i at which the window reaches window_tokens.
            j = int(np.searchsorted(cs, tok_at[i] + (window_tokens - n_tok), side="left"))
            end = min(j + 1, len(lengths))
            parts.append([k, i, end, int(tok_at[i])])
            n_tok += int(tok_at[end] - tok_at[i])
            i = end
            if n_tok >= window_tokens:
                windows.append({"parts": parts, "doc_base": doc_base})
                doc_base += sum(p[2] - p[1] for p in parts)
                parts, n_tok = [], 0
    if parts:
        windows.append({"parts": parts, "doc_base": doc_base})
    return windows, base


def _window_docs(work: Path, window: dict[str, Any]) -> Iterator[tuple[bytes, np.ndarray]]:
    """The window's documents in order: (info line, token ids)."""
    for k, lo, hi, tok_lo in window["parts"]:
        lengths = np.fromfile(work / f"{k:05d}.len", dtype=np.int64, count=hi - lo, offset=8 * lo)
        ids = np.fromfile(work / f"{k:05d}.tok", dtype=np.uint32, count=int(lengths.sum()), offset=4 * tok_lo)
        off = int(np.fromfile(work / f"{k:05d}.off", dtype=np.int64, count=1, offset=8 * lo)[0])
        with open(work / f"{k:05d}.docs", "rb") as fh:
            fh.seek(off)
            at = 0
            for length in lengths.tolist():
                yield fh.readline(), ids[at:at + length]
                at += length


def _pack_window(spec: dict[str, Any], w: int, window: dict[str, Any]) -> dict[str, Any]:
    """Pass 2 on one window: `data/tokens-<w>.npy`, `segments-<w>.npy`, `documents-<w>.jsonl`, `text-<w>.jsonl.gz`."""
    n = spec["seq_len"]
    tok = load_tokenizer(spec["tokenizer"])
    data = Path(spec["out"]) / DATA
    infos, docs = zip(*_window_docs(Path(spec["work"]), window))
    lengths = [len(d) for d in docs]
    packed = best_fit_decreasing(lengths, n, fill=spec["fill"])
    base = window["doc_base"]
    publish(data / f"tokens-{w:05d}.npy", lambda fh: np.save(fh, fill(packed.sequences, docs, n, spec["pad_id"])))
    seg = [(i, sum(q.length for q in s[:j]), p.length, base + p.doc, p.start)
           for i, s in enumerate(packed.sequences) for j, p in enumerate(s)]
    publish(data / f"segments-{w:05d}.npy",
            lambda fh: np.save(fh, np.array(seg, dtype=np.int64).reshape(-1, 5)))

    def documents(fh: BinaryIO) -> None:
        for j, line in enumerate(infos):
            fh.write(b'{"index":%d,' % (base + j) + line[1:])
    publish(data / f"documents-{w:05d}.jsonl", documents)
    if spec["text_view"]:
        ids = [orjson.loads(line)["id"] for line in infos]

        def text(raw: BinaryIO) -> None:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=3) as gz:
                for i, s in enumerate(packed.sequences):
                    pieces = [{"id": ids[p.doc], "start": p.start, "length": p.length,
                               "text": tok.decode(docs[p.doc][p.start:p.start + p.length].tolist())} for p in s]
                    gz.write(orjson.dumps({"sequence": i, "pieces": pieces}, option=orjson.OPT_APPEND_NEWLINE))
        publish(data / f"text-{w:05d}.jsonl.gz", text)
    worker_report.tick(len(lengths), 1.0)
    return {"window": w, "documents": len(lengths), "tokens": int(sum(lengths)), "sequences": len(packed.sequences),
            "padding": packed.padding, "split_documents": packed.split_documents,
            "split_pieces": packed.split_pieces, "written": {"documents": len(lengths)}}


def run_pack(inputs: list[str], out: Path, seq_len: int, tokenizer: str, window_tokens: int = 20_000_000,
             eos: bool = True, text_field: str = "text", text_view: bool = True, overwrite: bool = False,
             fill_gaps: bool = True, options: RunOptions | None = None) -> dict[str, Any]:
    """Pack (or resume packing) `inputs` into `out`; the report (`pack.json`) as a dict."""
    if seq_len < 2:
        raise ValueError("--seq-len must be at least 2")
    if window_tokens < 1:
        raise ValueError("--window-tokens must be at least 1")
    tok = load_tokenizer(tokenizer)
    files: list[Path] = []
    for inp in inputs:
        p = Path(inp)
        if not p.exists():
            raise ValueError(f"no input {inp}")
        if is_within(inp, out):
            raise ValueError(f"input {inp} is inside the output folder {out}; pack into another folder")
        files += source_files(p, exclude=out)
    if not files:
        raise ValueError(f"no JSONL/Parquet files in {', '.join(inputs)}")
    text_view = text_view and tok.name != "whitespace"
    spec = {"tokenizer": tokenizer, "seq_len": seq_len, "window_tokens": window_tokens, "eos": eos,
            "text_field": text_field, "text_view": text_view, "fill": fill_gaps,
            "pad_id": tok.eos_id if tok.eos_id is not None else 0}
    fingerprint = {**spec, "files": [file_identity(str(f)) for f in files]}
    with claim(out, "pack") as folder:
        run = PassRun(folder, "pack", fingerprint, options or RunOptions(), overwrite, (DATA, REPORT))
        return _pack(run, spec, files)


def _pack(run: PassRun, spec: dict[str, Any], files: list[Path]) -> dict[str, Any]:
    out = run.folder.path.resolve()  # absolute: a Ray worker need not share the driver's working directory
    work = run.work.resolve() / "pack"
    work.mkdir(parents=True, exist_ok=True)
    (out / DATA).mkdir(exist_ok=True)
    spec = {**spec, "work": str(work), "out": str(out)}
    counted = run.run("pack:count", [Task(f"{k:05d}", _count_file, (spec, k, str(f.resolve())))
                                     for k, f in enumerate(files)])
    counts = [counted[f"{k:05d}"] for k in range(len(files))]
    # The windows are planned once and kept with the markers: a resumed run packs the same ones,
    # even after a finished run removed the work files they were planned from.
    plan = run.markers.get("pack:plan", "windows")
    if plan is None:
        windows, base = _windows(work, counts, spec["window_tokens"], spec["seq_len"])
        plan = {"windows": windows, "baseline": vars(base)}
        run.markers.put("pack:plan", "windows", plan)
    windows = plan["windows"]
    baseline = ConcatChunk(spec["seq_len"])
    vars(baseline).update(plan["baseline"])
    packed = run.run("pack:window", [Task(f"{w:05d}", _pack_window, (spec, w, win)) for w, win in enumerate(windows)])
    stats = PackStats(spec["seq_len"], baseline=baseline)
    skipped: dict[str, int] = {}
    for c in counts:
        for why, k in c["skipped"].items():
            skipped[why] = skipped.get(why, 0) + k
    per_window = []
    for w, win in enumerate(windows):
        r = packed[f"{w:05d}"]
        stats.add_totals(r)
        per_window.append({"window": w, "first_document": win["doc_base"], "documents": r["documents"],
                           "sequences": r["sequences"]})
    w0 = "{w:05d}"
    stats.extra.update(
        tokenizer=spec["tokenizer"], eos_appended=spec["eos"] and load_tokenizer(spec["tokenizer"]).eos_id is not None,
        pad_id=spec["pad_id"], fill_gaps=spec["fill"], window_tokens=spec["window_tokens"],
        skipped_records=skipped, input_files=len(files), windows_detail=per_window,
        files={"tokens": f"data/tokens-{w0}.npy (uint32, sequences x seq_len)",
               "segments": f"data/segments-{w0}.npy (int64: row, offset, length, document, doc_offset)",
               "documents": f"data/documents-{w0}.jsonl",
               "text": f"data/text-{w0}.jsonl.gz" if spec["text_view"] else None})
    report = stats.to_dict()
    publish(out / REPORT, lambda fh: fh.write(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)))
    shutil.rmtree(run.work, ignore_errors=True)
    # How this invocation ran is for the summary, not the report: the report never depends on it.
    return {**report, "run": {"executor": run.executor_name, "workers": run.options.workers,
                              "task_seconds": run.seconds}}
