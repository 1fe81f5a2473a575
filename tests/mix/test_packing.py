"""Best-fit-decreasing packing: every token of every document exactly once; splits only for long documents."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import orjson

from corpusmill.mix.packing import best_fit_decreasing, concat_and_chunk
from corpusmill.tokens import load_tokenizer
from tests.conftest import write_jsonl
from tests.jobs.test_warc_job import cli

WORDS = "the of river engine quantum 东京 café data 42 theory garden".split()


def test_bfd_invariants_on_random_lengths() -> None:
    rng = random.Random(3)
    n = 128
    lengths = [rng.choice([rng.randint(1, 40), rng.randint(41, 127), rng.randint(128, 600)]) for _ in range(2000)]
    packed = best_fit_decreasing(lengths, n)
    covered: dict[int, list[tuple[int, int]]] = {}
    for seq in packed.sequences:
        assert 0 < sum(p.length for p in seq) <= n
        for p in seq:
            covered.setdefault(p.doc, []).append((p.start, p.length))
    for d, length in enumerate(lengths):
        parts = sorted(covered[d])
        assert sum(x for _s, x in parts) == length and parts[0][0] == 0
        assert all(a + la == b for (a, la), (b, _lb) in zip(parts, parts[1:]))  # no gap, no overlap
        # Only documents longer than n are split, into ceil(length / n) pieces.
        assert len(parts) == -(-length // n)
    assert packed.split_documents == sum(1 for x in lengths if x > n)
    seqs, pad, split = concat_and_chunk(lengths, n)
    assert split > packed.split_documents
    assert packed.padding == len(packed.sequences) * n - sum(lengths)
    assert pad < n and seqs == -(-sum(lengths) // n)


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
    docs = [orjson.loads(line) for line in (out / "documents.jsonl").read_bytes().splitlines()]
    got: dict[str, list[tuple[int, list[int]]]] = {}
    for w in range(rep["windows"]):
        toks = np.load(out / f"tokens-{w:05d}.npy")
        segs = np.load(out / f"segments-{w:05d}.npy")
        first_seq = segs[0, 0]
        used = np.zeros(toks.shape, dtype=bool)
        for seq, off, length, doc, doc_off in segs.tolist():
            row = seq - first_seq
            assert not used[row, off:off + length].any()  # no token slot used twice
            used[row, off:off + length] = True
            got.setdefault(docs[doc]["id"], []).append((doc_off, toks[row, off:off + length].tolist()))
        assert (toks[~used] == tok.eos_id).all()  # the rest is padding
    assert set(got) == set(want)
    for did, parts in got.items():
        assert [t for _o, p in sorted(parts) for t in p] == want[did]
        assert len(parts) == 1 or len(want[did]) > 64
    bf, cc = rep["best_fit"], rep["concat_and_chunk"]
    assert bf["split_documents"] < cc["split_documents"]
    assert bf["padding_tokens"] == bf["sequences"] * 64 - rep["tokens"]
    # The text view decodes each piece.
    with gzip.open(out / "text-00000.jsonl.gz") as fh:
        first = orjson.loads(fh.readline())
    p0 = first["pieces"][0]
    assert p0["text"].replace("<|endoftext|>", "") in next(x["text"] for x in rows if x["id"] == p0["id"])


def test_pack_bad_input(tmp_path: Path) -> None:
    r = cli("pack", str(tmp_path / "nope"), "-o", str(tmp_path / "o"), "--seq-len", "64")
    assert r.returncode == 2 and "no input" in r.stderr and r.stderr.strip().count("\n") == 0
