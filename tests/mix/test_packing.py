"""Best-fit-decreasing packing: every token of every document exactly once; splits only for long documents."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import orjson
import pytest

from corpusmill.mix.packing import best_fit_decreasing, concat_and_chunk
from corpusmill.tokens import load_tokenizer
from tests.conftest import write_jsonl
from tests.jobs.test_warc_job import cli

WORDS = "the of river engine quantum 东京 café data 42 theory garden".split()


def _coverage(packed, n: int) -> dict[int, list[tuple[int, int]]]:
    covered: dict[int, list[tuple[int, int]]] = {}
    for seq in packed.sequences:
        assert 0 < sum(p.length for p in seq) <= n
        for p in seq:
            assert p.length > 0
            covered.setdefault(p.doc, []).append((p.start, p.length))
    return covered


@pytest.mark.parametrize("fill", [False, True])
def test_bfd_invariants_on_random_lengths(fill: bool) -> None:
    rng = random.Random(3)
    n = 128
    lengths = [rng.choice([rng.randint(1, 40), rng.randint(41, 127), rng.randint(128, 600)]) for _ in range(2000)]
    packed = best_fit_decreasing(lengths, n, fill=fill)
    covered = _coverage(packed, n)
    for d, length in enumerate(lengths):
        parts = sorted(covered[d])
        assert sum(x for _s, x in parts) == length and parts[0][0] == 0
        assert all(a + la == b for (a, la), (b, _lb) in zip(parts, parts[1:]))  # no gap, no overlap
        # Only documents longer than n are split: into ceil(length / n) pieces without fill, maybe more with it.
        if length <= n:
            assert len(parts) == 1
        elif fill:
            assert len(parts) >= -(-length // n)
        else:
            assert len(parts) == -(-length // n)
    assert packed.split_documents == sum(1 for x in lengths if x > n)
    assert packed.split_pieces == sum(len(covered[d]) for d, x in enumerate(lengths) if x > n)
    seqs, pad, split = concat_and_chunk(lengths, n)
    assert split > packed.split_documents
    assert packed.padding == len(packed.sequences) * n - sum(lengths)
    assert pad < n and seqs == -(-sum(lengths) // n)


def test_gap_fill_reaches_the_least_padding_that_best_fit_misses() -> None:
    # Documents of 0.6 n pair with nothing: best-fit alone pads 0.4 n next to each. The long
    # documents, split anyway, fill those gaps; no other document is split.
    n = 1000
    lengths = [600] * 50 + [2500, 3700, 1800, 5200, 2900, 4100]
    plain = best_fit_decreasing(lengths, n, fill=False)
    filled = best_fit_decreasing(lengths, n, fill=True)
    least = -(-sum(lengths) // n) * n - sum(lengths)
    assert plain.padding > 20 * 400
    assert filled.padding == least == concat_and_chunk(lengths, n)[1]
    assert filled.split_documents == plain.split_documents == 6 < concat_and_chunk(lengths, n)[2]
    covered = _coverage(filled, n)
    assert all(len(covered[d]) == 1 for d in range(50))
    for d in range(50, 56):
        parts = sorted(covered[d])
        assert [s for s, _x in parts] == [0, *[a + la for a, la in parts[:-1]]]
        assert sum(x for _s, x in parts) == lengths[d]


def _unpack(out: Path, rep: dict, pad_id: int) -> dict[str, list[tuple[int, list[int]]]]:
    """Every document's pieces (doc offset, token ids) read back from the shards; checks slots and padding."""
    ids = {}
    for w in range(rep["windows"]):
        for line in (out / "data" / f"documents-{w:05d}.jsonl").read_bytes().splitlines():
            d = orjson.loads(line)
            ids[d["index"]] = d["id"]
    got: dict[str, list[tuple[int, list[int]]]] = {}
    for w in range(rep["windows"]):
        toks = np.load(out / "data" / f"tokens-{w:05d}.npy")
        segs = np.load(out / "data" / f"segments-{w:05d}.npy")
        used = np.zeros(toks.shape, dtype=bool)
        for row, off, length, doc, doc_off in segs.tolist():
            assert not used[row, off:off + length].any()  # no token slot used twice
            used[row, off:off + length] = True
            got.setdefault(ids[doc], []).append((doc_off, toks[row, off:off + length].tolist()))
        assert (toks[~used] == pad_id).all()  # the rest is padding
    return got


def test_pack_command_round_trips_every_token(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [{"id": f"d{i}", "text": " ".join(rng.choice(WORDS) for _ in range(rng.choice([3, 20, 60, 200])))}
            for i in range(300)]
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    out = tmp_path / "packed"
    r = cli("pack", str(src), "-o", str(out), "--seq-len", "64", "--tokenizer", "cl100k_base",
            "--window-tokens", "4000")
    assert r.returncode == 0, r.stderr
    assert "best-fit decreasing" in r.stdout
    rep = json.loads((out / "pack.json").read_text())
    assert rep["windows"] > 2
    tok = load_tokenizer("cl100k_base")
    want = {x["id"]: tok.encode_batch([x["text"]])[0] + [tok.eos_id] for x in rows}
    got = _unpack(out, rep, tok.eos_id)
    assert set(got) == set(want)
    for did, parts in got.items():
        assert [t for _o, p in sorted(parts) for t in p] == want[did]
        assert len(parts) == 1 or len(want[did]) > 64
    bf, cc = rep["best_fit"], rep["concat_and_chunk"]
    assert bf["split_documents"] < cc["split_documents"]
    assert bf["padding_tokens"] == bf["sequences"] * 64 - rep["tokens"]
    # The text view decodes each piece.
    with gzip.open(out / "data" / "text-00000.jsonl.gz") as fh:
        first = orjson.loads(fh.readline())
    p0 = first["pieces"][0]
    assert p0["text"].replace("<|endoftext|>", "") in next(x["text"] for x in rows if x["id"] == p0["id"])


def test_a_document_of_no_tokens_is_a_named_skip_not_a_counted_document(tmp_path: Path) -> None:
    """Whitespace without an end-of-text token encodes to nothing: skipped with its reason, not counted as packed."""
    src = write_jsonl(tmp_path / "c.jsonl.gz", [{"id": "blank", "text": "  \n "}, {"id": "d", "text": "one two three"}])
    r = cli("pack", str(src), "-o", str(tmp_path / "p"), "--seq-len", "8", "--tokenizer", "whitespace", "--no-eos")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "p" / "pack.json").read_text())
    assert (rep["documents"], rep["skipped_records"]) == (1, {"no tokens": 1})
    pad = load_tokenizer("whitespace").eos_id
    assert set(_unpack(tmp_path / "p", rep, 0 if pad is None else pad)) == {"d"}


def test_pack_bad_input(tmp_path: Path) -> None:
    r = cli("pack", str(tmp_path / "nope"), "-o", str(tmp_path / "o"), "--seq-len", "64")
    assert r.returncode == 2 and "no input" in r.stderr and r.stderr.strip().count("\n") == 0
