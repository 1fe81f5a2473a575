"""FineWeb's own quality rules (Penedo et al. 2024; datatrove's FineWebQualityFilter)."""
from __future__ import annotations

from typing import Any

from corpusmill.curate.filters.base import LanguageAwareFilter
from corpusmill.curate.filters.gopher_repetition import count_duplicates
from corpusmill.curate.filters.text import TERMINAL_PUNCTUATION, split_words
from corpusmill.record import Record


class FineWebQuality(LanguageAwareFilter):
    """Drops list-like and boilerplate-heavy documents.

    At least `line_punct_ratio` of non-empty lines end with terminal
    punctuation; at most `short_line_ratio` of them are `short_line_length`
    characters or shorter; duplicated lines cover at most `char_dup_ratio` of
    the characters (newlines excluded); at most `new_line_ratio` line breaks per word.
    """

    name = "fineweb_quality"
    version = "1"
    score_limits = {
        "line_punct_ratio": ((">=", "line_punct_ratio"),),
        "short_line_ratio": (("<=", "short_line_ratio"),),
        "char_dup_ratio": (("<=", "char_dup_ratio"),),
        "new_line_ratio": (("<=", "new_line_ratio"),),
    }

    def __init__(
        self,
        *,
        line_punct_ratio: float | None = 0.12,
        line_punct_exclude_zero: bool = False,
        short_line_ratio: float | None = 0.67,
        short_line_length: int = 30,
        char_dup_ratio: float | None = 0.01,
        new_line_ratio: float | None = 0.3,
        language_aware: bool = True,
        language_overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            {
                "line_punct_ratio": line_punct_ratio,
                "line_punct_exclude_zero": line_punct_exclude_zero,
                "short_line_ratio": short_line_ratio,
                "short_line_length": short_line_length,
                "char_dup_ratio": char_dup_ratio,
                "new_line_ratio": new_line_ratio,
            },
            language_aware,
            language_overrides,
        )

    def process(self, record: Record) -> None:
        text = record.text
        lines = [ln.rstrip() for ln in text.split("\n") if ln.strip()]
        if not lines:
            return self.drop(record, "empty", {"lines": 0})
        lang = self.language(record)
        s = self.settings(lang)
        scores: dict[str, float] = {}

        ratio = sum(ln.endswith(TERMINAL_PUNCTUATION) for ln in lines) / len(lines)
        scores["line_punct_ratio"] = ratio
        if (s["line_punct_ratio"] and ratio < s["line_punct_ratio"]
                and not (ratio == 0 and s["line_punct_exclude_zero"])):
            return self.drop(record, "line_punct_ratio", scores)

        scores["short_line_ratio"] = sum(len(ln) <= s["short_line_length"] for ln in lines) / len(lines)
        if s["short_line_ratio"] and scores["short_line_ratio"] > s["short_line_ratio"]:
            return self.drop(record, "short_line_ratio", scores)

        chars = len(text) - text.count("\n")
        scores["char_dup_ratio"] = count_duplicates(lines)[1] / max(chars, 1)
        if s["char_dup_ratio"] and scores["char_dup_ratio"] > s["char_dup_ratio"]:
            return self.drop(record, "char_dup_ratio", scores)

        # Line breaks between non-empty lines: a Markdown blank line between
        # paragraphs is one break, as in the plain text FineWeb was tuned on.
        words = split_words(text, lang)
        scores["new_line_ratio"] = (len(lines) - 1) / max(len(words), 1)
        if s["new_line_ratio"] and scores["new_line_ratio"] > s["new_line_ratio"]:
            return self.drop(record, "new_line_ratio", scores)
        self.keep(record, scores)
