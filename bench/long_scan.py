"""A long scanned book through `corpusmill pdf` with the defaults: ok, every page OCRed, s/page wall.

The book is the 20 degraded dev scans (../shared/corpora/pdf/dev/scans/degraded_jpg)
as the pages of one image-only PDF, cycled to `--pages` pages (default 30). The
job runs as a user would run it (`corpusmill pdf book.pdf -o OUT --workers N`);
the page ranges of the book spread over the workers.

Usage: .venv/bin/python bench/long_scan.py [--pages 30] [--workers 2]
Writes bench/results/long_scan.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
SCANS = ROOT / ".." / "shared" / "corpora" / "pdf" / "dev" / "scans" / "degraded_jpg"
RESULTS = ROOT / "bench" / "results" / "long_scan.md"


def book(pages: int) -> bytes:
    jpgs = sorted(SCANS.glob("*.jpg"))
    doc = pymupdf.open()
    for k in range(pages):
        image = pymupdf.open(jpgs[k % len(jpgs)])
        w, h = image[0].rect.width, image[0].rect.height  # at 72 dpi; the scans are 200 dpi
        page = doc.new_page(width=w * 72 / 200, height=h * 72 / 200)
        page.insert_image(page.rect, filename=str(jpgs[k % len(jpgs)]))
    return doc.tobytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.pdf"
        path.write_bytes(book(args.pages))
        out = Path(tmp) / "out"
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "corpusmill.cli", "pdf", str(path), "-o", str(out),
                               "--workers", str(args.workers), "--quiet"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"corpusmill pdf failed ({proc.returncode}): {proc.stderr[-2000:]}")
        stats = json.loads((out / "stats.json").read_text())
        rows = []
        for f in sorted((out / "data").glob("*.jsonl.gz")):
            rows += [json.loads(line) for line in gzip.open(f)]
        rejects = sum(1 for f in (out / "rejects").glob("*.jsonl.gz") for _ in gzip.open(f))
    routes: dict[str, int] = {}
    for rec in rows:
        for page in rec["pages"]:
            routes[page["route"]] = routes.get(page["route"], 0) + 1
    status = "ok" if len(rows) == 1 and not rejects else f"{len(rows)} kept, {rejects} rejected"
    load = os.getloadavg()[0]
    line = (f"| {args.pages} | {args.workers} | {status} | {routes} | {wall:.1f} | {wall / args.pages:.2f} | "
            f"{stats.get('worker_peak_rss_mb')} |")
    print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        f"# A long scanned book with the defaults\n\nDate: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. "
        f"Machine: {os.cpu_count()} cores, shared (load average {load:.1f} at the end). Command: "
        f"`.venv/bin/python bench/long_scan.py --pages {args.pages} --workers {args.workers}` "
        f"(the 20 degraded dev scans as one image-only PDF, cycled).\n\n"
        "| pages | workers | record | page routes | wall s | wall s/page | worker peak RSS MB |\n"
        "|---|---|---|---|---|---|---|\n" + line + "\n")


if __name__ == "__main__":
    main()
