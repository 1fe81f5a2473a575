"""`corpusmill train-lm` and `corpusmill select`: train a reference model, pick k documents of a pool.

Both read texts the way every corpusmill command does: run folders, corpus files (JSONL/Parquet)
and folders of them through the corpus reader; plain `.txt` files are one text each. Only `ok`
records count. `select` streams the pool three times (feature counts, weights, writing the chosen
rows), so memory holds one float per pool document, never the pool.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson

from corpusmill.curate.selection.dsir import (FeatureHasher, NoOverlap, distribution, fit, gumbel_top_k, kl, pool_counts,
                                              target_profile)
from corpusmill.curate.selection.ngram_lm import ModelError, train
from corpusmill.mix.recipe import source_files
from corpusmill.readers import CorpusReader
from corpusmill.record import KEPT, OK, Record
from corpusmill.writers import RecordFileWriter

VERSION = "1"


class SelectionError(ValueError):
    """A mistake in the inputs of `train-lm`/`select`: one line, exit 2."""


def input_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise SelectionError(f"{p} does not exist")
        if p.is_file() and p.suffix == ".txt":
            files.append(p)
            continue
        found = source_files(p)
        if not found:
            raise SelectionError(f"{p} holds no corpus files (.jsonl[.gz], .parquet) or .txt files")
        files += found
    return files


def records(files: list[Path], text_field: str = "text") -> Iterator[Record]:
    """The ok records of `files`, in order."""
    reader = CorpusReader(text_field=text_field)
    for f in files:
        if f.suffix == ".txt":
            yield Record(id=str(f), text=f.read_text(encoding="utf-8", errors="replace"))
            continue
        for rec in reader.read(f):
            if rec.status == OK:
                yield rec


def train_lm_command(inputs: list[str], out: str, lang: str, order: int, text_field: str, quiet: bool) -> int:
    if not out.endswith((".arpa", ".bin")):
        raise SelectionError(f"-o {out}: name the model file .arpa (text) or .bin (KenLM binary)")
    t0 = time.perf_counter()
    info = train((r.text for r in records(input_files(inputs), text_field)), Path(out), lang, order)
    if not quiet:
        print(f"{out}: {info.order}-gram model for {info.lang!r} on {info.words:,} words in {info.sentences:,} "
              f"lines ({time.perf_counter() - t0:.1f} s); sha256 {info.sha256[:16]}")
    return 0


def select_command(method: str, pool: list[str], target: list[str] | None, k: int, out: str, seed: int,
                   buckets: int, text_field: str, quiet: bool) -> int:
    """Write the k chosen pool rows to OUT/selected.jsonl.gz and what was done to OUT/selection.json."""
    if Path(out).exists() and not Path(out).is_dir():
        raise SelectionError(f"-o {out} is a file; name a folder for selected.jsonl.gz and selection.json")
    pool_files = input_files(pool)
    hasher = FeatureHasher(buckets)
    if method == "dsir" and not target:
        raise SelectionError("select dsir needs --target (the texts to select toward)")
    profile = target_profile((r.text for r in records(input_files(target), text_field)), hasher) if target else None
    model = None
    if profile is not None and method == "dsir":
        counts, overlap = pool_counts((r.text for r in records(pool_files, text_field)), hasher, profile)
        model = fit(profile, counts, overlap, hasher)
        log_w = np.array([model.log_weight(r.text) for r in records(pool_files, text_field)])
    else:
        log_w = np.zeros(sum(1 for _ in records(pool_files, text_field)))
    n = len(log_w)
    if n == 0:
        raise SelectionError("the pool has no ok records")
    summary: dict[str, object] = {"method": method, "seed": seed, "pool_documents": n, "k": min(k, n)}
    if model is not None:
        summary.update(buckets=buckets, target_word_overlap=round(model.overlap, 4))
    chosen = gumbel_top_k(log_w, k, seed)
    rank = {int(i): r for r, i in enumerate(chosen)}
    out_dir = Path(out)
    writer = RecordFileWriter(out_dir / "selected.jsonl.gz", "jsonl", corpus=True)
    selected_counts = np.zeros(buckets)
    try:
        for i, rec in enumerate(records(pool_files, text_field)):
            if i not in rank:
                continue
            scores = {"draw": rank[i]}
            if model is not None:
                scores["dsir_log_weight"] = round(float(log_w[i]), 4)
                f = hasher.features(rec.text)
                selected_counts += np.bincount(f, minlength=buckets) if len(f) else 0
            rec.log(f"select_{method}", VERSION, KEPT, scores=scores, detail=f"seed {seed}")
            writer.write(rec)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if model is not None:
        before = kl(model.target, model.raw)
        after = kl(model.target, distribution(selected_counts))
        summary.update(kl_target_raw=round(before, 4), kl_target_selected=round(after, 4),
                       kl_reduction=round(before - after, 4))
    summary["selected"] = len(chosen)
    (out_dir / "selection.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    if not quiet:
        line = f"selected {len(chosen):,} of {n:,} documents ({method}, seed {seed}) -> {out_dir / 'selected.jsonl.gz'}"
        if model is not None:
            line += (f"; KL(target||pool) {summary['kl_target_raw']} -> KL(target||selected) "
                     f"{summary['kl_target_selected']} (reduction {summary['kl_reduction']})")
        print(line)
    return 0


USER_ERRORS = (SelectionError, ModelError, NoOverlap)
