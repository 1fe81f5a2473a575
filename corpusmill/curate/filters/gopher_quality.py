"""Gopher's quality rules (Rae et al. 2021, section A.1.1; datatrove's GopherQualityFilter)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corpusmill.curate.filters.base import LanguageAwareFilter
from corpusmill.curate.filters.languages import stop_words as language_stop_words
from corpusmill.curate.filters.text import word_stats
from corpusmill.record import Record

_BULLETS = ("•", "-", "*", "·", "‣", "◦", "▪")
_ELLIPSES = ("...", "…")


class GopherQuality(LanguageAwareFilter):
    """Drops documents that do not read like prose.

    Word count (symbol tokens excluded) within [min_doc_words, max_doc_words];
    mean word length within [min_avg_word_length, max_avg_word_length];
    "#" and ellipses per word at most `max_symbol_word_ratio`; at most
    `max_bullet_lines_ratio` of lines starting with a bullet and
    `max_ellipsis_lines_ratio` ending with an ellipsis; at least
    `min_alpha_words_ratio` of words with a letter; at least `min_stop_words`
    distinct stop words of the record's language (`stop_words` replaces the
    per-language lists; languages without a list skip this rule).
    """

    name = "gopher_quality"
    version = "1"
    score_limits = {
        "words": ((">=", "min_doc_words"), ("<=", "max_doc_words")),
        "avg_word_length": ((">=", "min_avg_word_length"), ("<=", "max_avg_word_length")),
        "hash_word_ratio": (("<=", "max_symbol_word_ratio"),),
        "ellipsis_word_ratio": (("<=", "max_symbol_word_ratio"),),
        "bullet_lines_ratio": (("<=", "max_bullet_lines_ratio"),),
        "ellipsis_lines_ratio": (("<=", "max_ellipsis_lines_ratio"),),
        "alpha_words_ratio": ((">=", "min_alpha_words_ratio"),),
        "stop_words": ((">=", "min_stop_words"),),
    }

    def __init__(
        self,
        *,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100_000,
        min_avg_word_length: float | None = 3,
        max_avg_word_length: float | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        min_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words: Iterable[str] | None = None,
        language_aware: bool = True,
        language_overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            {
                "min_doc_words": min_doc_words,
                "max_doc_words": max_doc_words,
                "min_avg_word_length": min_avg_word_length,
                "max_avg_word_length": max_avg_word_length,
                "max_symbol_word_ratio": max_symbol_word_ratio,
                "max_bullet_lines_ratio": max_bullet_lines_ratio,
                "max_ellipsis_lines_ratio": max_ellipsis_lines_ratio,
                "min_alpha_words_ratio": min_alpha_words_ratio,
                "min_stop_words": min_stop_words,
            },
            language_aware,
            language_overrides,
        )
        self.stop_words = frozenset(w.lower() for w in stop_words) if stop_words is not None else None

    def process(self, record: Record) -> None:
        text = record.text
        lang = self.language(record)
        s = self.settings(lang)
        stats = word_stats(text, lang)
        words, content_words = stats.words, stats.content
        n_content = len(content_words)
        scores: dict[str, float] = {"words": n_content}
        if s["min_doc_words"] and n_content < s["min_doc_words"]:
            return self.drop(record, "too_few_words", scores)
        if s["max_doc_words"] and n_content > s["max_doc_words"]:
            return self.drop(record, "too_many_words", scores)

        if n_content:
            avg_len = sum(map(len, content_words)) / n_content
            scores["avg_word_length"] = avg_len
            if s["min_avg_word_length"] and avg_len < s["min_avg_word_length"]:
                return self.drop(record, "avg_word_length_too_short", scores)
            if s["max_avg_word_length"] and avg_len > s["max_avg_word_length"]:
                return self.drop(record, "avg_word_length_too_long", scores)

        n_words = max(len(words), 1)
        scores["hash_word_ratio"] = text.count("#") / n_words
        if s["max_symbol_word_ratio"] and scores["hash_word_ratio"] > s["max_symbol_word_ratio"]:
            return self.drop(record, "too_many_hashes", scores)
        scores["ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / n_words
        if s["max_symbol_word_ratio"] and scores["ellipsis_word_ratio"] > s["max_symbol_word_ratio"]:
            return self.drop(record, "too_many_ellipses", scores)

        lines = text.splitlines() or [""]
        scores["bullet_lines_ratio"] = sum(ln.lstrip().startswith(_BULLETS) for ln in lines) / len(lines)
        if s["max_bullet_lines_ratio"] and scores["bullet_lines_ratio"] > s["max_bullet_lines_ratio"]:
            return self.drop(record, "too_many_bullet_lines", scores)
        scores["ellipsis_lines_ratio"] = sum(ln.rstrip().endswith(_ELLIPSES) for ln in lines) / len(lines)
        if s["max_ellipsis_lines_ratio"] and scores["ellipsis_lines_ratio"] > s["max_ellipsis_lines_ratio"]:
            return self.drop(record, "too_many_ellipsis_lines", scores)

        # Gopher's words are whitespace-delimited ("world." is a word with
        # letters); ours split punctuation off, so punctuation tokens are not
        # counted here, or every comma would make a document less "alphabetic".
        scores["alpha_words_ratio"] = stats.with_letter / n_content if n_content else 0.0
        if s["min_alpha_words_ratio"] and scores["alpha_words_ratio"] < s["min_alpha_words_ratio"]:
            return self.drop(record, "too_few_alpha_words", scores)

        stops = self.stop_words if self.stop_words is not None else language_stop_words(lang)
        if s["min_stop_words"] and stops:
            found = len(stops.intersection(map(str.lower, words)))
            scores["stop_words"] = found
            if found < s["min_stop_words"]:
                return self.drop(record, "too_few_stop_words", scores)
        self.keep(record, scores)
