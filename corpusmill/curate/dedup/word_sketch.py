"""Bottom-k sketches of a text's word set, and the word overlap of two texts estimated from them.

A text's sketch is the k smallest 64-bit hashes (xxh64) of its distinct whitespace words,
sorted, padded with EMPTY. Cut both sketches at the smaller of their k-th hashes and what
is left of each is a uniform sample of its word set at the same rate (a text with fewer
than k words is whole), so the shared share of the smaller sample estimates
|A & B| / min(|A|, |B|) - the share of the smaller text's words the other also has. It
stays near 1 for a copy, a cut or an excerpt of a text, and for a text with a few words
swapped, whatever their lengths.
"""
from __future__ import annotations

import numpy as np

EMPTY = np.iinfo(np.uint64).max
SIZE = 128  # hashes a text keeps (1 KB): the overlap's standard error is <= ~0.045


def bottom_k(hashes: np.ndarray, k: int = SIZE) -> np.ndarray:
    """The sketch of a text whose distinct words hash to `hashes`."""
    out = np.full(k, EMPTY, dtype=np.uint64)
    if len(hashes) > k:
        hashes = np.partition(hashes, k - 1)[:k]
    out[: len(hashes)] = np.sort(hashes)
    return out


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated share of the smaller word set found in the other (0 when either is empty)."""
    cut = min(a[-1], b[-1])  # EMPTY where a sketch holds its text's every word
    a, b = a[a <= cut], b[b <= cut]
    a, b = a[a != EMPTY], b[b != EMPTY]
    if not len(a) or not len(b):
        return 0.0
    return len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))
