"""The `dsir` corpus stage in `corpusmill run`: a pool of real article paragraphs in five
languages, a German target that is not in the pool."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import orjson
import pytest

from corpusmill.curate.selection.dsir import id_gumbel
from corpusmill.curate.selection.selectors import DsirSelector
from tests.curate.selection.conftest import SELECTION, article, run_stage, stage_entries, write_corpus

LANGS = ("en", "de", "fr", "es", "pl")
TARGET = SELECTION / "reference_de.txt"


def _pool() -> list[dict]:
    rows = []
    for lang in LANGS:
        paras = [p for p in article(lang).split("\n") if len(p.split()) >= 15]
        rows += [{"id": f"{lang}{i}", "text": p, "language": lang} for i, p in enumerate(paras)]
    rows.append({"id": "empty", "text": " ... \n", "language": "en"})
    return rows




def _stats_add_up(out: Path, n: int) -> dict:
    stats = orjson.loads((out / "stats.json").read_bytes())
    assert stats["input"] == n == stats["output"] + stats["dropped"] + stats["errors"]
    return stats


def test_stage_draws_k_toward_the_target_with_weights_in_provenance(tmp_path: Path) -> None:
    rows = _pool()
    n_de = sum(r["language"] == "de" for r in rows)
    corpus = write_corpus(tmp_path / "pool.jsonl", rows)
    r = run_stage(tmp_path, {"stage": "dsir", "target": str(TARGET), "k": n_de, "seed": 3}, "k", [corpus])
    assert r.returncode == 0, r.stderr
    stats = _stats_add_up(tmp_path / "k", len(rows))
    assert stats["output"] == n_de
    d = stage_entries(tmp_path / "k", "dsir")
    assert set(d) == {r["id"] for r in rows}
    kept = [i for i, e in d.items() if e["action"] == "kept"]
    assert sum(i.startswith("de") for i in kept) >= 0.8 * n_de
    assert sorted(d[i]["scores"]["dsir_draw"] for i in kept) == list(range(n_de))
    assert d["empty"]["reason"] == "dsir:empty_text"
    for e in d.values():
        if e["action"] == "dropped" and e["reason"] == "dsir:not_drawn":
            assert "dsir_log_weight" in e["scores"]
    # The KL reduction DSIR defines, in every decision's detail: the selection moved toward the target.
    detail = d[kept[0]]["detail"]
    assert f"{n_de} drawn of {len(rows)}" in detail
    reduction = float(detail.split("(reduction ")[1].split(")")[0])
    assert reduction > 0
    # The weights are the `select dsir` model's (one implementation): fitted on the same pool.
    selector = DsirSelector()
    selector.fit([TARGET.read_text()], [r["text"] for r in rows])
    expected = selector.priorities([r["text"] for r in rows])
    assert sum(math.isfinite(w) for w in expected) == len(rows) - 1  # every text but the empty one
    for row, w in zip(rows, expected):
        if math.isfinite(w):
            assert d[row["id"]]["scores"]["dsir_log_weight"] == pytest.approx(w, abs=1e-3)


def test_selection_is_the_same_whatever_the_sharding_and_workers(tmp_path: Path) -> None:
    rows = _pool()
    stage = {"stage": "dsir", "target": str(TARGET), "keep_fraction": 0.25, "seed": 7}
    one = write_corpus(tmp_path / "all.jsonl", rows)
    third = len(rows) // 3
    parts = [write_corpus(tmp_path / f"p{i}.jsonl", chunk)
             for i, chunk in enumerate((rows[:third], rows[third:2 * third], rows[2 * third:]))]
    assert run_stage(tmp_path, stage, "one", [one]).returncode == 0
    r = run_stage(tmp_path, stage, "three", parts, workers=2)
    assert r.returncode == 0, r.stderr
    a, b = stage_entries(tmp_path / "one", "dsir"), stage_entries(tmp_path / "three", "dsir")
    assert {i: (e["action"], e.get("scores")) for i, e in a.items()} == \
           {i: (e["action"], e.get("scores")) for i, e in b.items()}
    drawable = len(rows) - 1  # all but the empty text
    assert sum(e["action"] == "kept" for e in a.values()) == math.ceil(0.25 * drawable)


def test_target_without_overlap_is_an_error_on_every_record(tmp_path: Path) -> None:
    rows = [r for r in _pool() if r["language"] == "en"]
    corpus = write_corpus(tmp_path / "pool.jsonl", rows)
    greek = tmp_path / "greek.txt"
    greek.write_text("Καλημέρα κόσμε, αυτό είναι ένα ελληνικό κείμενο για δοκιμή.\n")
    run_stage(tmp_path, {"stage": "dsir", "target": str(greek), "k": 3}, "greek", [corpus])
    stats = _stats_add_up(tmp_path / "greek", len(rows))
    assert stats["errors"] == len(rows)
    d = stage_entries(tmp_path / "greek", "dsir")
    assert len(d) == len(rows)
    assert all(e["status"] == "error" and "of the target's words" in e["reason"] for e in d.values())


@pytest.mark.parametrize(("settings", "needle"), [
    ({"target": str(TARGET), "k": 3, "keep_fraction": 0.5}, "exactly one of `k:`"),
    ({"target": str(TARGET)}, "exactly one of `k:`"),
    ({"target": str(TARGET), "k": 0}, "k is a number of documents"),
    ({"target": str(TARGET), "keep_fraction": 1.5}, "keep_fraction must be in (0, 1]"),
    ({"target": "/nonexistent/target.txt", "k": 3}, "does not exist"),
    ({"k": 3}, "target"),
])
def test_bad_settings_are_one_line_exit_2(tmp_path: Path, settings: dict, needle: str) -> None:
    corpus = write_corpus(tmp_path / "pool.jsonl", _pool()[:3])
    r = run_stage(tmp_path, {"stage": "dsir", **settings}, "bad", [corpus])
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr


def test_id_noise_is_gumbel_and_depends_on_id_and_seed_only() -> None:
    ids = [f"doc{i}" for i in range(20000)]
    noise, hashes = id_gumbel(ids, 0)
    assert abs(noise.mean() - np.euler_gamma) < 0.03 and abs(noise.var() - np.pi ** 2 / 6) < 0.08
    again, _ = id_gumbel(list(reversed(ids)), 0)
    assert np.array_equal(noise, again[::-1])  # order-free: a document's draw is its own
    other, _ = id_gumbel(ids, 1)
    assert not np.allclose(noise, other)
    assert len(set(hashes.tolist())) == len(ids)


def test_a_shard_without_ok_records_is_weighed_as_empty(tmp_path: Path) -> None:
    rows = _pool()
    corpus = write_corpus(tmp_path / "pool.jsonl", rows)
    empty = write_corpus(tmp_path / "empty.jsonl", [])  # a shard with no record: no weights, no crash
    r = run_stage(tmp_path, {"stage": "dsir", "target": str(TARGET), "k": 5}, "e", [corpus, empty])
    assert r.returncode == 0, r.stderr
    assert _stats_add_up(tmp_path / "e", len(rows))["output"] == 5
