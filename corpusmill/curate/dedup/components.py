"""Connected components of a pair list: union-find, vectorised.

Union by minimum label with full path compression, done on whole arrays:
every round points each node at its root (pointer jumping until stable),
then hooks, for each edge joining two trees, the larger root under the
smaller. Parents only ever decrease, so the forest stays acyclic and every
component ends labelled by its smallest node index. Memory is the pair list
plus one int64 per node that occurs in a pair - not the corpus.
"""
from __future__ import annotations

import numpy as np


def component_labels(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """For nodes 0..n-1 and edges (a[i], b[i]), each node's smallest connected node."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        ra, rb = parent[a], parent[b]
        joining = ra != rb
        if not joining.any():
            return parent
        ra, rb = ra[joining], rb[joining]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
