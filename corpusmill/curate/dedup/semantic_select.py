"""Cluster-balanced sampling: k documents spread evenly over k-means clusters of their embeddings.

Round robin over clusters in a seeded order, members of each cluster in a seeded order,
so a small cluster is taken whole before a large one gives up more than its share (the
diversity step of SemDeDup/D4). Not a ranking (so not a `selection.selectors.Selector`):
`cluster_balanced_selector()(pool_texts, k, seed) -> list[int]`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from corpusmill.curate.dedup import kmeans
from corpusmill.curate.dedup.static_embeddings import embedder


def cluster_balanced_sample(labels: np.ndarray, k: int, seed: int) -> list[int]:
    """k indices (all if k >= len), taking clusters in turn; the order is fixed by the seed."""
    rng = np.random.Generator(np.random.PCG64(seed))
    clusters = [rng.permutation(np.flatnonzero(labels == c)) for c in rng.permutation(np.unique(labels))]
    picked: list[int] = []
    depth = 0
    while len(picked) < min(k, len(labels)):
        for members in clusters:
            if depth < len(members) and len(picked) < k:
                picked.append(int(members[depth]))
        depth += 1
    return picked


def cluster_balanced_selector(cluster_size: int = 50, dim: int = 256) -> Callable[[list[str], int, int], list[int]]:
    def select(pool_texts: list[str], k: int, seed: int) -> list[int]:
        x = embedder(dim).embed(pool_texts)
        centroids = kmeans.fit(x, math.ceil(len(pool_texts) / cluster_size), seed)
        return cluster_balanced_sample(kmeans.assign(x, centroids), k, seed)

    return select
