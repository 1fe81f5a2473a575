"""DCLM's recipe as a `Selector` (the one interface in `curate.selection.selectors`).

`fit` trains a classifier with the target (reference) texts as positives and a seeded random
sample of the pool, as large as the target, as negatives; `priorities` are its scores, so
`selectors.order` ranks the pool best first (ties to the lower index).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from corpusmill.curate.quality_classifier.model import QualityModel
from corpusmill.curate.quality_classifier.train import train_classifier


class ClassifierSelector:
    name, stochastic = "classifier", False

    def __init__(self, backend: str = "auto", seed: int = 1) -> None:
        self.backend, self.seed = backend, seed
        self.model: QualityModel | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="corpusmill-select-")

    def fit(self, target: Sequence[str], pool: Sequence[str]) -> None:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        n_neg = min(len(pool), len(target))
        negatives = [pool[i] for i in np.sort(rng.choice(len(pool), n_neg, replace=False))]
        pos, neg, model = (Path(self._dir.name, n) for n in ("pos.txt", "neg.txt", "model.bin"))
        for path, texts in ((pos, target), (neg, negatives)):
            path.write_text("".join(" ".join(t.split()) + "\n" for t in texts), encoding="utf-8")
        train_classifier([str(pos)], [str(neg)], model, backend=self.backend, seed=self.seed)
        self.model = QualityModel(model)

    def priorities(self, texts: Sequence[str]) -> np.ndarray:
        assert self.model is not None, "fit first"
        scores = np.asarray(self.model.scores(list(texts)), dtype=np.float64)
        return np.where(np.isnan(scores), -np.inf, scores)
