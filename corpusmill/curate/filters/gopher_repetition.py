"""Gopher's repetition rules (Rae et al. 2021, table A1; datatrove's GopherRepetitionFilter)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from corpusmill.curate.dedup.text_keys import fmix64
from corpusmill.curate.filters.base import LanguageAwareFilter
from corpusmill.curate.filters.text import split_words
from corpusmill.record import Record

_PARAGRAPH_RE = re.compile(r"\n{2,}")
_LINE_RE = re.compile(r"\n+")

# Read-only, so they can be the settings' defaults (and --print-config shows them).
DEFAULT_TOP_N_GRAMS: Mapping[int, float] = MappingProxyType({2: 0.20, 3: 0.18, 4: 0.16})
DEFAULT_DUP_N_GRAMS: Mapping[int, float] = MappingProxyType({5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11,
                                                             10: 0.10})


class GopherRepetition(LanguageAwareFilter):
    """Drops documents made of repeated lines, paragraphs or n-grams.

    Fractions are of lines/paragraphs (count) or of the document's characters;
    `top_n_grams` bounds the characters covered by the most frequent n-gram,
    `dup_n_grams` those covered by all repeated n-grams.
    """

    name = "gopher_repetition"
    version = "1"
    score_limits = {k: (("<=", k),) for k in ("dup_para_frac", "dup_para_char_frac", "dup_line_frac",
                                               "dup_line_char_frac")}

    def __init__(
        self,
        *,
        dup_line_frac: float | None = 0.30,
        dup_para_frac: float | None = 0.30,
        dup_line_char_frac: float | None = 0.20,
        dup_para_char_frac: float | None = 0.20,
        top_n_grams: Mapping[int, float] | None = DEFAULT_TOP_N_GRAMS,
        dup_n_grams: Mapping[int, float] | None = DEFAULT_DUP_N_GRAMS,
        language_aware: bool = True,
        language_overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            {
                "dup_line_frac": dup_line_frac,
                "dup_para_frac": dup_para_frac,
                "dup_line_char_frac": dup_line_char_frac,
                "dup_para_char_frac": dup_para_char_frac,
                "top_n_grams": _int_keys(DEFAULT_TOP_N_GRAMS if top_n_grams is None else top_n_grams),
                "dup_n_grams": _int_keys(DEFAULT_DUP_N_GRAMS if dup_n_grams is None else dup_n_grams),
            },
            language_aware,
            language_overrides,
        )

    def limits(self, record: Record) -> dict[str, str]:
        s = self.settings(self.language(record))
        grams = {f"{kind}_{n}_gram_char_frac": f"<= {limit}"
                 for kind in ("top", "dup") for n, limit in _int_keys(s[f"{kind}_n_grams"]).items() if limit}
        return {**super().limits(record), **grams}

    def process(self, record: Record) -> None:
        text = record.text
        if not text.strip():
            self.drop(record, "empty", {"chars": len(text)})
            return
        lang = self.language(record)
        s = self.settings(lang)
        n_chars = len(text)
        scores: dict[str, float] = {}

        paragraphs = _PARAGRAPH_RE.split(text.strip())
        dups, dup_chars = count_duplicates(paragraphs)
        scores["dup_para_frac"] = dups / len(paragraphs)
        if _over(scores["dup_para_frac"], s["dup_para_frac"]):
            return self.drop(record, "dup_para_frac", scores)
        scores["dup_para_char_frac"] = dup_chars / n_chars
        if _over(scores["dup_para_char_frac"], s["dup_para_char_frac"]):
            return self.drop(record, "dup_para_char_frac", scores)

        lines = _LINE_RE.split(text)
        dups, dup_chars = count_duplicates(lines)
        scores["dup_line_frac"] = dups / len(lines)
        if _over(scores["dup_line_frac"], s["dup_line_frac"]):
            return self.drop(record, "dup_line_frac", scores)
        scores["dup_line_char_frac"] = dup_chars / n_chars
        if _over(scores["dup_line_char_frac"], s["dup_line_char_frac"]):
            return self.drop(record, "dup_line_char_frac", scores)

        grams = _NGrams(split_words(text, lang))
        for n, limit in sorted(_int_keys(s["top_n_grams"]).items()):
            key = f"top_{n}_gram_char_frac"
            scores[key] = grams.top_chars(n) / n_chars
            if _over(scores[key], limit):
                return self.drop(record, f"top_{n}_gram", scores)
        for n, limit in sorted(_int_keys(s["dup_n_grams"]).items()):
            key = f"dup_{n}_gram_char_frac"
            scores[key] = grams.dup_chars(n) / n_chars
            if _over(scores[key], limit):
                return self.drop(record, f"dup_{n}_gram", scores)
        self.keep(record, scores)


def _int_keys(d: Mapping[Any, float]) -> dict[int, float]:
    # YAML/JSON configs give the n of an n-gram as a string key.
    return {int(k): v for k, v in d.items()}


def _over(value: float, limit: float | None) -> bool:
    # None or 0 disables a rule (datatrove treats a falsy threshold the same way).
    return bool(limit) and value > limit  # type: ignore[operator]


def count_duplicates(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters."""
    seen: set[str] = set()
    dups = dup_chars = 0
    for item in items:
        if item in seen:
            dups += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dups, dup_chars


class _NGrams:
    """The n-grams of a word sequence as 64-bit hashes, for any n, with their character lengths.

    Words become 64-bit ids, an n-gram a polynomial hash of its ids (wrapping
    uint64 arithmetic), built up from the (n-1)-gram hashes. numpy does the
    counting, so a long document costs a few array passes per n instead of a
    Python loop over string tuples.

    Every value here depends on the words alone, never on Python's per-process
    string hash (PYTHONHASHSEED): a word's id is the position of its first
    occurrence, mixed to 64 bits by a fixed bijection, and ties between equally
    frequent n-grams go to the one that occurs first.
    """

    _P = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, words: Sequence[str]) -> None:
        # 1 + position of each word's first occurrence (dict.setdefault runs in C), then
        # a 64-bit finaliser so n-gram hashes of small ids do not collide.
        first: dict[str, int] = {}
        ids = np.fromiter(map(first.setdefault, words, range(1, len(words) + 1)), dtype=np.uint64,
                          count=len(words))
        self.ids = fmix64(ids)
        # ends[i] = characters in words[:i]
        self.ends = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=self.ends[1:])
        self._n = 1
        self._hashes = self.ids.copy()

    def hashes(self, n: int) -> np.ndarray:
        """Hashes of the n-grams starting at 0 .. len(words)-n."""
        if n < self._n:  # built up in increasing n; start over for a smaller one
            self._n, self._hashes = 1, self.ids.copy()
        with np.errstate(over="ignore"):
            while self._n < n and len(self._hashes) > 1:
                self._hashes = self._hashes[:-1] * self._P + self.ids[self._n:]
                self._n += 1
        return self._hashes if self._n == n else self._hashes[:0]

    def chars(self, n: int) -> np.ndarray:
        """Characters (without separators) of the n-gram at each start position."""
        return self.ends[n:] - self.ends[:-n]

    def top_chars(self, n: int) -> int:
        """Characters (words joined by spaces) of the most frequent n-gram, times its count."""
        h = self.hashes(n)
        if not len(h):
            return 0
        _, first, counts = np.unique(h, return_index=True, return_counts=True)
        # Of the most frequent n-grams, the one that occurs first (as Counter.most_common picks).
        top = counts == counts.max()
        best = int(np.flatnonzero(top)[np.argmin(first[top])])
        return (int(self.chars(n)[first[best]]) + n - 1) * int(counts[best])

    def dup_chars(self, n: int) -> int:
        """Characters in n-grams that repeat an earlier one, each position counted once.

        After a repeat the scan jumps past it, as Gopher (and datatrove) do, so
        overlapping repeats are not counted twice. Only n-grams that occur more
        than once can be repeats or be skipped over in a way that matters, so
        the sequential scan visits just those.
        """
        h = self.hashes(n)
        if not len(h):
            return 0
        _, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
        positions = np.flatnonzero(counts[inverse] > 1)
        if not len(positions):
            return 0
        chars = self.chars(n)
        seen: set[int] = set()
        repeated = 0
        skip_until = 0
        for p, key in zip(positions.tolist(), inverse[positions].tolist()):
            if p < skip_until:
                continue
            if key in seen:
                repeated += int(chars[p])
                skip_until = p + n
            else:
                seen.add(key)
        return repeated
