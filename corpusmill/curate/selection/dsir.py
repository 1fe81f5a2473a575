"""DSIR: data selection with importance resampling (Xie et al. 2023, "Data Selection for Language
Models via Importance Resampling").

Features are hashed word unigrams and bigrams (`buckets` of them, 10,000 as in the paper) over
`lm_words`' normalised words. A bag-of-n-grams model is fitted on the target and one on the raw
pool (add-one smoothed); a document's log importance weight is
sum_j c_j(x) * (log p_target(j) - log p_raw(j)). k documents are drawn without replacement with
probability proportional to their weights by Gumbel top-k: the k largest of log w + Gumbel noise.
The noise comes from a seeded generator over the pool order (`select dsir`), or from a hash of the
seed and each document's id (the `dsir` stage, whose pool is sharded), so a seed gives one selection.

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

    def doc(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(word hashes, feature ids) of a text."""
        h = self._word_hashes(words(text))
        if not len(h):
            return h, np.empty(0, dtype=np.int64)
        with np.errstate(over="ignore"):
            bigrams = h[:-1] * _BIGRAM_MIX ^ h[1:]
        b = np.uint64(self.buckets)
        return h, np.concatenate([h % b, bigrams % b]).astype(np.int64)

    def features(self, text: str) -> np.ndarray:
        return self.doc(text)[1]


@dataclass
class Profile:
    """Hashed feature counts of a set of texts, and its words (exact 64-bit hashes) with their counts."""

    counts: np.ndarray
    words: np.ndarray
    word_counts: np.ndarray


def target_profile(texts: Iterable[str], hasher: FeatureHasher) -> Profile:
    counts = np.zeros(hasher.buckets)
    all_words: list[np.ndarray] = []
    for text in texts:
        h, f = hasher.doc(text)
        if len(f):
            counts += np.bincount(f, minlength=hasher.buckets)
            all_words.append(h)
    if not all_words:
        raise NoOverlap("the target set has no words to take features from")
    uniq, n = np.unique(np.concatenate(all_words), return_counts=True)
    return Profile(counts, uniq, n)


class PoolCounter:
    """Running hashed feature counts of a pool, and which of the target's words it has.

    Hashed buckets collide, so bucket overlap says nothing; exact word hashes tell whether the
    pool shares any vocabulary with the target at all.
    """

    def __init__(self, hasher: FeatureHasher, target: Profile) -> None:
        self.hasher, self.target = hasher, target
        self.counts = np.zeros(hasher.buckets)
        self.seen = np.zeros(len(target.words), dtype=bool)

    def add(self, text: str) -> np.ndarray:
        """Counts one pool document; its feature ids."""
        h, f = self.hasher.doc(text)
        if len(f):
            self.counts += np.bincount(f, minlength=self.hasher.buckets)
            self.seen[np.searchsorted(self.target.words, h[np.isin(h, self.target.words)])] = True
        return f


def word_overlap(target: Profile, seen: np.ndarray) -> float:
    """The share of the target's word occurrences among the words a pool has (`seen`)."""
    return float(target.word_counts[seen].sum() / target.word_counts.sum())


def pool_counts(texts: Iterable[str], hasher: FeatureHasher, target: Profile) -> tuple[np.ndarray, float]:
    """The pool's hashed feature counts, and the share of the target's word occurrences the pool also has."""
    counter = PoolCounter(hasher, target)
    for text in texts:
        counter.add(text)
    return counter.counts, word_overlap(target, counter.seen)


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
    overlap: float  # share of the target's word occurrences the pool also has

    def log_weight(self, text: str) -> float:
        f = self.hasher.features(text)
        return float(self.log_ratio[f].sum()) if len(f) else float("-inf")


class NoOverlap(ValueError):
    """Target and pool share (next to) no words: nothing to resample toward."""


# Below this share of the target's word occurrences found in the pool, the weights would only
# reflect hash collisions and smoothing: refuse rather than select noise.
MIN_OVERLAP = 0.05


def fit(target: Profile, pool: np.ndarray, overlap: float, hasher: FeatureHasher) -> DsirModel:
    if overlap < MIN_OVERLAP:
        raise NoOverlap(f"the pool has only {overlap:.1%} of the target's words (at least {MIN_OVERLAP:.0%} "
                        "needed): no pool document resembles the target; check the target's language and files")
    p, q = distribution(target.counts), distribution(pool)
    return DsirModel(hasher, np.log(p) - np.log(q), p, q, overlap)


def gumbel_top_k(log_weights: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices of k draws without replacement, probability proportional to exp(log_weights); in draw order.
    The noise follows the pool order (a generator seeded once): the `select` command's draw."""
    rng = np.random.default_rng(seed)
    keys = log_weights + rng.gumbel(size=len(log_weights))
    return top_k(keys, log_weights, k, np.arange(len(keys)))


def id_gumbel(ids: Iterable[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(standard Gumbel noise, 64-bit hash) per document, from a hash of the seed and its id: the
    same draw for a document whatever the order, sharding or worker count of the run."""
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(f"{seed}\x00{i}".encode("utf-8")) for i in ids), dtype=np.uint64)
    uniform = ((hashes >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53  # in (0, 1)
    return -np.log(-np.log(uniform)), hashes


def top_k(keys: np.ndarray, log_weights: np.ndarray, k: int, tiebreak: np.ndarray) -> np.ndarray:
    """Indices of the k largest keys (log weight + Gumbel noise), largest first, equal keys in
    `tiebreak` order; documents with no features (log weight -inf) are never drawn."""
    keys = np.where(np.isfinite(log_weights), keys, -np.inf)
    k = min(k, int(np.isfinite(keys).sum()))
    return np.lexsort((tiebreak, -keys))[:k]
