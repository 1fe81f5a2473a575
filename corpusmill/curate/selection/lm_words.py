"""The word tokenization the n-gram models and DSIR's features are built on.

CCNet-style normalisation, so a model sees the same words however a page spelled them: NFKC,
case folded, every digit turned into 0. Words are runs of word characters and combining marks
(so Indic and Arabic words with vowel signs stay whole); Han, Hiragana and Katakana characters
are one token each (those scripts put no spaces between words). Punctuation is dropped. One text
line is one sentence for the model.

The standard library's `re` runs this about twice as fast as `regex` with \\p{..} classes; the
mark ranges below stand in for \\p{M}, which `re` lacks.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

TOKENIZER = "words-v1"  # recorded with each model; a model made with another tokenizer is refused
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_MARKS = ("\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
          "\u0900-\u0963\u0966-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u0f18-\u0fbc\u1ab0-\u1aff\u1dc0-\u1dff"
          "\u20d0-\u20ff\ufe20-\ufe2f")
_WORD_RE = re.compile(f"[\\w{_MARKS}]+")
# Texts with CJK in them take the slower pattern that makes each such character a token.
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_WORD_RE = re.compile(f"[{_CJK}]|(?:[^\\W{_CJK}]|[{_MARKS}])+")
_DIGIT_RE = re.compile(r"\d")


def normalize(text: str) -> str:
    return _DIGIT_RE.sub("0", unicodedata.normalize("NFKC", text).casefold())


def _findall(text: str) -> Callable[[str], list[str]]:
    return (_CJK_WORD_RE if _CJK_RE.search(text) else _WORD_RE).findall


def words(text: str) -> list[str]:
    text = normalize(text)
    return _findall(text)(text)


def sentences(text: str) -> list[str]:
    """Each line with words in it, as space-joined normalised words (KenLM's input)."""
    out = []
    text = normalize(text)
    findall = _findall(text)
    for line in text.split("\n"):
        toks = findall(line)
        if toks:
            out.append(" ".join(toks))
    return out
