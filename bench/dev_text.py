"""The dev WARC's documents as extracted text (no filters, no dedup, no PII), for the selection benches.

Runs `corpusmill warc --preset none --no-dedup --no-pii` once into a work folder (reused when it
is there) and reads the kept records back. `--preset fineweb` the same way gives the heuristic
filters' verdicts (the "expensive signal" the classifier bench distils).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from corpusmill.explain import iter_output
from corpusmill.record import Record

ROOT = Path(__file__).resolve().parents[1]
DEV_WARC = ROOT.parent / "shared" / "corpora" / "warc" / "dev.warc.gz"


def extracted(work: Path, preset: str = "none") -> Path:
    out = work / f"dev-{preset}"
    if not (out / "stats.json").exists():
        subprocess.run([sys.executable, "-m", "corpusmill.cli", "warc", str(DEV_WARC), "-o", str(out),
                        "--preset", preset, "--no-dedup", "--no-pii", "--quiet", "--overwrite"],
                       check=True, cwd=ROOT)
    return out


def warc_uuid(source: dict) -> str | None:
    """The record's WARC-Record-ID as the dev manifest and our gold files write it (bare uuid).
    Record ids are where a record sits (file + offset); gold files are keyed by this instead."""
    raw = source.get("warc_record_id") or ""
    return raw.strip("<>").removeprefix("urn:uuid:") or None


def dev_records(work: Path, preset: str = "none") -> tuple[list[Record], list[Record]]:
    """(kept, dropped) text records of the dev WARC (WARC records that are no document left out),
    with `id` set to the WARC-Record-ID the gold files use."""
    kept, dropped = [], []
    for f, rec in iter_output(extracted(work, preset)):
        rec.id = warc_uuid(rec.source) or rec.id
        if rec.status == "ok":
            kept.append(rec)
        elif rec.text or any(p["stage"] not in ("warc_reader",) for p in rec.provenance[1:]):
            dropped.append(rec)
    return kept, dropped
