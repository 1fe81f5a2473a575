from __future__ import annotations

import random
import time

import pytest
from filter_helpers import LANGUAGES, article

from corpusmill.curate.filters import PRESETS
from corpusmill.registry import STAGES, build_stage, stage_class
from corpusmill.record import Record
from corpusmill.stage import Stage


def chain(preset: str, records: list[Record]) -> list[Record]:
    stream = iter(records)
    for stage in [build_stage(spec) for spec in PRESETS[preset]]:
        stream = stage(stream)
    return list(stream)


def one(preset: str, text: str, uri: str = "https://news.example.org/2024/article") -> Record:
    (r,) = chain(preset, [Record("r1", text=text, source={"uri": uri})])
    return r


def test_registry_and_presets_are_consistent() -> None:
    assert set(PRESETS) == {"fineweb", "refinedweb", "none"}
    assert PRESETS["none"] == []
    for specs in PRESETS.values():
        for spec in specs:
            assert spec["stage"] in STAGES and issubclass(stage_class(spec["stage"]), Stage)
    assert [s["stage"] for s in PRESETS["fineweb"]] == ["url", "language", "gopher_repetition", "gopher_quality",
                                                        "c4_quality", "fineweb_quality"]
    with pytest.raises(KeyError, match="unknown stage 'nope'; use one of .*gopher_quality"):
        build_stage({"stage": "nope"})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fineweb_preset_keeps_real_articles_in_every_language(lang: str) -> None:
    r = one("fineweb", article(lang))
    assert r.ok, r.provenance
    assert r.metadata["language"] == lang
    # Provenance shows every filter's decision, with its scores.
    assert [p["stage"] for p in r.provenance] == [s["stage"] for s in PRESETS["fineweb"]]
    assert all(p["action"] in ("kept", "modified") for p in r.provenance)
    assert all(p.get("scores") for p in r.provenance[1:])


@pytest.mark.parametrize("lang", ["de", "en", "fr", "es"])
def test_refinedweb_preset_keeps_real_articles(lang: str) -> None:
    r = one("refinedweb", article(lang))
    assert r.ok, r.provenance


def test_non_ok_records_pass_untouched() -> None:
    dropped = Record("x", text=article("en"), status="dropped")
    (r,) = chain("fineweb", [dropped])
    assert r is dropped and r.provenance == []


@pytest.mark.parametrize("preset", ["fineweb", "refinedweb"])
@pytest.mark.parametrize("text,expected", [
    ("", "language:empty"),
    ("buy " * 20000, "gopher_repetition:"),
    ("\ud800\udc00\udfff" * 100, "language:"),
])
def test_degenerate_texts_get_a_clear_drop(preset: str, text: str, expected: str) -> None:
    r = one(preset, text)
    assert r.status == "dropped"
    assert r.reason.startswith(expected)


def test_mixed_scripts_are_decided() -> None:
    text = "\n".join(f"{line} 这是中文句子，说明混合文字。 Это русский текст." for line in article("en").splitlines())
    r = one("fineweb", text)
    assert r.status in ("ok", "dropped")
    assert r.provenance and all("scores" in p for p in r.provenance[1:])


def test_invalid_surrogates_inside_real_text() -> None:
    text = article("de").replace("Luft", "Lu\udcfft", 3)
    r = one("fineweb", text)
    assert r.ok, r.provenance
    zh = one("fineweb", article("zh").replace("数字", "数\ud800字", 2))
    assert zh.ok, zh.provenance


def test_ten_megabytes_of_text_is_decided_quickly() -> None:
    rng = random.Random(1)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(20000)]
    vocab[:8] = ["the", "be", "to", "of", "and", "that", "have", "with"]
    lines = []
    size = 0
    while size < 10 * 2**20:
        line = " ".join(rng.choice(vocab) for _ in range(14)).capitalize() + "."
        lines.append(line)
        size += len(line) + 1
    text = "\n".join(lines)
    # Made-up words are no language: accept any score to reach the other filters.
    specs = [dict(s, min_score=0.0) if s["stage"] == "language" else s for s in PRESETS["fineweb"]]
    t0 = time.perf_counter()
    stream = iter([Record("big", text=text)])
    for stage in [build_stage(spec) for spec in specs]:
        stream = stage(stream)
    (r,) = list(stream)
    elapsed = time.perf_counter() - t0
    assert r.status == "dropped"
    assert r.reason == "gopher_quality:too_many_words"
    assert elapsed < 60
