"""Best-fit-decreasing packing of tokenized documents into sequences of N tokens.

Only documents longer than N are split, into N-token chunks plus a remainder. Pieces are sorted by
length, longest first, and each goes into the open sequence with the least room that still fits it
(Ding et al. 2024, "Fewer Truncations Improve Language Modeling"); then the sequences beyond the
least possible number that hold only pieces of split documents are poured into the others' gaps
(see `best_fit_decreasing`). Room is looked up in a segment tree over free-space
values, so a placement costs O(log N). Packing works on windows of documents (`window_tokens`), so
memory is bounded by the window, not the corpus. The same documents are also measured under
concatenate-and-chunk, for the report.
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
        return None if free is None else self._remove(free)

    def take_largest(self) -> tuple[int, int] | None:
        """Remove and return (free, bin) of the open sequence with the most room."""
        if not self.count[1]:
            return None
        node, lo, hi = 1, 0, self.size - 1
        while lo != hi:
            mid = (lo + hi) // 2
            if self.count[2 * node + 1]:
                node, lo = 2 * node + 1, mid + 1
            else:
                node, hi = 2 * node, mid
        return self._remove(lo)

    def _remove(self, free: int) -> tuple[int, int]:
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
    split_pieces: int  # pieces those documents were cut into


def _bfd(pieces: list[Piece], n: int) -> list[list[Piece]]:
    """Best-fit decreasing of pieces of at most n tokens: each goes where the least room still fits it."""
    # Longest first; ties by document then offset, so the result never depends on sort stability.
    pieces = sorted(pieces, key=lambda p: (-p.length, p.doc, p.start))
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
    return seqs


def best_fit_decreasing(lengths: Sequence[int], n: int, fill: bool = True) -> Packed:
    """Pack documents of `lengths` into sequences of n tokens; only documents longer than n are split.

    A document longer than n becomes n-token chunks plus its remainder, and best-fit decreasing
    places the remainders with the whole documents (Ding et al.). With `fill`, the packing then
    gives up, where it can, the sequences it needs beyond the least possible, ceil(tokens / n):
    the ones holding only pieces of split documents, emptiest first, are poured into the others'
    gaps (see `_dissolve`). No other document is split; padding falls to the least any lossless
    packing can have whenever there are that many such sequences; the price is a few more pieces
    of documents that are split anyway.
    """
    long_docs = [(d, length) for d, length in enumerate(lengths) if length > n]
    whole = [Piece(d, 0, length) for d, length in enumerate(lengths) if 0 < length <= n]
    chunks = [Piece(d, s, n) for d, length in long_docs for s in range(0, length - n + 1, n)]
    tails = [Piece(d, length - length % n, length % n) for d, length in long_docs if length % n]
    seqs = [[c] for c in chunks] + _bfd(whole + tails, n)
    if fill:
        seqs = _dissolve(seqs, lengths, n)
    padding = len(seqs) * n - sum(lengths)
    split_pieces = sum(1 for s in seqs for p in s if lengths[p.doc] > n)
    return Packed(seqs, padding, len(long_docs), split_pieces)


def _dissolve(seqs: list[list[Piece]], lengths: Sequence[int], n: int) -> list[list[Piece]]:
    """Drop the sequences beyond ceil(tokens / n) that hold only pieces of split documents, refilling the rest.

    The dropped sequences' pieces, longest first, go whole into the tightest gap that fits them;
    a piece that fits no gap fills the largest one and goes on with its rest. The other sequences'
    gaps always hold them all: k sequences are dropped only while k <= sequences - ceil(tokens / n).
    """
    extra = len(seqs) - -(-sum(lengths) // n)
    if extra <= 0:
        return seqs
    content = [sum(p.length for p in s) for s in seqs]
    movable = [b for b, s in enumerate(seqs) if all(lengths[p.doc] > n for p in s)]
    drop = set(sorted(movable, key=lambda b: (content[b], b))[:extra])
    keep = [s for b, s in enumerate(seqs) if b not in drop]
    space = _FreeSpace(n)
    for b, s in enumerate(keep):
        if sum(p.length for p in s) < n:
            space.add(n - sum(p.length for p in s), b)
    for p in sorted((p for b in sorted(drop) for p in seqs[b]), key=lambda p: (-p.length, p.doc, p.start)):
        while p.length:
            slot = space.take(p.length)
            if slot is not None:
                free, b = slot
                keep[b].append(p)
                if free > p.length:
                    space.add(free - p.length, b)
                break
            largest = space.take_largest()
            assert largest is not None, "the gaps hold every dropped token"
            free, b = largest
            keep[b].append(Piece(p.doc, p.start, free))
            p = Piece(p.doc, p.start + free, p.length - free)
    return keep


class ConcatChunk:
    """Plain concatenate-and-chunk of one stream of documents, measured as documents stream by (no ids kept)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pos = 0
        self.split_documents = 0
        self.split_pieces = 0

    def add(self, lengths: np.ndarray) -> None:
        lengths = np.asarray(lengths, dtype=np.int64)
        lengths = lengths[lengths > 0]
        ends = self.pos + np.cumsum(lengths)
        starts = ends - lengths
        pieces = (ends - 1) // self.n - starts // self.n + 1
        self.split_documents += int((pieces > 1).sum())
        self.split_pieces += int(pieces[pieces > 1].sum())
        self.pos = int(ends[-1]) if len(ends) else self.pos

    def to_dict(self) -> dict[str, object]:
        seqs = -(-self.pos // self.n)
        padding = seqs * self.n - self.pos
        return {"sequences": seqs, "padding_tokens": padding,
                "padding_fraction": round(padding / max(1, seqs * self.n), 6),
                "split_documents": self.split_documents, "split_pieces": self.split_pieces}


def concat_and_chunk(lengths: Iterable[int], n: int) -> tuple[int, int, int]:
    """(sequences, padding, split documents) of plain concatenation cut every n tokens."""
    c = ConcatChunk(n)
    c.add(np.fromiter(lengths, dtype=np.int64))
    d = c.to_dict()
    return int(d["sequences"]), int(d["padding_tokens"]), int(d["split_documents"])  # type: ignore[call-overload]


@dataclass
class PackStats:
    """Best-fit totals over windows, next to concatenate-and-chunk of the whole stream (the baseline)."""

    seq_len: int
    documents: int = 0
    tokens: int = 0
    sequences: int = 0
    padding: int = 0
    split_documents: int = 0
    split_pieces: int = 0
    windows: int = 0
    baseline: ConcatChunk | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.baseline is None:
            self.baseline = ConcatChunk(self.seq_len)

    def add(self, lengths: Sequence[int], packed: Packed) -> None:
        """One window, packed; the baseline sees the same documents in the same order."""
        self.add_totals({"documents": len(lengths), "tokens": int(sum(lengths)), "sequences": len(packed.sequences),
                         "padding": packed.padding, "split_documents": packed.split_documents,
                         "split_pieces": packed.split_pieces})
        assert self.baseline is not None
        self.baseline.add(np.asarray(lengths, dtype=np.int64))

    def add_totals(self, w: dict[str, int]) -> None:
        """One packed window's figures (a task's result)."""
        for k in ("documents", "tokens", "sequences", "padding", "split_documents", "split_pieces"):
            setattr(self, k, getattr(self, k) + int(w[k]))
        self.windows += 1

    def to_dict(self) -> dict[str, object]:
        assert self.baseline is not None
        slots = max(1, self.sequences * self.seq_len)
        return {
            "seq_len": self.seq_len, "documents": self.documents, "tokens": self.tokens, "windows": self.windows,
            "best_fit": {"sequences": self.sequences, "padding_tokens": self.padding,
                         "padding_fraction": round(self.padding / slots, 6),
                         "split_documents": self.split_documents, "split_pieces": self.split_pieces},
            "concat_and_chunk": self.baseline.to_dict(),
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
