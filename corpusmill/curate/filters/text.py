"""Word and sentence splitting shared by the quality filters, for any language.

The Gopher/C4/FineWeb rules count words, so the word split decides what they
mean. Space-delimited scripts are split with one regex (words and punctuation
tokens, close to the spaCy split datatrove uses, at a fraction of its cost);
Chinese is segmented with jieba (rjieba, its Rust port); Japanese, Thai, Lao,
Khmer, Burmese and Tibetan have no segmenter here, so each of their characters
counts as a word (the per-language thresholds in `languages.py` expect that).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Tokens of space-delimited scripts: words (with inner apostrophes/hyphens, as
# in "don't", "E-Mail") and single punctuation/symbol characters.
_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
_CONTENT_RE = re.compile(r"\w+(?:['’\-]\w+)*")
# A space-free token with at least one letter (not digit/underscore).
_LETTER_TOKEN_RE = re.compile(r"\S*[^\W\d_]\S*")
# Characters of scripts written without spaces between words.
_NO_SPACE_CHARS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1780-\u17ff"  # Khmer
    "\u1000-\u109f"  # Burmese
    "\u0f00-\u0fff"  # Tibetan
)
_CHAR_WORD_RE = re.compile(rf"[{_NO_SPACE_CHARS}]|\w+(?:['’\-]\w+)*|[^\w\s]")
_HAS_NO_SPACE_SCRIPT = re.compile(rf"[{_NO_SPACE_CHARS}]")

CHINESE = frozenset({"zh", "wuu", "yue", "gan", "cmn"})
CHARACTER_LANGUAGES = frozenset({"ja", "th", "lo", "km", "my", "bo"})

# Line ends that count as "ends like a sentence" (FineWeb's line punctuation
# rule), across scripts.
TERMINAL_PUNCTUATION: tuple[str, ...] = (
    ".", "!", "?", "。", "！", "？", "｡", "．", "؟", "۔", "।", "॥", "።", "፧", "჻", "՜", "՞", "։", "܀", "߹",
)
# Sentence boundaries inside a line (C4's "at least 5 sentences").
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=\S)|[。！？｡]+[」』”’）]*(?=\S)")


def _split_mode(text: str, language: str | None) -> str:
    """"jieba", "chars" or "regex": how the words of this text are found."""
    if language in CHINESE:
        return "jieba" if _HAS_NO_SPACE_SCRIPT.search(text) else "regex"
    if language in CHARACTER_LANGUAGES:
        return "chars"
    # A page whose language is unknown (or mislabelled) but that is mostly
    # written without spaces: one "word" per line would make every ratio meaningless.
    sample = text[:2000]
    if sample and len(_HAS_NO_SPACE_SCRIPT.findall(sample)) > 0.3 * len(sample):
        return "chars"
    return "regex"


@lru_cache(maxsize=4)
def split_words(text: str, language: str | None) -> tuple[str, ...]:
    """The words (and punctuation tokens) of `text` read as `language`.

    Cached for the few most recent texts: consecutive filters ask for the same
    record's words (records stream through the chain one at a time), and a str
    caches its own hash, so a hit costs an identity comparison.
    """
    mode = _split_mode(text, language)
    if mode == "jieba":
        return _segment_chinese(text)
    if mode == "chars":
        return tuple(_CHAR_WORD_RE.findall(text))
    return tuple(_WORD_RE.findall(text))


@dataclass(frozen=True, slots=True)
class WordStats:
    """What Gopher's quality rules count: all tokens, the non-symbol ones, and those with a letter."""

    words: tuple[str, ...]
    content: list[str]
    with_letter: int


@lru_cache(maxsize=2)
def word_stats(text: str, language: str | None) -> WordStats:
    words = split_words(text, language)
    if _split_mode(text, language) == "regex":
        # Two more C-level passes instead of a Python call per token.
        content = _CONTENT_RE.findall(text)
        with_letter = len(_LETTER_TOKEN_RE.findall(" ".join(content)))
    else:
        content = [w for w in words if not is_symbol(w)]
        with_letter = sum(map(has_letter, content))
    return WordStats(words, content, with_letter)


def _segment_chinese(text: str) -> tuple[str, ...]:
    import rjieba

    try:
        words = rjieba.cut(text)
    except UnicodeEncodeError:
        # Lone surrogates (lossy decoding upstream) cannot cross into Rust.
        words = rjieba.cut(text.encode("utf-8", "replace").decode("utf-8"))
    return tuple(w for w in words if not w.isspace())


def count_sentences(line: str) -> int:
    """Sentences in one non-empty line: one, plus every sentence end followed by more text."""
    return 1 + len(_SENTENCE_END_RE.findall(line))


def is_symbol(token: str) -> bool:
    """A token made of punctuation/symbols only (no letter or digit)."""
    # Fast path: word tokens start with a letter or digit.
    return not token[:1].isalnum() and not any(ch.isalnum() for ch in token)


def has_letter(token: str) -> bool:
    return token[:1].isalpha() or any(ch.isalpha() for ch in token)
