"""Document embeddings from WordLlama's static token vectors, loaded offline from the wheel.

`wordllama` ships its Llama-2 tokenizer and its 256-dimension token embedding table
(`l2_supercat_256.safetensors`, float16) inside the package folder. We read both files
from there with `tokenizers` and `safetensors` and never import `wordllama` itself, whose
loader falls back to downloading from the Hugging Face hub: nothing here can reach the
network.

A document vector is the mean of its tokens' vectors (byte-fallback tokens left out),
L2-normalised, over the whole text. The tokenizer (Llama-2 SentencePiece BPE) never merges
across a space, so a text's tokens are its whitespace words' tokens: each distinct word is
tokenized once per process and its summed token vector cached, and a document is its word
counts times those rows - one dict lookup per distinct word instead of a tokenizer pass over
every character (a corpus's vocabulary grows far slower than its text). New words are
tokenized all at once by `sentencepiece_bpe` (the same BPE in tiktoken's Rust merge loop,
~4x faster than `tokenizers` per word); the few it leaves over by `tokenizers`. A text's
vector does not depend on the batch it comes in or on what the process saw before: its
words are summed in the order they first occur in it.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from functools import cache
from itertools import chain, compress, repeat
from operator import methodcaller
from pathlib import Path

import numpy as np

from xxhash import xxh64_intdigest

from corpusmill.curate.dedup import sentencepiece_bpe, word_sketch

# Distinct words whose vectors are cached (x dim x 4 bytes: 256 MB at 256 dims). Words are
# cached first come; once full, new words are tokenized for their batch only.
_CACHE_WORDS = 1 << 18
# Llama-2 ids 0-2 are <unk>, <s>, </s>; 3-258 the byte-fallback tokens <0x00>..<0xFF>.
_FIRST_TOKEN = 259
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_UTF8 = methodcaller("encode", "utf-8", "surrogatepass")
# Token rows gathered at once when summing word vectors: 2 MB at 256 dims stays in cache
# (64 MB at once took twice as long).
_ROWS_AT_ONCE = 1 << 11


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
        # Most words go through our byte-level run of the same BPE (sentencepiece_bpe: same
        # tokens, several times faster). It applies only to a tokenizer.json whose normalizer
        # just prepends "▁" (and turns spaces, which words lack, into it); the full tokenizer,
        # for the words it leaves over, then gets "▁" + word with its normalizer off.
        self.bpe = sentencepiece_bpe.load(tokenizer)
        if self.bpe is not None:
            self.tokenizer.normalizer = None
        self.dim = dim
        self._rows: dict[str, int] = {}
        # Per word: its summed token vector, then its token count and meaningful-token count.
        # Rows below `_cached` belong to the words in `_rows`; a batch's words past the cache
        # get scratch rows after them. Grown by doubling, so a batch never copies the cache.
        self._store = np.empty((0, dim + 2), np.float32)
        self._hashes = np.empty(0, np.uint64)  # per row: the word's xxh64, for word sketches
        self._cached = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_with_coverage(texts)[0]

    def embed_with_coverage(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors, and per text the share of its tokens that are not byte fallbacks.

        A low share means the vocabulary does not know the script (e.g. much of CJK): the
        vector then rests on a few common characters and says little about the content.
        """
        vectors, coverage, _ = self.embed_with_sketches(texts, sketch=0)
        return vectors, coverage

    def embed_with_sketches(self, texts: list[str], sketch: int = word_sketch.SIZE
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`embed_with_coverage`, plus each text's bottom-`sketch` word sketch (`word_sketch`)."""
        counts = [Counter(t.split()) for t in texts]
        words = list(chain.from_iterable(counts))  # each text's distinct words, in text order
        n = np.fromiter(chain.from_iterable(c.values() for c in counts), dtype=np.float32, count=len(words))
        rows = np.fromiter(map(self._rows.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        missing = rows < 0
        if missing.any():
            flags = missing.tolist()
            new = list(dict.fromkeys(compress(words, flags)))  # first come, in text order
            index = self._add(new)
            rows[missing] = np.fromiter(map(index.__getitem__, compress(words, flags)),
                                        dtype=np.int64, count=int(missing.sum()))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        coverage = np.zeros(len(texts), dtype=np.float32)
        sketches = np.full((len(texts), sketch), word_sketch.EMPTY, dtype=np.uint64)
        ends = np.cumsum([len(c) for c in counts])
        for i, (lo, hi) in enumerate(zip(chain((0,), ends.tolist()), ends.tolist())):
            if lo == hi:
                continue
            if sketch:
                sketches[i] = word_sketch.bottom_k(self._hashes[rows[lo:hi]], sketch)
            v = n[lo:hi] @ self._store[rows[lo:hi]]
            coverage[i] = v[-1] / max(float(v[-2]), 1.0)
            v = v[: self.dim]
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[i] = v / norm
        return out, coverage, sketches

    def _add(self, words: list[str]) -> dict[str, int]:
        """Store the vectors of words not seen yet (caching those that fit); word -> its row."""
        start, end = self._cached, self._cached + len(words)
        if end > len(self._store):
            grown = np.empty((max(end, min(2 * len(self._store), _CACHE_WORDS)), self.dim + 2), np.float32)
            grown[:start] = self._store[:start]
            self._store = grown
            self._hashes = np.concatenate([self._hashes[:start], np.empty(len(grown) - start, np.uint64)])
        self._word_vectors(words, self._store[start:end])
        self._hashes[start:end] = np.fromiter(map(xxh64_intdigest, map(_UTF8, words)), dtype=np.uint64,
                                              count=len(words))
        keep = max(0, min(len(words), _CACHE_WORDS - start))
        self._rows.update(zip(words[:keep], range(start, start + keep)))
        self._cached += keep
        return self._rows if keep == len(words) else dict(zip(words, range(start, end)))

    def _word_vectors(self, words: list[str], out: np.ndarray | None = None) -> np.ndarray:
        """Each word's summed token vectors, then its token count and meaningful-token count
        (into `out`, rows x dim + 2, when given)."""
        sums = np.empty((len(words), self.dim + 2), dtype=np.float32) if out is None else out
        sums[:] = 0
        if not words:
            return sums
        word, ids, tokens = self._tokenize(words)
        sums[:, -2] = np.bincount(word, weights=tokens, minlength=len(words))
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

    def _tokenize(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per token, each word's together: (word index, vocabulary id, tokens it stands for)."""
        bpe = self.bpe
        if bpe is None:
            full, word, ids, tokens = list(range(len(words))), *(np.empty(0, np.int64),) * 3
        else:
            full = bpe.unhandled(words)
            if not full:
                return bpe.encode_words(words)
            fast = list(words)
            for k in full:  # an empty stand-in keeps the word numbering; its "▁" is dropped
                fast[k] = ""
            word, ids, tokens = bpe.encode_words(fast)
            stand_in = np.zeros(len(words), dtype=bool)
            stand_in[full] = True
            real = ~stand_in[word]
            word, ids, tokens = word[real], ids[real], tokens[real]
        prefix = "" if bpe is None else sentencepiece_bpe.WORD_START
        encoded = [e.ids for e in self.tokenizer.encode_batch_fast(
            [sentencepiece_bpe.well_formed(prefix + words[k]) for k in full], add_special_tokens=False)]
        sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(full))
        full_ids = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(sizes.sum()))
        return (np.concatenate([word, np.repeat(np.array(full, dtype=np.int64), sizes)]),
                np.concatenate([ids, full_ids]), np.concatenate([tokens, np.ones(len(full_ids), np.int64)]))


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal values in a sorted array."""
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    bounds = np.r_[0, edges, len(values)]
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


@cache
def embedder(dim: int = 256) -> StaticEmbedder:
    """One loaded table per process and dimension."""
    return StaticEmbedder(dim)
