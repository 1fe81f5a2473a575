"""HTML main-text extraction on html-dev: quality and speed of corpusmill vs its peers.

One run, one process pinned to one core: every engine gets the same raw page bytes and
URL through `html_to_text` (so charset decoding is timed for all of them alike), is scored
with trafilatura's own rule (corpusmill.extract.scoring) and timed in pages/s. Metadata
(title, author, date, sitename) is compared with the `metadata` of expectations.json.

    .venv/bin/python bench/html_extraction.py [--engines corpusmill,trafilatura,...]

Writes bench/results/html_extraction.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpusmill.extract import html_to_text  # noqa: E402
from corpusmill.extract.scoring import SnippetScore  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpora" / "html-dev"
RESULTS = ROOT / "bench" / "results" / "html_extraction.md"
ENGINES = ("corpusmill", "trafilatura", "trafilatura-fast", "resiliparse")
METADATA_FIELDS = ("title", "author", "date", "sitename")


def _norm_meta(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def load_pages() -> list[tuple[str, bytes, dict]]:
    expectations = json.loads((CORPUS / "expectations.json").read_text(encoding="utf-8"))
    return [(name, gzip.decompress((CORPUS / "pages" / f"{name}.gz").read_bytes()), exp)
            for name, exp in sorted(expectations.items())]


def run_engine(engine: str, pages: list[tuple[str, bytes, dict]]) -> dict:
    score = SnippetScore()
    meta_hits = {f: 0 for f in METADATA_FIELDS}
    meta_total = {f: 0 for f in METADATA_FIELDS}
    seconds = 0.0
    for _name, content, exp in pages:
        # CPU time, not wall time: the machine is shared, and every engine is single-threaded.
        url = exp["url"] if exp["url"].startswith(("http://", "https://")) else None
        t0 = time.process_time()
        try:
            result = html_to_text(content, url=url, engine=engine)
            text, metadata = result.text, result.metadata
        except Exception:  # the scoring rule: a crash counts as empty output
            text, metadata = "", {}
        seconds += time.process_time() - t0
        score.add(text, exp["with"], exp["without"])
        for f in METADATA_FIELDS:
            expected = (exp.get("metadata") or {}).get(f)
            if expected:
                meta_total[f] += 1
                if metadata.get(f) and _norm_meta(metadata[f]) == _norm_meta(expected):
                    meta_hits[f] += 1
    return {
        "engine": engine, "precision": score.precision, "recall": score.recall, "f1": score.f1,
        "accuracy": score.accuracy, "pages_per_s": len(pages) / seconds, "seconds": seconds,
        "metadata": {f: (meta_hits[f] / meta_total[f] if meta_total[f] else 0.0, meta_total[f])
                     for f in METADATA_FIELDS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"html-dev not found at {CORPUS}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    pages = load_pages()
    engines = [e for e in args.engines.split(",") if e]
    for engine in engines:  # warm-up: imports and first-call costs stay out of the timing
        html_to_text(pages[0][1], engine=engine)
    results = [run_engine(e, pages) for e in engines]
    ref = next((r for r in results if r["engine"] == "trafilatura"), None)

    header = ("| engine | precision | recall | F1 | accuracy | pages/s | speed vs trafilatura "
              "| F1 vs trafilatura |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for r in results:
        speed = f"{r['pages_per_s'] / ref['pages_per_s']:.2f}x" if ref else "-"
        df1 = f"{r['f1'] - ref['f1']:+.4f}" if ref else "-"
        lines.append(f"| {r['engine']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} "
                     f"| {r['accuracy']:.4f} | {r['pages_per_s']:.1f} | {speed} | {df1} |")
    meta_lines = ["| engine | " + " | ".join(
        f"{f} (n={results[0]['metadata'][f][1]})" for f in METADATA_FIELDS) + " |",
        "|---|" + "---|" * len(METADATA_FIELDS)]
    for r in results:
        meta_lines.append(f"| {r['engine']} | " + " | ".join(
            f"{r['metadata'][f][0]:.3f}" for f in METADATA_FIELDS) + " |")

    table = "\n".join(lines)
    meta_table = "\n".join(meta_lines)
    print(table)
    print()
    print(meta_table)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores {platform.machine()}, shared with other jobs; bench pinned to 1 core"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        f"## HTML extraction (html-dev, {len(pages)} pages)\n\n"
        f"Date: {now}. Machine: {machine}. Python {platform.python_version()}.\n"
        "Scoring: trafilatura's tests/eval_common.py rule (whitespace-normalised snippet "
        "matching, corpus-level counts; a crash counts as empty output). Timing: "
        "`html_to_text(bytes, url, engine)` per page, charset decoding included, one process "
        "pinned to one core, all engines in the same run; pages/s from the process's CPU time "
        "(`time.process_time`), since other jobs share the machine's cores.\n\n"
        f"{table}\n\n"
        "Metadata accuracy (exact match after whitespace/case normalisation, over the pages "
        "whose expectations name the field; resiliparse has no author/date/sitename "
        "extractor):\n\n"
        f"{meta_table}\n",
        encoding="utf-8",
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
