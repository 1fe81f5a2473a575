from __future__ import annotations

from pathlib import Path

import pytest

from corpusmill.curate.selection.lm_words import sentences, words
from corpusmill.curate.selection.ngram_lm import MIN_WORDS, KenlmScorer, ModelError, WordfreqScorer, load_info, train
from tests.curate.selection.conftest import SELECTION, article, word_salad


def test_words_are_normalised_the_same_for_training_and_scoring() -> None:
    assert words("Straße ﬁx 2024, ÉTÉ!") == ["strasse", "fix", "0000", "été"]
    assert words("日本語テキスト ok") == ["日", "本", "語", "テ", "キ", "ス", "ト", "ok"]
    assert words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # vowel signs stay in their word
    assert sentences("One line.\n\n  \nTwo, lines!") == ["one line", "two lines"]


def test_english_model_orders_text_as_it_must(en_model: Path) -> None:
    en = KenlmScorer(en_model, "en")
    held_out = en.perplexity(article("en"))  # an English article not in the reference
    salad = en.perplexity(word_salad(article("en")))  # the same words, shuffled
    german = en.perplexity(article("de"))
    assert held_out is not None and salad is not None and german is not None
    assert held_out < salad < german
    assert en.perplexity("") is None and en.perplexity(" \n !! \n") is None


def test_arpa_and_binary_models_score_alike(en_model: Path, de_model: Path, tmp_path: Path) -> None:
    arpa = tmp_path / "en.arpa"
    train([(SELECTION / "reference_en.txt").read_text()], arpa, "en", order=3)
    assert arpa.read_text().startswith("\n\\data\\") or "\\data\\" in arpa.read_text()[:100]
    a = KenlmScorer(arpa, "en").perplexity(article("en"))
    b = KenlmScorer(en_model, "en").perplexity(article("en"))
    assert a == pytest.approx(b, rel=1e-3)
    # German model: German article far likelier than the English one
    de = KenlmScorer(de_model, "de")
    assert de.perplexity(article("de")) < de.perplexity(article("en")) / 2
    info = load_info(en_model)
    assert (info.lang, info.order, info.kind) == ("en", 3, "corpusmill-ngram-lm") and len(info.sha256) == 64


def test_reference_too_small_names_the_minimum(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=f"at least {MIN_WORDS} words"):
        train([article("en")], tmp_path / "small.bin", "en")
    assert not (tmp_path / "small.bin").exists()


def test_wrong_language_or_kind_is_refused(en_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="trained for language 'en', not 'de'"):
        KenlmScorer(en_model, "de")
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="train it with `corpusmill train-lm`"):
        KenlmScorer(stray, "en")
    # A sidecar copied next to a file that is no KenLM model
    (tmp_path / "stray.bin.json").write_bytes(Path(str(en_model) + ".json").read_bytes().replace(b'"en"', b'"en"'))
    with pytest.raises(ModelError, match="is not a KenLM model"):
        KenlmScorer(stray, "en")
    other = tmp_path / "clf.bin"
    other.write_bytes(b"x")
    (tmp_path / "clf.bin.json").write_text('{"kind": "fasttext-classifier", "lang": "en", "order": 0, '
                                           '"tokenizer": "words-v1", "words": 0, "sentences": 0, "sha256": ""}')
    with pytest.raises(ModelError, match="not an n-gram language model"):
        KenlmScorer(other, "en")


def test_wordfreq_baseline_needs_no_training() -> None:
    en = WordfreqScorer("en")
    assert en.perplexity(article("en")) < en.perplexity(article("de")) / 5
    assert en.perplexity("") is None
    with pytest.raises(ModelError, match="wordfreq has no list for language 'xx'"):
        WordfreqScorer("xx")


def test_train_lm_command_and_its_mistakes(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "corpusmill.cli", "train-lm", *args], capture_output=True,
                              text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)

    ok = cli(str(SELECTION / "reference_de.txt"), "-o", str(tmp_path / "de.bin"), "--lang", "de")
    assert ok.returncode == 0 and "3-gram model for 'de'" in ok.stdout
    assert KenlmScorer(tmp_path / "de.bin", "de").perplexity(article("de")) is not None
    for args, needle in (
        ((str(SELECTION.parent / "filters" / "article_en.txt"), "-o", str(tmp_path / "s.bin"), "--lang", "en"),
         f"give at least {MIN_WORDS} words"),
        ((str(SELECTION / "reference_en.txt"), "-o", str(tmp_path / "m.model"), "--lang", "en"), ".arpa (text) or .bin"),
        ((str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "m.bin"), "--lang", "en"), "does not exist"),
        ((str(SELECTION / "reference_en.txt"), "-o", str(tmp_path / "m.bin"), "--lang", "en", "--order", "9"),
         "use 2 to 6"),
    ):
        r = cli(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr, r.stderr
