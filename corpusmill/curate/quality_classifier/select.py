"""Selectors with one signature, `select(pool_texts, k, seed) -> list[int]`, for benches and notebooks.

`classifier_selector(target_texts)` is DCLM's recipe as a selector: train a classifier
with the target (reference) texts as positives and a seeded random sample of the pool,
as large as the target, as negatives; keep the k pool texts it scores highest (ties to
the lower index). `cluster_balanced_selector()` (in `dedup.semantic_select`) spreads k
over k-means clusters instead.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from corpusmill.curate.quality_classifier.model import QualityModel
from corpusmill.curate.quality_classifier.train import train_classifier

Selector = Callable[[list[str], int, int], list[int]]


def top_k(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k best scores, best first; NaN last; ties by index."""
    s = np.where(np.isnan(scores), -np.inf, scores)
    return [int(i) for i in np.lexsort((np.arange(len(s)), -s))[:k]]


def classifier_selector(target_texts: list[str], backend: str = "auto") -> Selector:
    def select(pool_texts: list[str], k: int, seed: int) -> list[int]:
        rng = np.random.Generator(np.random.PCG64(seed))
        n_neg = min(len(pool_texts), len(target_texts))
        negatives = [pool_texts[i] for i in np.sort(rng.choice(len(pool_texts), n_neg, replace=False))]
        with tempfile.TemporaryDirectory(prefix="corpusmill-select-") as tmp:
            pos, neg, model = Path(tmp, "pos.txt"), Path(tmp, "neg.txt"), Path(tmp, "model.bin")
            for path, texts in ((pos, target_texts), (neg, negatives)):
                path.write_text("".join(" ".join(t.split()) + "\n" for t in texts), encoding="utf-8")
            train_classifier([str(pos)], [str(neg)], model, backend=backend, seed=seed)
            return top_k(QualityModel(model).scores(pool_texts), k)

    return select
