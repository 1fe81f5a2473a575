"""Document embeddings from WordLlama's static token vectors, loaded offline from the wheel.

`wordllama` ships its Llama-2 tokenizer and its 256-dimension token embedding table
(`l2_supercat_256.safetensors`, float16) inside the package folder. We read both files
from there with `tokenizers` and `safetensors` and never import `wordllama` itself, whose
loader falls back to downloading from the Hugging Face hub: nothing here can reach the
network.

A document vector is the mean of its tokens' vectors, L2-normalised. The hot path is
numpy: a batch's token counts form a (documents x vocabulary) matrix, multiplied by the
table in one BLAS call. Long texts are embedded from `WINDOWS` evenly spaced slices of
`MAX_CHARS / WINDOWS` characters (start, middle parts, end), which bounds the tokenizer's
cost per document while still covering the whole text (two pages that share only a
header do not look alike).
"""
from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

MAX_CHARS = 4096
WINDOWS = 4
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"


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


def sample(text: str) -> str:
    """The text itself, or `WINDOWS` evenly spaced slices of a long one."""
    if len(text) <= MAX_CHARS:
        return text
    width = MAX_CHARS // WINDOWS
    starts = np.linspace(0, len(text) - width, WINDOWS).astype(int)
    return "\n".join(text[s: s + width] for s in starts)


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
        self.dim = dim

    def embed(self, texts: list[str], batch: int = 64) -> np.ndarray:
        vocab = len(self.table)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(texts), batch):
            chunk = [sample(t) for t in texts[s: s + batch]]
            encoded = self.tokenizer.encode_batch(chunk, add_special_tokens=False)
            sizes = np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(encoded))
            ids = np.fromiter((i for e in encoded for i in e.ids), dtype=np.int64, count=int(sizes.sum()))
            ids = np.clip(ids, 0, vocab - 1)
            doc = np.repeat(np.arange(len(chunk)), sizes)
            counts = np.bincount(doc * vocab + ids, minlength=len(chunk) * vocab)
            vecs = counts.reshape(len(chunk), vocab).astype(np.float32) @ self.table
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            out[s: s + len(chunk)] = np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)
        return out


@cache
def embedder(dim: int = 256) -> StaticEmbedder:
    """One loaded table per process and dimension."""
    return StaticEmbedder(dim)
