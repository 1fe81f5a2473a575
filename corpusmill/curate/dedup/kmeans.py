"""Spherical k-means (cosine) in numpy, deterministic for a seed: the partition semantic dedup searches in.

Centroids start at `k` distinct points drawn with the seed (k-means++ costs k passes
over the data, too many for thousands of clusters); each iteration assigns by largest
dot product (ties to the lower index) and re-normalises the member means. An emptied
cluster keeps its centroid. Assignment of a large set runs in chunks (bounded memory).
"""
from __future__ import annotations

import numpy as np

_CHUNK = 8192


def assign(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    out = np.empty(len(x), dtype=np.int32)
    for s in range(0, len(x), _CHUNK):
        out[s: s + _CHUNK] = np.argmax(np.asarray(x[s: s + _CHUNK], dtype=np.float32) @ centroids.T, axis=1)
    return out


def fit(x: np.ndarray, k: int, seed: int = 1, iterations: int = 10) -> np.ndarray:
    """(k, dim) unit centroids for unit rows `x` (k is capped at len(x))."""
    k = max(1, min(k, len(x)))
    rng = np.random.Generator(np.random.PCG64(seed))
    centroids = np.array(x[np.sort(rng.choice(len(x), size=k, replace=False))], dtype=np.float32)
    for _ in range(iterations):
        labels = assign(x, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        moved = norms[:, 0] > 0
        new = centroids.copy()
        new[moved] = sums[moved] / norms[moved]
        if np.array_equal(new, centroids):
            break
        centroids = new
    return centroids
