from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dedup_docs import FOOTER, HEADER, PARAGRAPHS
from dedup_harness import flat, rec, run

from corpusmill.curate.dedup import ParagraphBloomDedup
from corpusmill.curate.dedup.bloom_filter import BloomFilter


def test_bloom_sizing_and_measured_false_positive_rate() -> None:
    bloom = BloomFilter(20_000, 0.01)
    assert bloom.bits == math.ceil(-20_000 * math.log(0.01) / math.log(2) ** 2)  # 191,702
    assert bloom.hashes == 7
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**64, (40_000, 2), dtype=np.uint64, endpoint=False)
    bloom.add(keys[:20_000, 0], keys[:20_000, 1])
    assert bloom.contains(keys[:20_000, 0], keys[:20_000, 1]).all()  # no false negatives
    fp = bloom.contains(keys[20_000:, 0], keys[20_000:, 1]).mean()
    assert 0.004 < fp < 0.02
    with pytest.raises(ValueError):
        BloomFilter(10, 1.5)


def test_paragraphs_seen_earlier_are_removed(tmp_path: Path) -> None:
    def doc(i: int) -> str:
        return "\n".join([HEADER, PARAGRAPHS[i], PARAGRAPHS[i + 1], FOOTER])

    shards = {"00001": [rec("c", doc(20) + "\n" + PARAGRAPHS[1].upper())],
              "00000": [rec("a", doc(0)), rec("b", doc(10))],
              "00002": [rec("copy", doc(0).replace("\n", "\n\n")), rec("empty", "")]}
    out = {r.id: r for r in flat(run(ParagraphBloomDedup(expected_items=1000), tmp_path, shards))}
    assert out["a"].ok and out["a"].provenance == []
    assert out["b"].text == "\n".join([PARAGRAPHS[10], PARAGRAPHS[11]])
    assert out["b"].provenance[-1]["action"] == "modified"
    assert out["b"].provenance[-1]["scores"]["removed_paragraphs"] == 2
    # Case and spacing do not make a paragraph new.
    assert out["c"].text == "\n".join([PARAGRAPHS[20], PARAGRAPHS[21]])
    assert out["copy"].status == "dropped"
    assert out["copy"].reason == "paragraph_dedup:duplicate_paragraphs"
    assert out["empty"].ok


def test_order_is_shard_then_position_whatever_the_input_order(tmp_path: Path) -> None:
    shards = {"00000": [rec("x", PARAGRAPHS[0] + "\n" + PARAGRAPHS[1])],
              "00001": [rec("y", PARAGRAPHS[1] + "\n" + PARAGRAPHS[2])]}
    a = run(ParagraphBloomDedup(expected_items=100), tmp_path / "a", shards)
    b = run(ParagraphBloomDedup(expected_items=100), tmp_path / "b", dict(reversed(shards.items())))
    assert {r.id: r.text for r in flat(a)} == {r.id: r.text for r in flat(b)} == \
        {"x": PARAGRAPHS[0] + "\n" + PARAGRAPHS[1], "y": PARAGRAPHS[2]}
