"""A Bloom filter over 128-bit keys, sized from expected items and a false-positive rate.

m = -n ln(p) / (ln 2)^2 bits and k = round(m/n ln 2) hashes (the optimum for
n items); bit positions by double hashing g_i = h1 + i * h2 mod m
(Kirsch-Mitzenmacher), vectorised over batches of keys. Past `expected_items`
the false-positive rate rises above the stated one; `fill_ratio` tells how
full it is.
"""
from __future__ import annotations

import math

import numpy as np


class BloomFilter:
    def __init__(self, expected_items: int, fp_rate: float) -> None:
        if expected_items < 1:
            raise ValueError("bloom filter: expected_items must be >= 1")
        if not 0.0 < fp_rate < 1.0:
            raise ValueError("bloom filter: fp_rate must be in (0, 1)")
        self.bits = max(64, math.ceil(-expected_items * math.log(fp_rate) / math.log(2) ** 2))
        self.hashes = max(1, round(self.bits / expected_items * math.log(2)))
        self.words = np.zeros((self.bits + 63) // 64, dtype=np.uint64)

    def _positions(self, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """(keys, hashes) bit positions."""
        i = np.arange(self.hashes, dtype=np.uint64)
        # h2 forced odd so the probe sequence never degenerates to one bit.
        g = h1[:, None] + i[None, :] * (h2[:, None] | np.uint64(1))
        return g % np.uint64(self.bits)

    def contains(self, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        g = self._positions(h1, h2)
        bit = (self.words[g >> np.uint64(6)] >> (g & np.uint64(63))) & np.uint64(1)
        return bit.all(axis=1)

    def add(self, h1: np.ndarray, h2: np.ndarray) -> None:
        g = self._positions(h1, h2).ravel()
        np.bitwise_or.at(self.words, g >> np.uint64(6), np.uint64(1) << (g & np.uint64(63)))

    @property
    def fill_ratio(self) -> float:
        return float(np.unpackbits(self.words.view(np.uint8)).sum()) / self.bits
