from __future__ import annotations

import copy
import random
import time
from pathlib import Path

import numpy as np
import pytest
from dedup_docs import body, change_words, page
from dedup_harness import apply, collect, flat, rec, removed, run, run_passes

from corpusmill.corpus_stage import RunContext
from corpusmill.curate.dedup import MinHashDedup
from corpusmill.curate.dedup.components import component_labels
from corpusmill.curate.dedup.minhash_signatures import MinHasher

ORIGINALS = [page(body(i)) for i in range(8)]


def edits(i: int) -> dict[str, str]:
    """The documented near-duplicate kinds, applied to original i."""
    paras = body(i)
    return {
        "date_line": page(paras, date="Updated on 14 November 2023, 10:42"),
        "added_paragraph": page(paras + [body(7, 1)[0][:300]]),
        "removed_paragraph": page([p for p in paras if p != min(paras, key=len)]),
        "boilerplate": page(paras, header="Start | Politics | Weather | Login",
                            footer="Copyright 2024 Other Owner Ltd. Terms of use."),
        "reordered_sections": page(paras[3:] + paras[:3]),
        "words_5pct_contiguous": change_words(page(paras), 0.05, seed=i, contiguous=True),
        "words_10pct_contiguous": change_words(page(paras), 0.10, seed=i, contiguous=True),
        "words_5pct_scattered": change_words(page(paras), 0.05, seed=i, contiguous=False),
    }


def corpus() -> tuple[dict[str, list], dict[str, str]]:
    """Originals in shard 00000, their edited copies spread over shards 00001-00003."""
    shards: dict[str, list] = {"00000": [rec(f"orig{i}", t) for i, t in enumerate(ORIGINALS[:6])]}
    truth = {}
    for i in range(6):
        for k, (kind, text) in enumerate(edits(i).items()):
            rid = f"orig{i}-{kind}"
            shards.setdefault(f"{k % 3 + 1:05d}", []).append(rec(rid, text))
            truth[rid] = f"orig{i}"
    return shards, truth


def test_documented_near_duplicate_edits_are_found(tmp_path: Path) -> None:
    shards, truth = corpus()
    got = removed(run(MinHashDedup(), tmp_path, shards))
    assert got == {k: truth[k] for k in got}  # no wrong merges
    missed = sorted(set(truth) - set(got))
    # LSH finds a pair with probability 1 - (1 - J^8)^14 (J: 5-gram Jaccard). Structural
    # edits and a 5% rewritten passage keep J >= 0.88 (p > 0.998): all must be found.
    # A 10% rewritten passage gives J ~0.8 (p ~0.92); scattered 5% word changes touch
    # ~23% of shingles, J ~0.63 (p ~0.3): only most, resp. some, are expected.
    assert [m for m in missed if "10pct" not in m and "scattered" not in m] == []
    assert sum("10pct" in m for m in missed) <= 2
    assert sum("scattered" in m for m in missed) <= 5


def test_documents_sharing_only_boilerplate_are_not_merged(tmp_path: Path) -> None:
    shards = {"00000": [rec(f"d{i}", t) for i, t in enumerate(ORIGINALS)],
              "00001": [rec("nav-only", page([]))]}
    out = run(MinHashDedup(), tmp_path, shards)
    assert removed(out) == {}
    assert all("dedup" not in r.metadata and r.provenance == [] for r in flat(out))


def test_web_page_and_pdf_with_same_text_are_duplicates(tmp_path: Path) -> None:
    paras = body(2)
    web = rec("web", page(paras), "https://example.org/report")
    # The same text as a PDF extracts it: hard-wrapped lines, a form feed between pages,
    # page numbers, no site header or footer.
    words = " ".join(paras).split(" ")
    lines = [" ".join(words[j: j + 11]) for j in range(0, len(words), 11)]
    pdf_text = "\n".join(lines[:15]) + "\n1\n\f" + "\n".join(lines[15:]) + "\n2\n"
    pdf = rec("pdf", pdf_text, "file:///archive/report.pdf", "application/pdf")
    pdf.pages = [{"number": 1, "route": "text-layer"}, {"number": 2, "route": "text-layer"}]
    out = run(MinHashDedup(), tmp_path, {"00000": [web], "00001": [pdf]})
    assert removed(out) == {"pdf": "web"}
    d = next(r for r in flat(out) if r.id == "pdf")
    assert d.metadata["dedup"]["cluster_id"] == "mh:web"
    assert d.provenance[-1]["action"] == "duplicate"
    assert d.provenance[-1]["reason"] == "minhash_dedup:duplicate"
    assert d.provenance[-1]["scores"]["jaccard_estimate"] > 0.7
    w = next(r for r in flat(out) if r.id == "web")
    assert w.ok and w.metadata["dedup"] == {"duplicate_of": None, "cluster_id": "mh:web",
                                            "cluster_size": 2, "stage": "minhash_dedup"}


def _cluster(quality: list[float | None]) -> dict[str, list]:
    texts = [page(body(1)), page(body(1), date="Posted 2 May"),
             page(body(1) + ["An extra paragraph that makes this copy the longest one of all."])]
    recs = []
    for k, (t, q) in enumerate(zip(texts, quality)):
        r = rec(f"m{k}", t)
        if q is not None:
            r.metadata["quality_score"] = q
            r.log("quality", "1", "kept", scores={"fasttext": q})
        recs.append(r)
    return {"00000": recs[:2], "00001": recs[2:]}


@pytest.mark.parametrize("keep, quality, kept", [
    ("first", [0.1, 0.9, 0.5], "m0"),
    ("longest", [0.1, 0.9, 0.5], "m2"),
    ("best_quality", [0.1, 0.9, 0.5], "m1"),
    ("best_quality", [None, None, 0.2], "m2"),  # a score beats no score
    ("best_quality", [None, None, None], "m0"),  # no scores: first
])
def test_keep_policies(tmp_path: Path, keep: str, quality: list, kept: str) -> None:
    out = run(MinHashDedup(keep=keep), tmp_path, _cluster(quality))
    assert set(removed(out).values()) == {kept}
    assert {r.id for r in flat(out) if r.ok} == {kept}


def test_best_quality_from_a_provenance_score(tmp_path: Path) -> None:
    stage = MinHashDedup(keep="best_quality", quality_score="provenance.quality.fasttext")
    assert set(removed(run(stage, tmp_path, _cluster([0.3, 0.2, 0.8]))).values()) == {"m2"}
    with pytest.raises(ValueError, match="quality_score"):
        MinHashDedup(quality_score="quality")


def test_resume_in_the_middle_of_the_passes(tmp_path: Path) -> None:
    shards, _ = corpus()
    expected = run(MinHashDedup(bucket_partitions=2), tmp_path / "full", shards)
    shards = copy.deepcopy(shards)
    ctx = RunContext(tmp_path / "resumed")
    collect(MinHashDedup(bucket_partitions=2), ctx, shards)
    done = run_passes(MinHashDedup(bucket_partitions=2), ctx, list(shards), max_tasks=9)
    assert len(done) == 9
    # A task killed while writing left its temporary file behind.
    (ctx.stage_dir("minhash_dedup") / "pairs" / ".b005-p000.npy.999.tmp").write_bytes(b"torn")
    # Restart: fresh stage objects, only the on-disk state and the markers carry over.
    run_passes(MinHashDedup(bucket_partitions=2), ctx, list(shards), completed=done)
    got = apply(MinHashDedup(bucket_partitions=2), ctx, shards)
    assert [(r.id, r.status, r.metadata, r.provenance) for r in flat(got)] == \
        [(r.id, r.status, r.metadata, r.provenance) for r in flat(expected)]
    assert removed(got)


def test_same_result_with_shards_and_tasks_in_another_order(tmp_path: Path) -> None:
    shards, _ = corpus()
    expected = removed(run(MinHashDedup(), tmp_path / "a", shards))
    stage = MinHashDedup()
    ctx = RunContext(tmp_path / "b")
    rev = copy.deepcopy(dict(reversed(list(shards.items()))))
    collect(stage, ctx, rev)
    for p in stage.passes(ctx, list(rev)):
        for task in reversed(p.tasks):
            task.fn(*task.args)
    assert removed(apply(stage, ctx, rev)) == expected


def test_degenerate_texts(tmp_path: Path) -> None:
    bad = "Gr\udcfc\udcdf Gott " + page(body(3))
    shards = {"00000": [rec("empty", ""), rec("ws", " \n\t "), rec("la1", "la " * 5000),
                        rec("bad1", bad), rec("short1", "Hello world")],
              "00001": [rec("empty2", ""), rec("la2", "la " * 20), rec("bad2", bad + " tail"),
                        rec("short2", "hello, WORLD!")]}
    out = run(MinHashDedup(), tmp_path, shards)
    assert removed(out) == {"la2": "la1", "bad2": "bad1", "short2": "short1"}
    assert {r.id for r in flat(out) if r.ok} >= {"empty", "ws", "empty2"}
    assert not any(r.status == "error" for r in flat(out))


def test_ten_megabyte_text(tmp_path: Path) -> None:
    rng = random.Random(7)
    vocab = [f"w{k}" for k in range(20000)]
    big = " ".join(rng.choice(vocab) for _ in range(1_700_000))  # ~10 MB
    assert len(big) > 10_000_000
    t0 = time.perf_counter()
    out = run(MinHashDedup(), tmp_path, {"00000": [rec("big", big)],
                                         "00001": [rec("big-copy", big[:9_000_000]),
                                                   rec("other", page(body(0)))]})
    assert removed(out) == {"big-copy": "big"}
    assert time.perf_counter() - t0 < 60


def test_signatures_estimate_jaccard() -> None:
    h = MinHasher(n_gram=3, bands=16, rows=8)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, 4000, dtype=np.uint64)
    b = np.concatenate([a[:3000], rng.integers(0, 2**63, 1000, dtype=np.uint64)])
    sa, sb = h.signatures([a, b])
    assert abs((sa == sb).mean() - 3000 / 5000) < 0.12
    # Batched and one-at-a-time signatures agree.
    assert (h.signatures([a])[0] == sa).all() and (h.signatures([b])[0] == sb).all()


def test_component_labels_are_smallest_members() -> None:
    a = np.array([5, 1, 7, 3, 8])
    b = np.array([1, 2, 3, 9, 6])
    labels = component_labels(a, b, 10)
    assert labels.tolist() == [0, 1, 1, 3, 4, 1, 6, 3, 6, 3]
