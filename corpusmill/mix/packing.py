"""Best-fit-decreasing packing of tokenized documents into sequences of N tokens.

Documents longer than N are split into N-token chunks plus a remainder (the only splits); all
pieces are sorted by length, longest first, and each goes into the open sequence with the least
room that still fits it (Ding et al. 2024, "Fewer Truncations Improve Language Modeling"). Room
is looked up in a segment tree over free-space values, so a placement costs O(log N). Packing
works on windows of documents (`window_tokens`), so memory is bounded by the window, not the
corpus. The same documents are also measured under concatenate-and-chunk, for the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np


class _FreeSpace:
    """Counts of open sequences by free space 0..N; finds the smallest free space >= L."""

    def __init__(self, n: int) -> None:
        self.size = 1
        while self.size < n + 1:
            self.size *= 2
        self.count = [0] * (2 * self.size)
        self.bins: list[list[int]] = [[] for _ in range(n + 1)]

    def add(self, free: int, bin_id: int) -> None:
        self.bins[free].append(bin_id)
        i = free + self.size
        while i:
            self.count[i] += 1
            i //= 2

    def take(self, need: int) -> tuple[int, int] | None:
        """Remove and return (free, bin) of the tightest open sequence with free >= need."""
        free = self._first_at_least(1, 0, self.size - 1, need)
        if free is None:
            return None
        bin_id = self.bins[free].pop()
        i = free + self.size
        while i:
            self.count[i] -= 1
            i //= 2
        return free, bin_id

    def _first_at_least(self, node: int, lo: int, hi: int, need: int) -> int | None:
        if hi < need or not self.count[node]:
            return None
        if lo == hi:
            return lo
        mid = (lo + hi) // 2
        left = self._first_at_least(2 * node, lo, mid, need)
        return left if left is not None else self._first_at_least(2 * node + 1, mid + 1, hi, need)


@dataclass
class Piece:
    doc: int  # document index in the window
    start: int  # token offset in the document
    length: int


@dataclass
class Packed:
    sequences: list[list[Piece]]
    padding: int
    split_documents: int  # documents whose tokens land in more than one sequence


def best_fit_decreasing(lengths: Sequence[int], n: int) -> Packed:
    pieces: list[Piece] = []
    split = 0
    for d, length in enumerate(lengths):
        if length > n:
            split += 1
        for s in range(0, length, n):
            pieces.append(Piece(d, s, min(n, length - s)))
    # Longest first; ties by document then offset, so the result never depends on sort stability.
    pieces.sort(key=lambda p: (-p.length, p.doc, p.start))
    space = _FreeSpace(n)
    seqs: list[list[Piece]] = []
    for p in pieces:
        slot = space.take(p.length)
        if slot is None:
            seqs.append([p])
            free, b = n - p.length, len(seqs) - 1
        else:
            free, b = slot[0] - p.length, slot[1]
            seqs[b].append(p)
        if free > 0:
            space.add(free, b)
    padding = sum(n - sum(p.length for p in s) for s in seqs)
    return Packed(seqs, padding, split)


def concat_and_chunk(lengths: Iterable[int], n: int) -> tuple[int, int, int]:
    """(sequences, padding, split documents) of plain concatenation cut every n tokens."""
    pos = 0
    split = 0
    for length in lengths:
        if length and pos // n != (pos + length - 1) // n:
            split += 1
        pos += length
    seqs = -(-pos // n)
    return seqs, seqs * n - pos, split


@dataclass
class PackStats:
    seq_len: int
    documents: int = 0
    tokens: int = 0
    sequences: int = 0
    padding: int = 0
    split_documents: int = 0
    baseline_sequences: int = 0
    baseline_padding: int = 0
    baseline_split_documents: int = 0
    windows: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def add(self, lengths: Sequence[int], packed: Packed) -> None:
        self.documents += len(lengths)
        self.tokens += int(sum(lengths))
        self.sequences += len(packed.sequences)
        self.padding += packed.padding
        self.split_documents += packed.split_documents
        b = concat_and_chunk(lengths, self.seq_len)
        self.baseline_sequences += b[0]
        self.baseline_padding += b[1]
        self.baseline_split_documents += b[2]
        self.windows += 1

    def to_dict(self) -> dict[str, object]:
        slots = max(1, self.sequences * self.seq_len)
        base_slots = max(1, self.baseline_sequences * self.seq_len)
        return {
            "seq_len": self.seq_len, "documents": self.documents, "tokens": self.tokens, "windows": self.windows,
            "best_fit": {"sequences": self.sequences, "padding_tokens": self.padding,
                         "padding_fraction": round(self.padding / slots, 6),
                         "split_documents": self.split_documents},
            "concat_and_chunk": {"sequences": self.baseline_sequences, "padding_tokens": self.baseline_padding,
                                 "padding_fraction": round(self.baseline_padding / base_slots, 6),
                                 "split_documents": self.baseline_split_documents},
            **self.extra,
        }


def fill(seqs: list[list[Piece]], docs: Sequence[np.ndarray], n: int, pad_id: int) -> np.ndarray:
    """The (sequences, n) token-id matrix of a packing, padded with `pad_id`."""
    out = np.full((len(seqs), n), pad_id, dtype=np.uint32)
    for i, seq in enumerate(seqs):
        at = 0
        for p in seq:
            out[i, at:at + p.length] = docs[p.doc][p.start:p.start + p.length]
            at += p.length
    return out
