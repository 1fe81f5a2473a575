"""Document embeddings from WordLlama's static token vectors, loaded offline from the wheel.

`wordllama` ships its Llama-2 tokenizer and its 256-dimension token embedding table
(`l2_supercat_256.safetensors`, float16) inside the package folder. We read both files
from there with `tokenizers` and `safetensors` and never import `wordllama` itself, whose
loader falls back to downloading from the Hugging Face hub: nothing here can reach the
network.

A document vector is the mean of its tokens' vectors (byte-fallback tokens left out),
L2-normalised, over the whole text. The tokenizer (Llama-2 SentencePiece BPE) never merges across a space, so a text's
tokens are its whitespace words' tokens: each distinct word is tokenized once per process
and its summed token vector cached, and a document is its word counts times those rows -
one dict lookup per distinct word instead of a tokenizer pass over every character
(the tokenizer runs at ~1-2 MB/s; a corpus's vocabulary grows far slower than its text).
The vector does not depend on word order or on the batch a text comes in (up to float
rounding).
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np

# Distinct words whose vectors are cached (x dim x 4 bytes: 256 MB at 256 dims). Words are
# cached first come; once full, new words are tokenized for their batch only.
_CACHE_WORDS = 1 << 18
# Llama-2 ids 0-2 are <unk>, <s>, </s>; 3-258 the byte-fallback tokens <0x00>..<0xFF>.
_FIRST_TOKEN = 259
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
# What the tokenizer's normalizer puts before every word (SentencePiece's word-start mark),
# and words it is checked on before the normalizer is skipped.
_WORD_START = "\u2581"
_PROBES = ("Hello", "world.", "naïve", "Straße", "東京", "1,234", "\u2581x", "émigré's")
# Token rows gathered at once when summing word vectors (x dim x 4 bytes: 64 MB at 256 dims).
_ROWS_AT_ONCE = 1 << 16


def wordllama_files() -> tuple[Path, Path]:
    """(weights, tokenizer) inside the installed wordllama package; a clear error without it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("semantic dedup needs the `wordllama` package (pip install wordllama); "
                         "its wheel carries the embedding weights")
    root = Path(list(spec.submodule_search_locations)[0])
    weights, tokenizer = root / _WEIGHTS, root / _TOKENIZER
    for f in (weights, tokenizer):
        if not f.exists():
            raise ValueError(f"the installed wordllama package lacks {f.name}; reinstall the wheel")
    return weights, tokenizer


class StaticEmbedder:
    """`embed(texts)` -> (n, dim) float32 unit vectors; a zero row for a text with no tokens."""

    def __init__(self, dim: int = 256) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights, tokenizer = wordllama_files()
        table = load_file(str(weights))["embedding.weight"]
        if dim not in (64, 128, 256):  # Matryoshka-trained: a prefix of the vector is a model
            raise ValueError(f"semantic dedup: dim must be 64, 128 or 256, not {dim}")
        self.table = np.ascontiguousarray(table[:, :dim], dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        # The normalizer only prepends "▁" and turns spaces into it; words have no spaces,
        # so prefixing them here and skipping it gives the same tokens for less work (checked
        # on probe words: a tokenizer that normalizes otherwise keeps its normalizer).
        full = [e.ids for e in self.tokenizer.encode_batch(list(_PROBES), add_special_tokens=False)]
        normalizer = self.tokenizer.normalizer
        self.tokenizer.normalizer = None
        self._prefix = _WORD_START
        if [e.ids for e in self.tokenizer.encode_batch([_WORD_START + w for w in _PROBES],
                                                       add_special_tokens=False)] != full:
            self.tokenizer.normalizer, self._prefix = normalizer, ""
        self.dim = dim
        self._rows: dict[str, int] = {}
        # Per cached word: its summed token vector, then its token count and meaningful-token count.
        self._vectors = np.empty((0, dim + 2), np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_with_coverage(texts)[0]

    def embed_with_coverage(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors, and per text the share of its tokens that are not byte fallbacks.

        A low share means the vocabulary does not know the script (e.g. much of CJK): the
        vector then rests on a few common characters and says little about the content.
        """
        counts = [Counter(t.split()) for t in texts]
        rows = self._rows
        new = list(dict.fromkeys(w for c in counts for w in c if w not in rows))  # first come, in text order
        vectors = self._word_vectors(new)
        room = max(0, _CACHE_WORDS - len(self._rows))
        base = len(self._rows)
        self._rows.update((w, base + k) for k, w in enumerate(new[:room]))
        self._vectors = np.concatenate([self._vectors, vectors[:room]])
        # Words past the cache get rows after it, in this batch's own table.
        batch_rows = {w: len(self._vectors) + k for k, w in enumerate(new[room:])}
        overflow = vectors[room:]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        coverage = np.zeros(len(texts), dtype=np.float32)
        for i, c in enumerate(counts):
            if not c:
                continue
            rows = np.fromiter((self._rows.get(w, -1) for w in c), dtype=np.int64, count=len(c))
            n = np.fromiter(c.values(), dtype=np.float32, count=len(c))
            cached = rows >= 0
            v = n[cached] @ self._vectors[rows[cached]]
            if not cached.all():
                extra = np.fromiter((batch_rows[w] for w, r in zip(c, rows) if r < 0), dtype=np.int64)
                v = v + n[~cached] @ overflow[extra - len(self._vectors)]
            coverage[i] = v[-1] / max(float(v[-2]), 1.0)
            v = v[: self.dim]
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[i] = v / norm
        return out, coverage

    def _word_vectors(self, words: list[str]) -> np.ndarray:
        """Each word's summed token vectors, then its token count and meaningful-token count."""
        sums = np.zeros((len(words), self.dim + 2), dtype=np.float32)
        if not words:
            return sums
        prefix = self._prefix
        encoded = [e.ids for e in self.tokenizer.encode_batch_fast(
            [prefix + w for w in words] if prefix else words, add_special_tokens=False)]
        sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(words))
        ids = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(sizes.sum()))
        word = np.repeat(np.arange(len(words)), sizes)
        sums[:, -2] = sizes
        # Byte-fallback tokens carry no meaning of their own: every text in a script the
        # vocabulary lacks (much of CJK) would share them and look alike.
        meaningful = (ids >= _FIRST_TOKEN) & (ids < len(self.table))
        ids, word = ids[meaningful], word[meaningful]
        sums[:, -1] = np.bincount(word, minlength=len(words))
        if not len(ids):
            return sums
        # Sum each word's token rows. Grouped by the token's position in its word, a word
        # occurs at most once per group, so a fancy-indexed `+=` adds every row (ufunc
        # reduceat over hundreds of thousands of short segments was most of the cold time).
        starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
        position = np.arange(len(ids)) - np.repeat(starts, np.diff(np.r_[starts, len(ids)]))
        by_position = np.argsort(position, kind="stable")
        vectors = sums[:, : self.dim]
        for lo in range(0, len(ids), _ROWS_AT_ONCE):
            chunk = by_position[lo: lo + _ROWS_AT_ONCE]
            pos = position[chunk]
            for first, last in _runs(pos):
                group = chunk[first:last]
                vectors[word[group]] += self.table[ids[group]]
        return sums


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal values in a sorted array."""
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    bounds = np.r_[0, edges, len(values)]
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


@cache
def embedder(dim: int = 256) -> StaticEmbedder:
    """One loaded table per process and dimension."""
    return StaticEmbedder(dim)
