from __future__ import annotations

import random

import pytest
from filter_helpers import LANGUAGES, article, prose, run

from corpusmill.curate.filters import GopherRepetition
from corpusmill.curate.filters.gopher_repetition import _NGrams


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_articles_are_kept_with_scores(lang: str) -> None:
    r = run(GopherRepetition(), article(lang), lang)
    assert r.ok, r.provenance
    scores = r.provenance[-1]["scores"]
    assert {"dup_line_frac", "top_2_gram_char_frac", "dup_10_gram_char_frac"} <= set(scores)


def test_repeated_lines_are_dropped() -> None:
    text = prose(6) + "\n" + "\n".join(["Add to cart now"] * 6)
    r = run(GopherRepetition(), text)
    assert r.reason == "gopher_repetition:dup_line_frac"
    assert r.provenance[-1]["scores"]["dup_line_frac"] > 0.3


def test_repeated_paragraphs_are_dropped() -> None:
    para = "A paragraph of text that is here twice.\nIt has two lines."
    r = run(GopherRepetition(), "\n\n".join([para, para, para, prose(2)]))
    assert r.reason == "gopher_repetition:dup_para_frac"


def test_one_repeated_token_is_dropped() -> None:
    r = run(GopherRepetition(), "buy " * 5000)
    assert r.status == "dropped"
    assert r.reason == "gopher_repetition:top_2_gram"


def test_repeated_sentence_inside_lines_hits_ngram_rules() -> None:
    sentence = "the quick brown fox jumps over the lazy dog near the bank. "
    text = "\n".join(f"Line {i} starts differently. {sentence * 3}" for i in range(5))
    r = run(GopherRepetition(), text)
    assert r.status == "dropped"
    assert r.reason.startswith("gopher_repetition:top_") or r.reason.startswith("gopher_repetition:dup_")


def test_thresholds_are_configurable() -> None:
    text = prose(6) + "\n" + "\n".join(["Add to cart now"] * 6)
    r = run(GopherRepetition(dup_line_frac=None, dup_line_char_frac=None, dup_para_frac=None,
                             dup_para_char_frac=None, top_n_grams={}, dup_n_grams={}), text)
    assert r.ok


def test_german_thresholds_differ_from_english() -> None:
    stage = GopherRepetition()
    assert stage.settings("de")["dup_line_frac"] == pytest.approx(0.263)
    assert stage.settings("de")["dup_para_frac"] is None
    assert stage.settings("en")["dup_line_frac"] == pytest.approx(0.30)
    assert GopherRepetition(language_aware=False).settings("de")["dup_line_frac"] == pytest.approx(0.30)
    custom = GopherRepetition(language_overrides={"de": {"dup_line_frac": 0.5}})
    assert custom.settings("de")["dup_line_frac"] == 0.5
    with pytest.raises(ValueError):
        GopherRepetition(language_overrides={"de": {"no_such_threshold": 1}})


def _reference_dup_chars(words: list[str], n: int) -> int:
    # Gopher's definition as datatrove implements it, for comparison.
    seen: set[tuple[str, ...]] = set()
    repeated = idx = 0
    while idx < len(words) - n + 1:
        gram = tuple(words[idx: idx + n])
        if gram in seen:
            repeated += sum(map(len, gram))
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


def test_hashed_ngram_counts_match_the_reference() -> None:
    rng = random.Random(7)
    for _ in range(200):
        vocab = [rng.choice(["a", "bb", "ccc", "dddd", "e"]) + str(i) for i in range(rng.randint(1, 6))]
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 60))]
        grams = _NGrams(words)
        for n in range(5, 11):
            assert grams.dup_chars(n) == _reference_dup_chars(words, n)


def test_empty_text_is_dropped() -> None:
    assert run(GopherRepetition(), "").reason == "gopher_repetition:empty"


def test_ngram_thresholds_from_a_config_file_have_string_keys() -> None:
    # Overlapping occurrences all count (as in Gopher), so the fraction can pass 1.
    r = run(GopherRepetition(top_n_grams={"2": 5.0}, dup_n_grams={}), "buy " * 5000)
    assert r.ok
    assert r.provenance[-1]["scores"]["top_2_gram_char_frac"] > 1
