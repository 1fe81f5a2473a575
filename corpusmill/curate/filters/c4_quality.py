"""C4's cleaning rules (Raffel et al. 2020, section 2.2; datatrove's C4QualityFilter).

Line rules remove lines and so MODIFY the text (logged as "modified" with the
count removed per rule); document rules drop the record.
"""
from __future__ import annotations

import re
from typing import Any

from corpusmill.curate.filters.base import LanguageAwareFilter
from corpusmill.curate.filters.text import CHARACTER_LANGUAGES, CHINESE, count_sentences, is_symbol, split_words
from corpusmill.record import Record

_BLANK_RUNS_RE = re.compile(r"\n{3,}")
_CITATION_RE = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
# C4 keeps lines ending like a sentence; a quote after the period counts.
# FineWeb's variant turns this rule off.
_C4_END_PUNCTUATION = (".", "?", "!", '"', "'", "。", "？", "！", "”", "’", "»", "」")
_POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
                      "use cookies")


class C4Quality(LanguageAwareFilter):
    """C4's line and document rules.

    Lines: a word longer than `max_word_length` chars, fewer than
    `min_words_per_line` words, no terminal punctuation (`filter_no_terminal_punct`),
    "javascript" (`filter_javascript`), cookie/terms notices (`filter_policy`)
    remove the line; Wikipedia citations are cut (`remove_citations`).
    Documents: "lorem ipsum" (`filter_lorem_ipsum`), "{" (`filter_curly_bracket`),
    fewer than `min_num_sentences` sentences left drop the record.
    """

    name = "c4_quality"
    version = "1"
    score_limits = {"sentences": ((">=", "min_num_sentences"),)}

    def __init__(
        self,
        *,
        remove_citations: bool = True,
        filter_no_terminal_punct: bool = True,
        min_num_sentences: int | None = 5,
        min_words_per_line: int | None = 3,
        max_word_length: int | None = 1000,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
        language_aware: bool = True,
        language_overrides: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            {
                "remove_citations": remove_citations,
                "filter_no_terminal_punct": filter_no_terminal_punct,
                "min_num_sentences": min_num_sentences,
                "min_words_per_line": min_words_per_line,
                "max_word_length": max_word_length,
                "filter_lorem_ipsum": filter_lorem_ipsum,
                "filter_javascript": filter_javascript,
                "filter_curly_bracket": filter_curly_bracket,
                "filter_policy": filter_policy,
            },
            language_aware,
            language_overrides,
        )

    def process(self, record: Record) -> None:
        lang = self.language(record)
        s = self.settings(lang)
        # Chinese/Japanese lines have no spaces: count segmented words instead.
        segmented = lang in CHINESE or lang in CHARACTER_LANGUAGES
        removed = {"too_long_word": 0, "no_terminal_punct": 0, "too_few_words": 0, "javascript": 0, "policy": 0,
                   "citations": 0}
        kept: list[str] = []
        sentences = 0
        lines = record.text.splitlines()
        for raw in lines:
            line = raw.strip()
            if not line:
                # Blank lines stay: they separate paragraphs (Markdown) in the output.
                kept.append("")
                continue
            tokens = split_words(line, lang) if segmented else line.split()
            if s["max_word_length"] and any(len(t) > s["max_word_length"] for t in tokens):
                removed["too_long_word"] += 1
                continue
            if s["remove_citations"] and "[" in line:
                cut = _CITATION_RE.sub("", line)
                removed["citations"] += cut != line
                line = cut
            if s["filter_no_terminal_punct"] and (not line.endswith(_C4_END_PUNCTUATION) or line.endswith("...")):
                removed["no_terminal_punct"] += 1
                continue
            if s["min_words_per_line"]:
                n_words = sum(not is_symbol(w) for w in tokens) if segmented else len(tokens)
                if n_words < s["min_words_per_line"]:
                    removed["too_few_words"] += 1
                    continue
            lower = line.lower()
            if s["filter_lorem_ipsum"] and "lorem ipsum" in lower:
                return self.drop(record, "lorem_ipsum", {"lines": len(lines)})
            if s["filter_javascript"] and "javascript" in lower:
                removed["javascript"] += 1
                continue
            if s["filter_curly_bracket"] and "{" in line:
                return self.drop(record, "curly_bracket", {"lines": len(lines)})
            if s["filter_policy"] and any(p in lower for p in _POLICY_SUBSTRINGS):
                removed["policy"] += 1
                continue
            sentences += count_sentences(line)
            kept.append(line if line != raw.strip() else raw)

        scores: dict[str, float] = {"sentences": sentences, "lines_kept": sum(1 for ln in kept if ln)}
        scores.update({f"lines_removed_{k}": v for k, v in removed.items() if v})
        if s["min_num_sentences"] and sentences < s["min_num_sentences"]:
            return self.drop(record, "too_few_sentences", scores)
        if any(removed.values()):
            # Removed lines leave runs of blank lines behind: one blank line is a paragraph break.
            record.text = _BLANK_RUNS_RE.sub("\n\n", "\n".join(kept)).strip("\n")
            self.modify(record, scores)
        else:
            self.keep(record, scores)
