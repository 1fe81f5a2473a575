"""DSIR: data selection with importance resampling (Xie et al. 2023, "Data Selection for Language
Models via Importance Resampling").

Features are hashed word unigrams and bigrams (`buckets` of them, 10,000 as in the paper) over
`lm_words`' normalised words. A bag-of-n-grams model is fitted on the target and one on the raw
pool (add-one smoothed); a document's log importance weight is
sum_j c_j(x) * (log p_target(j) - log p_raw(j)). k documents are drawn without replacement with
probability proportional to their weights by Gumbel top-k: the k largest of log w + Gumbel noise.
The noise comes from a seeded generator over the pool order, so a seed gives one selection.

The method's own measure of success, the KL reduction, compares hashed-feature distributions:
KL(target || raw pool) - KL(target || selected). Positive means the selection moved toward the
target. Our own numpy implementation: hashing is xxh3 of each word (cached), bigrams combine two
word hashes, so features never depend on Python's hash seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import xxhash

from corpusmill.curate.selection.lm_words import words

DEFAULT_BUCKETS = 10_000
_CACHE_LIMIT = 2_000_000
_BIGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)


class FeatureHasher:
    """Text -> hashed unigram+bigram feature ids in [0, buckets)."""

    def __init__(self, buckets: int = DEFAULT_BUCKETS) -> None:
        if buckets < 2:
            raise ValueError("DSIR needs at least 2 hash buckets")
        self.buckets = buckets
        self._cache: dict[str, int] = {}

    def _word_hashes(self, toks: list[str]) -> np.ndarray:
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:  # memory stays bounded on any vocabulary
            cache.clear()
        out = np.empty(len(toks), dtype=np.uint64)
        for i, t in enumerate(toks):
            h = cache.get(t)
            if h is None:
                h = cache[t] = xxhash.xxh3_64_intdigest(t.encode("utf-8"))
            out[i] = h
        return out

    def features(self, text: str) -> np.ndarray:
        h = self._word_hashes(words(text))
        if not len(h):
            return np.empty(0, dtype=np.int64)
        with np.errstate(over="ignore"):
            bigrams = h[:-1] * _BIGRAM_MIX ^ h[1:]
        b = np.uint64(self.buckets)
        return np.concatenate([h % b, bigrams % b]).astype(np.int64)

    def counts(self, texts: Iterable[str]) -> np.ndarray:
        total = np.zeros(self.buckets, dtype=np.float64)
        for text in texts:
            f = self.features(text)
            if len(f):
                total += np.bincount(f, minlength=self.buckets)
        return total


def distribution(counts: np.ndarray) -> np.ndarray:
    """Add-one smoothed feature distribution (every bucket gets mass, so logs and KL are finite)."""
    c = counts + 1.0
    return c / c.sum()


def kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * (np.log(p) - np.log(q))))


@dataclass
class DsirModel:
    hasher: FeatureHasher
    log_ratio: np.ndarray  # log p_target - log p_raw, per bucket
    target: np.ndarray
    raw: np.ndarray
    overlap: float  # share of the target's feature mass in buckets the pool also has

    def log_weight(self, text: str) -> float:
        f = self.hasher.features(text)
        return float(self.log_ratio[f].sum()) if len(f) else float("-inf")


class NoOverlap(ValueError):
    """Target and pool share no features: nothing to resample toward."""


def fit(target_texts: Iterable[str], pool_counts: np.ndarray, hasher: FeatureHasher) -> DsirModel:
    target_counts = hasher.counts(target_texts)
    if not target_counts.sum():
        raise NoOverlap("the target set has no words to take features from")
    shared = target_counts[pool_counts > 0].sum() / target_counts.sum()
    # A target whose features the pool lacks has nothing to select toward: every weight would be
    # noise around the smoothing floor.
    if shared == 0:
        raise NoOverlap("the target and the pool share no n-gram features: no document of the pool "
                        "resembles the target (check the target's language and files)")
    p, q = distribution(target_counts), distribution(pool_counts)
    return DsirModel(hasher, np.log(p) - np.log(q), p, q, float(shared))


def gumbel_top_k(log_weights: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices of k draws without replacement, probability proportional to exp(log_weights); in draw order."""
    rng = np.random.default_rng(seed)
    keys = log_weights + rng.gumbel(size=len(log_weights))
    keys[~np.isfinite(log_weights)] = -np.inf  # documents with no features are never drawn
    k = min(k, int(np.isfinite(keys).sum()))
    top = np.argpartition(-keys, k - 1)[:k] if k else np.empty(0, dtype=np.int64)
    # Ties broken by pool position so the order is the same on every machine.
    return top[np.lexsort((top, -keys[top]))]
