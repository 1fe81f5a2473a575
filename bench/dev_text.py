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


def dev_records(work: Path, preset: str = "none") -> tuple[list[Record], list[Record]]:
    """(kept, dropped) text records of the dev WARC (WARC records that are no document left out)."""
    kept, dropped = [], []
    for f, rec in iter_output(extracted(work, preset)):
        if rec.status == "ok":
            kept.append(rec)
        elif rec.text or any(p["stage"] not in ("warc_reader",) for p in rec.provenance[1:]):
            dropped.append(rec)
    return kept, dropped
