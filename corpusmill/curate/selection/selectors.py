"""One interface for every way of choosing documents from a pool, so commands and the selection
benchmark treat them alike.

A `Selector` is fitted on the target (the data we want more of) and the pool's texts, then gives
every pool document a `priority`; `order` ranks the pool by it. Stochastic selectors (random,
DSIR) rank by priority + Gumbel noise from a seed (sampling without replacement, proportional to
exp(priority)); deterministic ones (perplexity, a classifier score) rank by priority alone, ties
by pool position. Taking a prefix of the order gives k documents or a token budget.

A new scorer plugs in with a class of three members, e.g. a quality classifier:

    class ClassifierSelector:
        name, stochastic = "classifier", False
        def __init__(self, model): self.model = model
        def fit(self, target, pool): pass
        def priorities(self, texts): return np.array([self.model.score(t) for t in texts])
"""
from __future__ import annotations

import math
from typing import Protocol, Sequence

import numpy as np

from corpusmill.curate.selection.dsir import DEFAULT_BUCKETS, DsirModel, FeatureHasher, fit, pool_counts, target_profile
from corpusmill.curate.selection.ngram_lm import Scorer, load_scorer


class Selector(Protocol):
    name: str
    stochastic: bool

    def fit(self, target: Sequence[str], pool: Sequence[str]) -> None: ...

    def priorities(self, texts: Sequence[str]) -> np.ndarray: ...


def order(selector: Selector, texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """Pool indices, most wanted first (every document once)."""
    prio = np.asarray(selector.priorities(texts), dtype=np.float64)
    keys = prio.copy()
    if selector.stochastic:
        keys = keys + np.random.default_rng(seed).gumbel(size=len(keys))
    keys[~np.isfinite(prio)] = -np.inf
    idx = np.arange(len(keys))
    return idx[np.lexsort((idx, -keys))]


class RandomSelector:
    """Uniform sampling without replacement: the baseline every selector is compared with."""

    name, stochastic = "random", True

    def fit(self, target: Sequence[str], pool: Sequence[str]) -> None:
        return None

    def priorities(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros(len(texts))


class DsirSelector:
    """Importance weights toward the target (log w); with Gumbel noise, DSIR's resampling."""

    name, stochastic = "dsir", True

    def __init__(self, buckets: int = DEFAULT_BUCKETS) -> None:
        self.hasher = FeatureHasher(buckets)
        self.model: DsirModel | None = None

    def fit(self, target: Sequence[str], pool: Sequence[str]) -> None:
        profile = target_profile(target, self.hasher)
        self.model = fit(profile, *pool_counts(pool, self.hasher, profile), self.hasher)

    def priorities(self, texts: Sequence[str]) -> np.ndarray:
        assert self.model is not None, "fit first"
        return np.array([self.model.log_weight(t) for t in texts])


class PerplexitySelector:
    """Lowest perplexity first under a model trained on the target (CCNet-style)."""

    name, stochastic = "perplexity", False

    def __init__(self, model_path: str, lang: str) -> None:
        self.model_path = model_path
        self.lang = lang
        self.scorer: Scorer | None = None

    def fit(self, target: Sequence[str], pool: Sequence[str]) -> None:
        self.scorer = load_scorer(self.model_path, self.lang)

    def priorities(self, texts: Sequence[str]) -> np.ndarray:
        assert self.scorer is not None, "fit first"
        out = np.empty(len(texts))
        for i, t in enumerate(texts):
            ppl = self.scorer.perplexity(t)
            out[i] = -math.log(ppl) if ppl else -np.inf
        return out
