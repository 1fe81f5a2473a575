"""The fallback classifier where fastText is not installed: logistic regression on hashed words.

Features are the hashes of the first `max_words` normalised words and of their
bigrams (`text_keys.word_hashes`, numpy, no Python loop over words), folded into
`buckets` weights; each document's vector is scaled to unit length. Training is
mini-batch AdaGrad over shuffled documents (fixed seed, so the same data gives the
same model byte for byte). Scoring is one `bincount` per batch of documents.

File: `MAGIC`, one JSON header line, then the float32 weights (`buckets` of them).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from corpusmill.curate.dedup.text_keys import fmix64, word_hashes

MAGIC = b"CORPUSMILL-HASHED-LINEAR-1\n"
_BIGRAM = np.uint64(0x9E3779B97F4A7C15)


def features(text: str, buckets: int, max_words: int) -> np.ndarray:
    """Bucket indices of the text's word unigrams and bigrams (text already `prepare`d)."""
    w = word_hashes(text)[:max_words]
    if len(w) > 1:
        w = np.concatenate([w, fmix64(w[:-1] * _BIGRAM + w[1:])])
    return (w % np.uint64(buckets)).astype(np.int64)


def _batch(texts: list[str], buckets: int, max_words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature indices, document of each, per-document scale) for a batch of texts."""
    feats = [features(t, buckets, max_words) for t in texts]
    sizes = np.fromiter((len(f) for f in feats), dtype=np.int64, count=len(feats))
    idx = np.concatenate(feats) if feats else np.empty(0, np.int64)
    doc = np.repeat(np.arange(len(texts)), sizes)
    scale = 1.0 / np.sqrt(np.maximum(sizes, 1))
    return idx, doc, scale


class HashedLinear:
    kind = "hashed-linear"

    def __init__(self, weights: np.ndarray, bias: float, max_words: int) -> None:
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.max_words = max_words

    @property
    def buckets(self) -> int:
        return len(self.weights)

    def scores(self, texts: list[str]) -> np.ndarray:
        idx, doc, scale = _batch(texts, self.buckets, self.max_words)
        margin = np.bincount(doc, weights=self.weights[idx], minlength=len(texts)) * scale + self.bias
        return 1.0 / (1.0 + np.exp(-margin))

    def save(self, path: Path) -> None:
        header = {"buckets": self.buckets, "bias": self.bias, "max_words": self.max_words}
        with open(path, "wb") as f:
            f.write(MAGIC + json.dumps(header).encode() + b"\n")
            f.write(self.weights.astype("<f4").tobytes())

    @classmethod
    def load(cls, path: Path) -> "HashedLinear":
        with open(path, "rb") as f:
            if f.read(len(MAGIC)) != MAGIC:
                raise ValueError(f"{path}: not a corpusmill hashed-linear model")
            header = json.loads(f.readline())
            weights = np.frombuffer(f.read(), dtype="<f4")
        if len(weights) != header["buckets"]:
            raise ValueError(f"{path}: truncated model ({len(weights)} of {header['buckets']} weights)")
        return cls(weights, header["bias"], header["max_words"])

    @classmethod
    def train(cls, texts: list[str], labels: np.ndarray, seed: int = 1, buckets: int = 1 << 18,
              max_words: int = 256, epochs: int = 5, lr: float = 0.5, batch: int = 256,
              l2: float = 1e-6) -> "HashedLinear":
        """Logistic regression (labels 1 = high quality) by mini-batch AdaGrad."""
        w = np.zeros(buckets, dtype=np.float64)
        g2 = np.full(buckets, 1e-8)
        b, gb2 = 0.0, 1e-8
        y = labels.astype(np.float64)
        rng = np.random.Generator(np.random.PCG64(seed))
        # Features once (bounded by max_words per document), batches re-drawn each epoch.
        feats = [features(t, buckets, max_words) for t in texts]
        scale_all = 1.0 / np.sqrt(np.maximum([len(f) for f in feats], 1))
        for _ in range(epochs):
            order = rng.permutation(len(texts))
            for s in range(0, len(order), batch):
                rows = order[s: s + batch]
                sizes = np.fromiter((len(feats[r]) for r in rows), dtype=np.int64, count=len(rows))
                idx = np.concatenate([feats[r] for r in rows])
                doc = np.repeat(np.arange(len(rows)), sizes)
                scale = scale_all[rows]
                margin = np.bincount(doc, weights=w[idx], minlength=len(rows)) * scale + b
                err = 1.0 / (1.0 + np.exp(-margin)) - y[rows]
                # Gradient only on the buckets this batch touches (the rest see only the L2 term,
                # which is negligible at this scale and skipped to keep a batch O(its features)).
                touched, inv = np.unique(idx, return_inverse=True)
                grad = np.bincount(inv, weights=(err * scale)[doc], minlength=len(touched)) / len(rows)
                grad += l2 * w[touched]
                g2[touched] += grad * grad
                w[touched] -= lr * grad / np.sqrt(g2[touched])
                gb = float(err.mean())
                gb2 += gb * gb
                b -= lr * gb / np.sqrt(gb2)
        return cls(w, b, max_words)
