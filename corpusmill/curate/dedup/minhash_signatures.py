"""MinHash signatures of word n-gram shingles, vectorised with numpy.

The hot path of near-dedup, with no Python loop over words or shingles:
word hashes come from `text_keys.word_hashes` (code points classified and
hashed in numpy); everything after is numpy over uint64 with wrap-around
arithmetic:

- shingle hash = fmix64(sum_t word[i+t] * C_t): order-sensitive n-gram hash;
- permutation k = a_k * x mod 2^64 with random odd a_k: a bijection of the
  64-bit space whose high bits (which decide the minimum) are
  multiply-shift universal; no "+ b_k" and no "mod p", so one multiply
  per (shingle, permutation) - the bulk of the work - and the signature is
  the per-permutation minimum;
- documents are batched: the shingles of many documents form one
  (shingles x permutations) matrix, reduced per document with
  `np.minimum.reduceat`, in chunks that bound memory (a 10 MB document is
  processed in slices with a running minimum).

Band keys hash each band's `rows` values into one 64-bit bucket key.
"""
from __future__ import annotations

import numpy as np

from corpusmill.curate.dedup.text_keys import fmix64, word_hashes

# Shingles per matrix block: block x permutations x 8 bytes (~14 MB at 112).
_BLOCK = 16384


class MinHasher:
    def __init__(self, n_gram: int = 5, bands: int = 14, rows: int = 8, seed: int = 1) -> None:
        if n_gram < 1 or bands < 1 or rows < 1:
            raise ValueError("minhash: n_gram, bands and rows must be >= 1")
        self.n_gram, self.bands, self.rows = n_gram, bands, rows
        self.permutations = bands * rows
        rng = np.random.Generator(np.random.PCG64(seed))
        hi = np.iinfo(np.uint64).max
        self._a = rng.integers(1, hi, self.permutations, dtype=np.uint64, endpoint=True) | np.uint64(1)
        self._c = rng.integers(1, hi, n_gram, dtype=np.uint64, endpoint=True) | np.uint64(1)
        self._band_c = rng.integers(1, hi, rows, dtype=np.uint64, endpoint=True) | np.uint64(1)

    def shingles(self, text: str) -> np.ndarray:
        """Hashes of the text's word n-grams (one shingle of all words if fewer; none if empty)."""
        w = word_hashes(text)
        n = self.n_gram
        if len(w) == 0:
            return w
        if len(w) < n:  # a short text is one shingle, so equal short texts still match
            return fmix64(np.array([np.sum(w * self._c[: len(w)], dtype=np.uint64)], dtype=np.uint64))
        m = len(w) - n + 1
        acc = w[:m] * self._c[0]
        for t in range(1, n):
            acc += w[t: t + m] * self._c[t]
        return fmix64(acc)

    def signatures(self, docs: list[np.ndarray]) -> np.ndarray:
        """(len(docs), permutations) uint64 signatures; every doc needs >= 1 shingle."""
        out = np.empty((len(docs), self.permutations), dtype=np.uint64)
        sizes = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        if (sizes == 0).any():
            raise ValueError("minhash: a document without shingles has no signature")
        i = 0
        while i < len(docs):
            if sizes[i] > _BLOCK:  # one long document: running minimum over slices
                sig = np.full(self.permutations, np.iinfo(np.uint64).max, dtype=np.uint64)
                for s in range(0, sizes[i], _BLOCK):
                    block = docs[i][s: s + _BLOCK, None] * self._a
                    np.minimum(sig, block.min(axis=0), out=sig)
                out[i] = sig
                i += 1
                continue
            j, total = i, 0
            while j < len(docs) and sizes[j] <= _BLOCK and total + sizes[j] <= _BLOCK:
                total += sizes[j]
                j += 1
            block = np.concatenate(docs[i:j])[:, None] * self._a
            starts = np.concatenate(([0], np.cumsum(sizes[i: j - 1])))
            out[i:j] = np.minimum.reduceat(block, starts, axis=0)
            i = j
        return out

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """(docs, bands) uint64 bucket keys: a hash of each band's rows, salted by band."""
        v = sigs.reshape(len(sigs), self.bands, self.rows)
        h = np.broadcast_to(np.arange(self.bands, dtype=np.uint64), (len(sigs), self.bands)).copy()
        for t in range(self.rows):
            h = fmix64(h * self._band_c[t] + v[:, :, t])
        return h
