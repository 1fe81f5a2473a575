"""`corpusmill train-classifier`: a quality classifier from the user's own positives and negatives.

Inputs are corpus files (JSONL/Parquet, read by the corpus reader: only `ok` records
with text) or `.txt` files (one document per non-empty line), given as files, folders
or globs. fastText (Debian's `fasttext` binary) trains when it is installed, else the
numpy hashed-linear model; both are deterministic: examples shuffled with a fixed
seed, fastText with one thread and that seed.
"""
from __future__ import annotations

import glob
import math
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from corpusmill.curate.quality_classifier.hashed_linear import HashedLinear
from corpusmill.curate.quality_classifier.model import HIGH, LOW, QualityModel
from corpusmill.curate.quality_classifier.text import prepare
from corpusmill.readers import CorpusReader
from corpusmill.record import OK

MIN_EXAMPLES = 10  # per class: fewer cannot separate anything but noise
BACKENDS = ("auto", "fasttext", "hashed")


class TrainingError(ValueError):
    """Inputs or settings the trainer cannot use; the message says how to fix them."""


def input_files(inputs: list[str]) -> list[Path]:
    suffixes = CorpusReader.suffixes + (".txt",)
    files: list[Path] = []
    for given in inputs:
        p = Path(given)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(suffixes)
                            and not f.name.startswith("."))
        elif p.is_file():
            files.append(p)
        else:
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                raise TrainingError(f"{given!r}: no such file, folder or glob match")
            files += [Path(m) for m in matches if Path(m).is_file()]
    return sorted(set(files))


def read_texts(inputs: list[str]) -> Iterator[str]:
    """Non-empty prepared texts of every document in the inputs."""
    reader = CorpusReader()
    for f in input_files(inputs):
        if f.name.endswith(".txt"):
            with open(f, encoding="utf-8", errors="replace") as fh:
                texts: Iterator[str] = (line for line in fh)
                yield from (t for t in map(prepare, texts) if t)
            continue
        if not f.name.endswith(CorpusReader.suffixes):
            raise TrainingError(f"{f}: not a corpus file ({', '.join(CorpusReader.suffixes)}) or .txt")
        for rec in reader.read(f):
            if rec.status == OK and (t := prepare(rec.text)):
                yield t


def fasttext_binary() -> str | None:
    return shutil.which("fasttext")


def train_classifier(positive: list[str], negative: list[str], out: str | Path, backend: str = "auto",
                     seed: int = 1, epochs: int = 5, dim: int = 16, buckets: int = 1 << 17,
                     min_count: int = 2, quantize: bool = False) -> dict[str, object]:
    """Train on positives (label 1) vs negatives; write the model to `out`; a summary back."""
    if backend not in BACKENDS:
        raise TrainingError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    t0 = time.perf_counter()
    pos, neg = list(read_texts(positive)), list(read_texts(negative))
    for name, texts in (("positive", pos), ("negative", neg)):
        if len(texts) < MIN_EXAMPLES:
            raise TrainingError(f"only {len(texts)} {name} documents with text; a classifier needs at "
                                f"least {MIN_EXAMPLES} of each class")
    texts = pos + neg
    labels = np.concatenate([np.ones(len(pos), np.int8), np.zeros(len(neg), np.int8)])
    order = np.random.Generator(np.random.PCG64(seed)).permutation(len(texts))
    texts, labels = [texts[i] for i in order], labels[order]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    binary = fasttext_binary()
    if backend == "fasttext" and binary is None:
        raise TrainingError("the fasttext binary is not installed (Debian: apt install fasttext); "
                            "use --backend hashed")
    if backend == "hashed" or binary is None:
        HashedLinear.train(texts, labels, seed=seed, buckets=buckets, epochs=epochs).save(out)
    else:
        _train_fasttext(binary, texts, labels, out, seed, epochs, dim, buckets, min_count, quantize)
    model = QualityModel(out)
    return {"model": str(out), "kind": model.kind, "sha256": model.sha256, "positive": len(pos),
            "negative": len(neg), "bytes": out.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 2)}


def _train_fasttext(binary: str, texts: list[str], labels: np.ndarray, out: Path, seed: int,
                    epochs: int, dim: int, buckets: int, min_count: int, quantize: bool) -> None:
    with tempfile.TemporaryDirectory(prefix=".train-", dir=out.parent) as tmp:
        data = Path(tmp) / "train.txt"
        with open(data, "w", encoding="utf-8") as f:
            for text, label in zip(texts, labels):
                f.write(f"{HIGH if label else LOW} {text}\n")
        stem = str(Path(tmp) / "model")
        # fastText's linear learning-rate decay needs enough updates: a small reference set
        # gets more epochs (at least ~20k example updates, at most 50 epochs).
        epochs = min(max(epochs, math.ceil(20_000 / len(texts))), max(epochs, 50))
        common = ["-thread", "1", "-seed", str(seed), "-verbose", "0"]
        _run([binary, "supervised", "-input", str(data), "-output", stem, "-dim", str(dim),
              "-epoch", str(epochs), "-wordNgrams", "2", "-bucket", str(buckets),
              "-minCount", str(min_count), "-lr", "0.5", *common])
        made = Path(stem + ".bin")
        if quantize:  # product quantization: a model of a few MB, scores within ~1e-2
            _run([binary, "quantize", "-input", str(data), "-output", stem, "-qnorm", "-cutoff",
                  "100000", "-retrain", "-epoch", str(epochs), *common])
            made = Path(stem + ".ftz")
        os.replace(made, out)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"fasttext {cmd[1]} failed ({done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-500:]}")
