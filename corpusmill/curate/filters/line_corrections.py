"""RefinedWeb's line-wise corrections (Penedo et al. 2023, appendix G.2).

Lines left over from navigation and social widgets are removed: lines in
upper case only, numbers only, counters ("3 likes", "12 Kommentare"), single
words, and short lines that start or end like UI text ("sign in", "read
more", "items in cart"). If the removed lines hold more than
`max_removed_word_frac` of the document's words, the document is dropped
instead: it was mostly such lines.
"""
from __future__ import annotations

import re

from corpusmill.curate.filters.text import CHARACTER_LANGUAGES, CHINESE, is_symbol, split_words
from corpusmill.record import Record
from corpusmill.stage import Stage

_COUNTER_RE = re.compile(r"^\s*[\d.,]+[kKmM]?\s+\w+\s*$")
_UI_PREFIXES = ("sign in", "sign-in", "sign up", "log in", "login", "read more", "share", "tweet", "follow us",
                "subscribe", "anmelden", "weiterlesen", "mehr lesen", "lire la suite", "leer más", "czytaj dalej")
_UI_SUFFIXES = ("items in cart", "read more", "read more...", "more...", "weiterlesen", "lire la suite",
                "leer más", "czytaj dalej")


class LineCorrections(Stage):
    """Removes UI/navigation lines (logged as "modified"), or drops a document made of them."""

    name = "line_corrections"
    version = "1"

    def __init__(self, *, max_removed_word_frac: float | None = 0.05, max_ui_line_words: int = 10,
                 remove_single_word_lines: bool = True) -> None:
        super().__init__()
        self.max_removed_word_frac = max_removed_word_frac
        self.max_ui_line_words = max_ui_line_words
        self.remove_single_word_lines = remove_single_word_lines

    def _reason(self, line: str, words: list[str]) -> str | None:
        letters = [c for c in line if c.isalpha()]
        # Caseless scripts (Chinese) have letters that are never upper case.
        if len(words) > 1 and letters and all(c.isupper() for c in letters):
            return "uppercase"
        if not letters and any(c.isdigit() for c in line):
            return "numeric"
        if _COUNTER_RE.match(line):
            return "counter"
        if self.remove_single_word_lines and len(words) == 1:
            return "single_word"
        if len(words) <= self.max_ui_line_words:
            lower = line.strip().lower()
            if lower.startswith(_UI_PREFIXES) or lower.endswith(_UI_SUFFIXES):
                return "ui_text"
        return None

    def limits(self, record: Record) -> dict[str, str]:
        m = self.max_removed_word_frac
        return {"removed_word_frac": f"<= {m}"} if m is not None else {}

    def process(self, record: Record) -> None:
        lang = record.metadata.get("language")
        # Chinese/Japanese lines have no spaces: one whitespace "word" per line.
        segmented = lang in CHINESE or lang in CHARACTER_LANGUAGES
        kept: list[str] = []
        removed: dict[str, int] = {}
        total_words = removed_words = 0
        for line in record.text.split("\n"):
            tokens = split_words(line, lang) if segmented else line.split()
            words = [w for w in tokens if not is_symbol(w)]
            total_words += len(words)
            reason = self._reason(line, words) if line.strip() else None
            if reason is None:
                kept.append(line)
                continue
            removed[reason] = removed.get(reason, 0) + 1
            removed_words += len(words)
        frac = removed_words / total_words if total_words else 0.0
        scores: dict[str, float] = {"removed_word_frac": frac, **{f"lines_removed_{k}": v for k, v in removed.items()}}
        if self.max_removed_word_frac is not None and frac > self.max_removed_word_frac:
            return self.drop(record, "too_many_removed_words", scores)
        if removed:
            record.text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
            self.modify(record, scores)
        else:
            self.keep(record, scores)
