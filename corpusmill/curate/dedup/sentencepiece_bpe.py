"""A SentencePiece-style BPE (Llama-2's `tokenizer.json`) run by tiktoken's Rust byte-level BPE.

The Hugging Face `tokenizers` BPE costs ~5 us a word in per-call overhead; tiktoken encodes
one long string of words in a fraction of that. The two agree on the tokens because a
SentencePiece BPE vocabulary is merge-ordered by the piece it makes (every merge that
makes piece P has P's priority), which is tiktoken's model: a byte sequence's rank is its
merge priority. What differs is the start: SentencePiece starts from characters (a
character outside the vocabulary becomes its UTF-8 bytes, the byte-fallback tokens),
tiktoken from bytes. So the byte-level table has, ranked before every real merge,
- each UTF-8 prefix of a multi-byte character in the vocabulary (a synthetic piece) and
  the character itself: a known character is whole before any merge between characters;
- every single byte: an ASCII character in the vocabulary as that piece, any other byte as
  its byte-fallback token.
A character outside the vocabulary may stop at a synthetic prefix (it shares its first
bytes with a known one): that piece stands for as many byte-fallback tokens as it has bytes.

`encode_words` gives, per token, the word it belongs to, its vocabulary id (-1 for a run of
byte-fallback tokens) and how many tokens it stands for. The tests compare it with the
`tokenizers` library on real text in many scripts.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WORD_START = "\u2581"  # SentencePiece's word-start mark, which the normalizer prepends
_SEPARATOR = 10  # rank of b"\n", between words (a word never holds a newline)
# Longer words go to the `tokenizers` BPE: tiktoken's merge loop is quadratic in a piece's bytes.
MAX_WORD_CHARS = 128


class SentencePieceBPE:
    """Built from a Hugging Face `tokenizer.json`; `supported(config)` says whether it applies."""

    def __init__(self, config: dict) -> None:
        import tiktoken

        if not supported(config):
            raise ValueError("not a SentencePiece-style BPE tokenizer.json (Llama-2 family)")
        model = config["model"]
        vocab: dict[str, int] = model["vocab"]
        first_merge: dict[str, int] = {}
        for k, merge in enumerate(model["merges"]):
            a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
            first_merge.setdefault(a + b, k)
        ranks: dict[bytes, int] = {}
        ids: list[int] = []  # per rank: vocabulary id, -1 for a synthetic piece
        tokens: list[int] = []  # per rank: how many vocabulary tokens it stands for
        for b in range(256):
            char = chr(b) if b < 128 else None
            ranks[bytes([b])] = b
            ids.append(vocab[char] if char is not None and char in vocab else vocab[f"<0x{b:02X}>"])
            tokens.append(1)
        chars = sorted((p for p in vocab if len(p) == 1 and len(p.encode()) > 1), key=vocab.__getitem__)
        for char in chars:
            raw = char.encode()
            for k in range(2, len(raw)):
                if raw[:k] not in ranks:
                    ranks[raw[:k]] = len(ids)
                    ids.append(-1)
                    tokens.append(k)
        for char in chars:
            ranks[char.encode()] = len(ids)
            ids.append(vocab[char])
            tokens.append(1)
        specials = {t["content"] for t in config.get("added_tokens") or []}
        pieces = [p for p in vocab if len(p) > 1 and p not in specials and not _is_byte_token(p)]
        unmade = [p for p in pieces if p not in first_merge]
        if unmade:
            raise ValueError(f"tokenizer.json: {len(unmade)} pieces no merge makes (e.g. {unmade[0]!r})")
        for piece in sorted(pieces, key=first_merge.__getitem__):
            ranks[piece.encode()] = len(ids)
            ids.append(vocab[piece])
            tokens.append(1)
        # One word per line: the pattern cuts at newlines, so no merge crosses a word boundary.
        self._enc = tiktoken.Encoding("sentencepiece-bpe", pat_str=r"[^\n]+|\n", mergeable_ranks=ranks,
                                      special_tokens={})
        self.vocab_id = np.array(ids, dtype=np.int64)
        self.tokens = np.array(tokens, dtype=np.int64)
        self.specials = tuple(sorted(specials))

    def unhandled(self, words: list[str]) -> list[int]:
        """Indexes of the words to leave to the full tokenizer: very long, or holding a special token."""
        specials, limit = self.specials, MAX_WORD_CHARS
        return [k for k, w in enumerate(words) if len(w) > limit or ("<" in w and any(s in w for s in specials))]

    def encode_words(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per token of "▁" + word, for each word: (word index, vocabulary id or -1, tokens it stands for)."""
        if not words:
            empty = np.empty(0, np.int64)
            return empty, empty, empty
        text = well_formed(WORD_START + ("\n" + WORD_START).join(words))
        ranks = self._enc.encode_to_numpy(text, disallowed_special=()).astype(np.int64)
        separator = ranks == _SEPARATOR
        word = np.cumsum(separator)[~separator]
        ranks = ranks[~separator]
        return word, self.vocab_id[ranks], self.tokens[ranks]


def well_formed(text: str) -> str:
    """`text` with each lone surrogate (text decoded with errors="surrogatepass", or JSON escapes)
    as U+FFFD: a tokenizer only takes what UTF-8 can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def supported(config: dict) -> bool:
    """A BPE with byte fallback, no pre-tokenizer, and a normalizer that only marks word starts."""
    model = config.get("model") or {}
    steps = (config.get("normalizer") or {}).get("normalizers") or []
    return (model.get("type") == "BPE" and bool(model.get("byte_fallback")) and not model.get("dropout")
            and not model.get("continuing_subword_prefix") and not model.get("end_of_word_suffix")
            and not model.get("ignore_merges") and config.get("pre_tokenizer") is None
            and [s.get("type") for s in steps] == ["Prepend", "Replace"]
            and steps[0].get("prepend") == WORD_START
            and steps[1].get("pattern") == {"String": " "} and steps[1].get("content") == WORD_START
            and all(f"<0x{b:02X}>" in model.get("vocab", {}) for b in range(256)))


def _is_byte_token(piece: str) -> bool:
    return len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">")


def load(path: Path) -> SentencePieceBPE | None:
    """The BPE for a tokenizer.json, or None when the file is not of the kind it reproduces."""
    config = json.loads(path.read_text(encoding="utf-8"))
    return SentencePieceBPE(config) if supported(config) else None
