from __future__ import annotations

import math
from pathlib import Path

import orjson
import pytest

from tests.curate.selection.conftest import article, run_stage, stage_entries, write_corpus


def _rows() -> list[dict]:
    en, de = article("en"), article("de")
    paras_en = [p for p in en.split("\n") if len(p.split()) >= 20]
    rows = [{"id": f"en{i}", "text": p, "language": "en"} for i, p in enumerate(paras_en)]
    # German paragraphs a language detector got wrong: the English model must rank them last.
    paras_de = [p for p in de.split("\n") if len(p.split()) >= 20]
    rows += [{"id": f"mislabelled{i}", "text": p, "language": "en"} for i, p in enumerate(paras_de)]
    rows += [{"id": "de0", "text": de, "language": "de"},
             {"id": "fr0", "text": article("fr"), "language": "fr"},
             {"id": "empty", "text": " ... \n", "language": "en"}]
    return rows




def test_keep_fraction_keeps_the_likely_half_per_language(en_model: Path, tmp_path: Path) -> None:
    rows = _rows()
    corpus = write_corpus(tmp_path / "in.jsonl", rows)
    stage = {"stage": "perplexity", "models": {"en": str(en_model), "de": "wordfreq"}, "keep_fraction": 0.5}
    r = run_stage(tmp_path, stage, "frac", [corpus])
    assert r.returncode == 0, r.stderr
    stats = orjson.loads((tmp_path / "frac" / "stats.json").read_bytes())
    assert stats["input"] == len(rows) == stats["output"] + stats["dropped"] + stats["errors"]
    d = stage_entries(tmp_path / "frac", "perplexity")
    assert set(d) == {r["id"] for r in rows}
    assert d["fr0"]["reason"] == "perplexity:no_model" and d["fr0"]["action"] == "kept"
    assert d["empty"]["reason"] == "perplexity:empty_text"
    assert d["de0"]["action"] == "kept" and d["de0"]["scores"]["perplexity"] > 0  # the only German text
    en_ids = [r["id"] for r in rows if r["language"] == "en" and r["id"] != "empty"]
    kept = [i for i in en_ids if d[i]["action"] == "kept"]
    assert len(kept) == math.ceil(len(en_ids) / 2)
    assert all(i.startswith("en") for i in kept)  # no mislabelled German paragraph in the kept half
    for i in en_ids:
        assert "perplexity" in d[i]["scores"]


def test_keep_fraction_is_the_same_for_any_sharding(en_model: Path, tmp_path: Path) -> None:
    rows = _rows()
    half = len(rows) // 2
    parts = [write_corpus(tmp_path / "a.jsonl", rows[:half]), write_corpus(tmp_path / "b.jsonl", rows[half:])]
    stage = {"stage": "perplexity", "models": {"en": str(en_model)}, "keep_fraction": 0.3}
    one = write_corpus(tmp_path / "all.jsonl", rows)
    assert run_stage(tmp_path, stage, "one", [one]).returncode == 0
    assert run_stage(tmp_path, stage, "two", parts, workers=2).returncode == 0
    a, b = stage_entries(tmp_path / "one", "perplexity"), stage_entries(tmp_path / "two", "perplexity")
    assert {k: v["action"] for k, v in a.items()} == {k: v["action"] for k, v in b.items()}


def test_max_perplexity_by_value_and_no_model_drop(en_model: Path, tmp_path: Path) -> None:
    rows = _rows()
    corpus = write_corpus(tmp_path / "in.jsonl", rows)
    stage = {"stage": "perplexity", "models": {"en": str(en_model)}, "max_perplexity": {"en": 1e9}, "no_model": "drop"}
    assert run_stage(tmp_path, stage, "max", [corpus]).returncode == 0
    d = stage_entries(tmp_path / "max", "perplexity")
    assert d["fr0"]["reason"] == "perplexity:no_model" and d["fr0"]["action"] == "dropped"
    assert d["en0"]["action"] == "kept"
    cut = sorted(d[r["id"]]["scores"]["perplexity"] for r in rows if r["language"] == "en" and r["id"] != "empty")
    limit = (cut[len(cut) // 2] + cut[len(cut) // 2 + 1]) / 2  # between two scores (provenance rounds them)
    stage["max_perplexity"] = limit
    assert run_stage(tmp_path, stage, "max2", [corpus]).returncode == 0
    d2 = stage_entries(tmp_path / "max2", "perplexity")
    for rid, e in d2.items():
        if "perplexity" in e.get("scores", {}):
            assert (e["action"] == "kept") == (e["scores"]["perplexity"] <= limit), (rid, e)
            if e["action"] == "dropped":
                assert e["reason"] == "perplexity:too_high"


@pytest.mark.parametrize("models, needle", [
    ({"de": "EN_MODEL"}, "trained for language 'en', not 'de'"),
    ({"en": "/nonexistent/en.bin"}, "does not exist"),
    ({"xx": "wordfreq"}, "wordfreq has no list for language 'xx'"),
])
def test_wrong_model_is_one_line_exit_2(en_model: Path, tmp_path: Path, models: dict, needle: str) -> None:
    corpus = write_corpus(tmp_path / "in.jsonl", _rows()[:3])
    models = {k: str(en_model) if v == "EN_MODEL" else v for k, v in models.items()}
    r = run_stage(tmp_path, {"stage": "perplexity", "models": models, "keep_fraction": 0.5}, "bad", [corpus])
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
