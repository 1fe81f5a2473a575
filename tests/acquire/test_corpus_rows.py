"""Corpus JSONL rows one at a time: a bad row, or an over-long line, costs that row only."""
from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from corpusmill.readers import CorpusReader, LineTooLong, iter_rows


def _row(i: int) -> bytes:
    return orjson.dumps({"id": f"r{i}", "text": f"row {i} text"}) + b"\n"


@pytest.mark.parametrize("bad", [b"[1, 2, 3]\n", b'"a string"\n', b"42\n", b"null\n",
                                 b'{"id": "x", "text": "t", "metadata": "{not json", "source": {},'
                                 b' "media_type": "", "pages": [], "provenance": [], "status": "ok"}\n'])
def test_a_row_that_is_not_an_object_is_an_error_and_the_file_goes_on(tmp_path: Path, bad: bytes) -> None:
    p = tmp_path / "c.jsonl"
    p.write_bytes(_row(0) + bad + _row(2) + _row(3))
    recs = list(CorpusReader().read(p))
    assert [r.status for r in recs] == ["ok", "error", "ok", "ok"]
    assert [r.text for r in recs if r.ok] == ["row 0 text", "row 2 text", "row 3 text"]
    assert recs[1].reason.startswith("unreadable row 1: ") and recs[1].source == {"path": str(p), "row": 1}


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_an_over_long_line_is_an_error_read_past_in_bounded_steps(tmp_path: Path, suffix: str) -> None:
    long_line = b'{"id": "big", "text": "' + b"x" * (3 << 20) + b'"}\n'
    data = _row(0) + long_line + _row(2) + b"\n" + _row(3)
    p = tmp_path / f"c{suffix}"
    p.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    recs = list(CorpusReader(max_line_bytes=1 << 20).read(p))
    assert [r.status for r in recs] == ["ok", "error", "ok", "ok"]
    assert "exceeds the limit of 1048576 bytes" in recs[1].reason and str(len(long_line)) in recs[1].reason
    assert [r.id for r in recs if r.ok] == ["r0", "r2", "r3"]
    # A long line right at the end, with no newline, is an error too.
    tail = _row(0) + long_line.rstrip(b"\n")
    p.write_bytes(gzip.compress(tail) if suffix.endswith(".gz") else tail)
    assert [r.status for r in CorpusReader(max_line_bytes=1 << 20).read(p)] == ["ok", "error"]
    # Strict readers (benchmarks for decontamination) raise instead.
    with pytest.raises(LineTooLong):
        list(iter_rows(p, max_line_bytes=1 << 20))
