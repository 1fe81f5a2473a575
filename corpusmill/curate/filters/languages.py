"""Per-language thresholds and stop words (FineWeb-2 style).

Gopher's and FineWeb's rules were tuned on English: English stop words,
English word lengths, English line punctuation. Applied unchanged to German
they drop most pages (long compounds, no "the"/"and"), to Chinese all of them.
FineWeb-2 re-derived the thresholds per language from reference data; the
values below are its published ones (huggingface/fineweb-2, configs/<lang>.yml,
plus the settings its pipeline applies to every non-English language), for the
languages of our dev data. English keeps the Gopher/FineWeb defaults set as
each filter's keyword arguments. Other languages fall back to those defaults,
with their own stop words when `stop-words` has a list, and with no word
length bounds where a "word" is one character.

Stop words come from the `stop-words` package (BSD-3-Clause, ships its lists
offline); English keeps Gopher's eight.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from corpusmill.curate.filters.text import CHARACTER_LANGUAGES, CHINESE

# Gopher's stop words (Rae et al. 2021, appendix A).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

# What FineWeb-2's pipeline sets for every non-English language: paragraph and
# line-character repetition off (trafilatura output has few paragraphs),
# short-line rule off, character duplication ratio 0.1 instead of 0.01.
_NON_ENGLISH = {
    "gopher_repetition": {"dup_para_frac": None, "dup_para_char_frac": None, "dup_line_char_frac": None},
    "fineweb_quality": {"short_line_ratio": None, "char_dup_ratio": 0.1},
}


def _fineweb2(dup_line_frac: float, top: tuple[float, float, float], dup: tuple[float, ...],
              line_punct: float, new_line: float, min_wlen: float, max_wlen: float,
              max_non_alpha: float) -> dict[str, dict[str, Any]]:
    return {
        "gopher_repetition": {
            **_NON_ENGLISH["gopher_repetition"],
            "dup_line_frac": dup_line_frac,
            "top_n_grams": dict(zip((2, 3, 4), top)),
            "dup_n_grams": dict(zip((5, 6, 7, 8, 9, 10), dup)),
        },
        "fineweb_quality": {**_NON_ENGLISH["fineweb_quality"], "line_punct_ratio": line_punct,
                            "new_line_ratio": new_line},
        "gopher_quality": {"min_avg_word_length": min_wlen, "max_avg_word_length": max_wlen,
                           "min_alpha_words_ratio": max_non_alpha},
    }


# FineWeb-2 configs deu_Latn, fra_Latn, pol_Latn, spa_Latn, cmn_Hani.
FINEWEB2_THRESHOLDS: dict[str, dict[str, dict[str, Any]]] = {
    "de": _fineweb2(0.263, (0.169, 0.153, 0.137), (0.141, 0.134, 0.126, 0.117, 0.108, 0.098),
                    0.0, 0.152, 0, 15, 0.774),
    "fr": _fineweb2(0.264, (0.161, 0.149, 0.134), (0.15, 0.141, 0.131, 0.121, 0.111, 0.1),
                    0.1, 0.185, 2, 11, 0.812),
    "pl": _fineweb2(0.353, (0.096, 0.12, 0.144), (0.203, 0.182, 0.163, 0.15, 0.137, 0.126),
                    0.2, 0.209, 3, 11, 0.726),
    "es": _fineweb2(0.265, (0.077, 0.097, 0.112), (0.152, 0.137, 0.123, 0.114, 0.107, 0.099),
                    0.3, 0.171, 4, 14, 0.825),
    "zh": _fineweb2(0.287, (0.256, 0.201, 0.171), (0.198, 0.182, 0.167, 0.154, 0.14, 0.127),
                    0.106, 0.178, 1, 5, 0.735),
}
for _code in CHINESE - {"zh"}:
    FINEWEB2_THRESHOLDS[_code] = FINEWEB2_THRESHOLDS["zh"]

# Languages written without spaces and split into characters (text.py): a
# word is one character, so word-length bounds mean nothing.
_CHARACTER_FALLBACK = {
    "gopher_quality": {"min_avg_word_length": None, "max_avg_word_length": None},
    **_NON_ENGLISH,
}


def language_overrides(stage: str, language: str | None) -> dict[str, Any]:
    """The built-in threshold overrides of one filter for one language ({} = the filter's defaults)."""
    if not language or language == "en":
        return {}
    if language in FINEWEB2_THRESHOLDS:
        return FINEWEB2_THRESHOLDS[language].get(stage, {})
    if language in CHARACTER_LANGUAGES:
        return _CHARACTER_FALLBACK.get(stage, {})
    return _NON_ENGLISH.get(stage, {})


@lru_cache(maxsize=64)
def stop_words(language: str | None) -> frozenset[str]:
    """Lower-cased stop words of a language; empty when none are known."""
    if not language or language == "en":
        return frozenset(GOPHER_STOP_WORDS)
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    code = "zh" if language in CHINESE else language
    if code not in LANGUAGE_MAPPING:
        return frozenset()
    return frozenset(w.lower() for w in get_stop_words(code))
