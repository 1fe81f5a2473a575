from __future__ import annotations

from pathlib import Path

import pytest
from dedup_docs import body, page
from dedup_harness import apply, collect, flat, rec, removed, run, run_passes

from corpusmill.corpus_stage import RunContext
from corpusmill.curate.dedup import ExactDedup


def test_normalised_text_duplicates_keep_first_by_shard_then_position(tmp_path: Path) -> None:
    text = page(body(0))
    shards = {
        "00001": [rec("late", text.upper())],
        "00000": [rec("first", text), rec("b", page(body(1))),
                  rec("spaced", "  " + text.replace(" ", "\n\t ").replace(".", " . ") + "!!")],
        "00002": [rec("fullwidth", text.replace("Home", "Ｈｏｍｅ"))],  # NFKC folds it
    }
    out = run(ExactDedup(), tmp_path, shards)
    assert removed(out) == {"late": "first", "spaced": "first", "fullwidth": "first"}
    first = next(r for r in flat(out) if r.id == "first")
    assert first.ok and first.provenance[-1]["action"] == "kept"
    dup = next(r for r in flat(out) if r.id == "late")
    assert dup.status == "dropped"
    assert dup.provenance[-1]["action"] == "duplicate"
    assert dup.reason == "exact_dedup:text_duplicate"
    assert dup.metadata["dedup"]["cluster_size"] == 4


def test_url_duplicates_for_web_records_only(tmp_path: Path) -> None:
    shards = {"00000": [
        rec("a", page(body(0)), "http://Example.org/path?b=2&a=1&utm_source=x#top"),
        rec("b", page(body(1)), "https://example.org:443/path?a=1&b=2"),
        rec("c", page(body(2)), "https://example.org/path?a=1&b=3"),
        rec("pdf1", page(body(3)), "file:///data/x.pdf", "application/pdf"),
        rec("pdf2", page(body(4)), "file:///data/x.pdf", "application/pdf"),
    ]}
    out = run(ExactDedup(), tmp_path, shards)
    assert removed(out) == {"b": "a"}
    assert next(r for r in flat(out) if r.id == "b").reason == "exact_dedup:url_duplicate"
    assert removed(run(ExactDedup(url=False), tmp_path / "t", shards)) == {}


def test_empty_whitespace_and_surrogate_texts(tmp_path: Path) -> None:
    bad = "caf\udce9 au lait " + page(body(0))  # a lone surrogate from a bad decode
    shards = {"00000": [rec("e1", ""), rec("e2", "   \n\t "), rec("p1", "!!! ..."),
                        rec("s1", bad), rec("s2", bad + "\n")]}
    out = run(ExactDedup(), tmp_path, shards)
    # Texts without words have no key: they are not each other's duplicates.
    assert removed(out) == {"s2": "s1"}
    assert all(r.status in ("ok", "dropped") for r in flat(out))


def test_same_result_whatever_the_shard_and_task_order(tmp_path: Path) -> None:
    texts = [page(body(i % 4)) for i in range(12)]
    shards = {f"{s:05d}": [rec(f"r{s}-{j}", texts[(s * 3 + j) % 12]) for j in range(3)]
              for s in range(4)}
    expected = removed(run(ExactDedup(partitions=3), tmp_path / "a", shards))
    assert len(expected) == 12 - 4
    # Shards collected in reverse, tasks of each pass run in reverse order (another worker count).
    stage = ExactDedup(partitions=3)
    ctx = RunContext(tmp_path / "b")
    rev = dict(reversed(list(shards.items())))
    collect(stage, ctx, rev)
    for p in stage.passes(ctx, list(rev)):
        for task in reversed(p.tasks):
            task.fn(*task.args)
    assert removed(apply(stage, ctx, rev)) == expected


def test_apply_before_passes_is_a_clear_error(tmp_path: Path) -> None:
    stage = ExactDedup()
    ctx = RunContext(tmp_path)
    collect(stage, ctx, {"00000": [rec("a", "x")]})
    with pytest.raises(FileNotFoundError, match="did collect/passes run"):
        stage.apply(ctx, "00000")


def test_decisions_for_other_records_mark_error_not_duplicate(tmp_path: Path) -> None:
    stage = ExactDedup()
    ctx = RunContext(tmp_path)
    shards = {"00000": [rec("a", "same text"), rec("b", "same text")]}
    collect(stage, ctx, shards)
    run_passes(stage, ctx, ["00000"])
    out = apply(stage, ctx, {"00000": [rec("x", "same text"), rec("y", "same text")]})
    y = out["00000"][1]
    assert y.status == "error" and "do not match" in y.reason
    assert stage.apply(ctx, "00000").stats.name == "exact_dedup"
