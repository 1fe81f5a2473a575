"""Shared test helpers: where the project and the shared dev corpora are."""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
FIXTURES = ROOT / "fixtures"
CLI = [sys.executable, "-m", "corpusmill.cli"]


@pytest.fixture
def shared_corpora() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared dev corpora not found at {SHARED}")
    return SHARED


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with gzip.open(path, "wb") as f:
        for r in rows:
            f.write(orjson.dumps(r) + b"\n")
    return path


def read_out(out: Path) -> dict[str, list[dict]]:
    """All records of a run's output, by where they landed.

    Our own records come as `Record.to_dict()` (nested fields as dicts, also
    where the corpus file holds them as JSON text); rows of another tool's
    corpus come as they are in the file.
    """
    from corpusmill.readers import iter_rows
    from corpusmill.record import RECORD_FIELDS, Record

    res: dict[str, list[dict]] = {"data": [], "rejects": []}
    for part in res:
        for f in sorted((out / part).glob("[!.]*")):
            res[part].extend(Record.from_dict(r).to_dict() if all(k in r for k in RECORD_FIELDS) else r
                             for r in iter_rows(f))
    return res
