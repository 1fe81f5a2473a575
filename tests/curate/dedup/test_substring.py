from __future__ import annotations

import random
from pathlib import Path

from dedup_docs import PARAGRAPHS
from dedup_harness import flat, rec, run

from corpusmill.curate.dedup import SubstringDedup
from corpusmill.curate.dedup.substring import tokens

SHARED = PARAGRAPHS[0]  # a real paragraph of > 50 tokens
assert len(tokens(SHARED)) > 60


def by_id(out) -> dict:
    return {r.id: r for r in flat(out)}


def test_repeated_span_removed_from_all_but_the_first(tmp_path: Path) -> None:
    shards = {
        # ":" before the span: "first" has "." there, which would extend the repeat by a token.
        "00001": [rec("later", PARAGRAPHS[3] + " In short:\n" + SHARED + "\n" + PARAGRAPHS[4])],
        "00000": [rec("first", PARAGRAPHS[1] + "\n" + SHARED),
                  rec("short", "Intro line.\n" + SHARED)],
        "00002": [rec("alone", PARAGRAPHS[5])],
    }
    out = by_id(run(SubstringDedup(), tmp_path, shards))
    assert out["first"].ok and SHARED in out["first"].text and out["first"].provenance == []
    later = out["later"]
    assert later.ok and SHARED not in later.text
    assert later.text == PARAGRAPHS[3] + " In short:\n" + PARAGRAPHS[4]
    entry = later.provenance[-1]
    assert entry["action"] == "modified"
    assert entry["scores"]["removed_tokens"] == len(tokens(SHARED))
    assert entry["scores"]["removed_spans"] == 1
    # Only the shared paragraph was repeated; what is left is too short to keep.
    assert out["short"].status == "dropped"
    assert out["short"].reason == "substring_dedup:too_little_left"
    assert out["alone"].ok and out["alone"].text == PARAGRAPHS[5]


def test_spans_shorter_than_the_window_stay(tmp_path: Path) -> None:
    span = " ".join(tokens(SHARED)[:49])
    shards = {"00000": [rec("a", PARAGRAPHS[1] + " " + span), rec("b", span + " " + PARAGRAPHS[2])]}
    out = by_id(run(SubstringDedup(), tmp_path, shards))
    assert out["b"].ok and out["b"].provenance == []


def test_same_text_with_other_whitespace_is_repeated(tmp_path: Path) -> None:
    pdf_like = SHARED.replace(" ", "\n", 7)  # hard-wrapped like a PDF's text layer
    shards = {"00000": [rec("web", SHARED + "\n" + PARAGRAPHS[2])],
              "00001": [rec("pdf", PARAGRAPHS[6] + "\n" + pdf_like, media_type="application/pdf")]}
    out = by_id(run(SubstringDedup(), tmp_path, shards))
    assert out["pdf"].text.strip() == PARAGRAPHS[6]


def test_degenerate_texts(tmp_path: Path) -> None:
    bad = "\udcff " + SHARED
    shards = {"00000": [rec("e", ""), rec("ws", " \n "), rec("la", "la " * 1000),
                        rec("bad1", bad + " " + PARAGRAPHS[7])],
              "00001": [rec("bad2", PARAGRAPHS[8] + " " + bad)]}
    out = by_id(run(SubstringDedup(), tmp_path, shards))
    assert out["e"].ok and out["ws"].ok
    # A text repeating itself keeps its first window's worth.
    assert out["la"].ok and len(tokens(out["la"].text)) == 50
    assert out["bad2"].ok and out["bad2"].text == PARAGRAPHS[8]
    assert not any(r.status == "error" for r in out.values())


def test_large_text_and_shard_order(tmp_path: Path) -> None:
    rng = random.Random(1)
    vocab = [f"w{k}" for k in range(5000)]
    big = " ".join(rng.choice(vocab) for _ in range(300_000))
    copy_part = big[100_000:200_000]
    shards = {"00000": [rec("big", big)], "00001": [rec("part", PARAGRAPHS[9] + PARAGRAPHS[10] + " " + copy_part)]}
    a = by_id(run(SubstringDedup(partitions=4), tmp_path / "a", shards))
    assert a["big"].text == big
    # The copied slice starts and ends mid-word: only those partial words remain.
    assert a["part"].ok and len(tokens(a["part"].text)) - len(tokens(PARAGRAPHS[9] + PARAGRAPHS[10])) <= 2
    b = by_id(run(SubstringDedup(partitions=3), tmp_path / "b", dict(reversed(shards.items()))))
    assert b["part"].text == a["part"].text


def test_collector_spills_sorted_runs_with_the_same_result(tmp_path: Path, monkeypatch) -> None:
    from corpusmill.curate.dedup import substring

    shards = {"00000": [rec(f"a{i}", PARAGRAPHS[i] + "\n" + SHARED) for i in range(1, 6)],
              "00001": [rec("b", PARAGRAPHS[7] + "\n" + SHARED)]}
    expected = {r.id: (r.status, r.text) for r in flat(run(SubstringDedup(), tmp_path / "a", shards))}
    monkeypatch.setattr(substring, "_RUN_WINDOWS", 100)
    got = {r.id: (r.status, r.text) for r in flat(run(SubstringDedup(), tmp_path / "b", shards))}
    assert len(list((tmp_path / "b" / "_work" / "substring_dedup" / "windows").glob("00000.*"))) > 2
    assert got == expected
    assert [rid for rid, (st, text) in got.items() if st == "ok" and SHARED in text] == ["a1"]
