"""Records/s reading the dev WARC: corpusmill's WarcReader vs plain FastWARC vs warcio (one core).

    .venv/bin/python bench/warc_reader.py [path/to/file.warc.gz] [--runs N]

Every contender reads every record and its whole payload (block): FastWARC and
warcio only parse; WarcReader also decodes content-encodings and chunking,
hashes the payload (sha1), sniffs the media type and builds a Record, with the
framing checks and resynchronisation that make it safe on damaged files.
Best of N round-robin runs each, in one process (all three are single-threaded).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

from fastwarc.warc import ArchiveIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpusmill.acquire.warc_reader import WarcReader  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".." / "shared" / "corpora" / "warc" / "dev.warc.gz"


def corpusmill_reader(path: Path) -> int:
    return sum(1 for _ in WarcReader().read(path))


def fastwarc_plain(path: Path) -> int:
    n = 0
    for rec in ArchiveIterator(str(path), parse_http=True):
        rec.reader.read()
        n += 1
    return n


def warcio_plain(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for rec in WarcioIterator(f):
            rec.content_stream().read()
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    path = Path(args.path)
    if not path.exists():
        sys.exit(f"{path} not found (needs shared/corpora beside the project)")
    size_mb = path.stat().st_size / 1e6
    contenders = [("corpusmill WarcReader", corpusmill_reader), ("FastWARC 2 iteration", fastwarc_plain),
                  ("warcio iteration", warcio_plain)]
    # Round-robin, so that load from other jobs on the machine hits every contender alike;
    # CPU seconds (process time) are what one core spends, waiting excluded.
    best_wall = {name: float("inf") for name, _ in contenders}
    best_cpu = dict(best_wall)
    counts: dict[str, int] = {}
    for _ in range(args.runs):
        for name, fn in contenders:
            w0, c0 = time.perf_counter(), time.process_time()
            counts[name] = fn(path)
            best_wall[name] = min(best_wall[name], time.perf_counter() - w0)
            best_cpu[name] = min(best_cpu[name], time.process_time() - c0)
    ref = best_cpu[contenders[0][0]]
    lines = [
        f"## warc_reader ({dt.date.today().isoformat()})",
        "",
        f"Machine: {os.cpu_count()} cores {platform.machine()}, shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end); one core used. Input: `{path.name}` ({size_mb:.1f} MB, "
        f"gzip per record). Best of {args.runs} round-robin runs; records/s from CPU seconds.",
        "",
        "| reader | records | CPU s | wall s | records/s | MB/s (compressed) | CPU time vs WarcReader |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _ in contenders:
        n, c, w = counts[name], best_cpu[name], best_wall[name]
        lines.append(f"| {name} | {n} | {c:.3f} | {w:.3f} | {n / c:,.0f} | {size_mb / c:.1f} | {c / ref:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / "warc_reader.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
