from __future__ import annotations

import pytest
from filter_helpers import LANGUAGES, article, prose, run

from corpusmill.curate.filters import GopherQuality


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_articles_are_kept(lang: str) -> None:
    r = run(GopherQuality(), article(lang), lang)
    assert r.ok, r.provenance
    assert r.provenance[-1]["scores"]["stop_words"] >= 2


def test_german_is_dropped_by_english_rules_and_kept_by_its_own() -> None:
    # datatrove's behaviour: English stop words for every language.
    english_rules = run(GopherQuality(language_aware=False, stop_words=["the", "be", "to", "of", "and", "that",
                                                                         "have", "with"]), article("de"), "de")
    assert english_rules.reason == "gopher_quality:too_few_stop_words"
    assert run(GopherQuality(), article("de"), "de").ok


def test_too_few_words() -> None:
    text = "The old farmer and the young baker walked together through the quiet village."
    r = run(GopherQuality(), text)
    assert r.reason == "gopher_quality:too_few_words"
    assert r.provenance[-1]["scores"]["words"] == 13
    assert run(GopherQuality(min_doc_words=5), text).ok


def test_average_word_length() -> None:
    short = " ".join(["a b c d e the of and"] * 20)
    assert run(GopherQuality(), short).reason == "gopher_quality:avg_word_length_too_short"
    long = " ".join(["Donaudampfschifffahrtsgesellschaftskapitän the and"] * 30)
    assert run(GopherQuality(), long).reason == "gopher_quality:avg_word_length_too_long"
    # German allows longer words (FineWeb-2: up to 15 chars on average).
    german = "Die Donaudampfschifffahrtsgesellschaft und der Kapitän " * 30
    assert run(GopherQuality(), german, "de").ok


def test_hashes_and_ellipses() -> None:
    tags = prose(6) + "\n" + " ".join(f"#tag{i}" for i in range(30))
    assert run(GopherQuality(), tags).reason == "gopher_quality:too_many_hashes"
    trail = "\n".join(line[:-1] + "..." for line in prose(12).splitlines())
    r = run(GopherQuality(), trail)
    assert r.reason in ("gopher_quality:too_many_ellipses", "gopher_quality:too_many_ellipsis_lines")


def test_bullet_lines() -> None:
    bullets = "\n".join("- " + line for line in prose(12).splitlines())
    assert run(GopherQuality(), bullets).reason == "gopher_quality:too_many_bullet_lines"
    assert run(GopherQuality(max_bullet_lines_ratio=None), bullets).ok


def test_alphabetic_words() -> None:
    numbers = prose(5) + "\n" + " ".join(str(1000 + i) for i in range(200))
    assert run(GopherQuality(), numbers).reason == "gopher_quality:too_few_alpha_words"


def test_stop_words_rule_uses_the_record_language() -> None:
    # The German article has none of Gopher's eight English stop words.
    assert run(GopherQuality(), article("de"), "en").reason == "gopher_quality:too_few_stop_words"
    assert run(GopherQuality(), article("de"), "de").ok
    assert run(GopherQuality(stop_words=["zzz", "yyy"]), prose(12), "en").reason == \
        "gopher_quality:too_few_stop_words"


def test_chinese_words_are_segmented() -> None:
    r = run(GopherQuality(), article("zh"), "zh")
    scores = r.provenance[-1]["scores"]
    assert 1 <= scores["avg_word_length"] <= 3  # jieba words, not whole lines
    assert scores["words"] > 300
    # Without segmentation (one "word" per clause) the text would be far below 50 words.


def test_japanese_without_segmenter_is_judged_by_characters() -> None:
    text = ("私は毎朝、駅まで歩いて行きます。天気がいい日は、公園を通ってゆっくり歩くのが好きです。"
            "途中でパン屋に寄って、朝ご飯を買うこともあります。") * 4
    r = run(GopherQuality(), text, "ja")
    assert r.ok, r.provenance
