"""Scaling of the WARC job: 1 vs 2 workers, local vs Ray, memory at 1x vs 4x input.

    .venv/bin/python bench/scaling.py [--copies 4]

Input: ../shared/corpora/warc/dev.warc.gz, and the same file repeated (`--copies`,
as links under bench/work/scaling/) for the larger runs. Each configuration is
run as the real CLI in a subprocess; docs/s is input records over the run's
wall time as stats.json reports it (executor start-up, e.g. `ray.init`, is not
included), peak RSS is the largest worker's ru_maxrss as each shard reports it.
Dedup is off: the repeated copies share WARC-Record-IDs, which a real corpus
never does; everything else is the default fineweb job.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "corpora" / "warc" / "dev.warc.gz"
WORK = ROOT / "bench" / "work" / "scaling"
CLI = [str(ROOT / ".venv" / "bin" / "corpusmill")]


def _inputs(copies: int) -> list[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(copies):
        link = WORK / f"dev-copy{i}.warc.gz"
        if not link.exists():
            os.symlink(DEV, link)
        paths.append(str(link))
    return paths


def run(inputs: list[str], workers: int, executor: str, tag: str) -> dict:
    out = WORK / f"out-{tag}"
    cmd = CLI + ["warc", *inputs, "-o", str(out), "--workers", str(workers), "--executor", executor,
                 "--no-dedup", "--quiet", "--overwrite"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    stats = json.loads((out / "stats.json").read_text())
    return {"config": tag, "executor": executor, "workers": workers, "input": stats["input"],
            "wall_s": stats["wall_seconds"], "docs_per_s": stats["input"] / stats["wall_seconds"],
            "worker_peak_rss_mb": stats["worker_peak_rss_mb"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()
    if not DEV.exists():
        print(f"needs {DEV}", file=sys.stderr)
        return 2
    big = _inputs(args.copies)
    rows = [run(big[:1], 1, "local", "local-1w-1x")]
    for executor in ("local",) + (() if args.skip_ray else ("ray",)):
        for w in (1, 2):
            rows.append(run(big, w, executor, f"{executor}-{w}w-{args.copies}x"))
    by = {r["config"]: r for r in rows}
    n = args.copies
    speedup = by[f"local-2w-{n}x"]["docs_per_s"] / by[f"local-1w-{n}x"]["docs_per_s"]
    lines = [
        f"## Scaling (bench/scaling.py) - {dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores",
        "", "| config | workers | input records | wall s | docs/s | worker peak RSS MB |",
        "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['workers']} | {r['input']:,} | {r['wall_s']:.1f} | "
                     f"{r['docs_per_s']:.1f} | {r['worker_peak_rss_mb']:.0f} |")
    lines += ["", f"- local speed-up 1 -> 2 workers at {n}x: **{speedup:.2f}x** (target >= 1.8x)"]
    if not args.skip_ray:
        for w in (1, 2):
            ratio = by[f"ray-{w}w-{n}x"]["docs_per_s"] / by[f"local-{w}w-{n}x"]["docs_per_s"]
            lines.append(f"- Ray / local docs/s with {w} worker(s): **{ratio:.2f}** (target >= 0.85)")
    mem = by[f"local-1w-{n}x"]["worker_peak_rss_mb"] / by["local-1w-1x"]["worker_peak_rss_mb"]
    lines.append(f"- worker peak RSS {n}x / 1x input (1 worker): **{mem:.2f}** (flat = about 1.0)")
    text = "\n".join(lines) + "\n"
    print(text)
    res = ROOT / "bench" / "results"
    res.mkdir(exist_ok=True)
    (res / "scaling.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
