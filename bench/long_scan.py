"""Long scans through `corpusmill pdf` with the defaults: the 30-page target, and memory against page count.

Target run (default): the 20 degraded dev scans (../shared/corpora/pdf/dev/scans/degraded_jpg)
as the pages of one image-only PDF, cycled to `--pages` pages (default 30), run as a user would
(`corpusmill pdf book.pdf -o OUT --workers N`): ok, every page OCRed, s/page wall, CPU s/page.

Memory run (`--memory 100,500,2000`): image-only PDFs of that many pages, and a TIFF of
`--tiff-frames` frames, through the same command. Each page is a distinct small strip of a
degraded dev scan (a line or two, a few words wide, at 200 dpi, so 2,000 pages of OCR finish on
a shared 2-core machine); the page size does not change with the page count, so what grows with
it is the job's own memory (plans, ranges, the joined record). Peak RSS is polled over the whole process tree
(the CLI, its workers, their parser children) every 0.2 s.

The machine is shared: the load average before and after each run is recorded, and CPU
time (user + sys of the whole tree) beside the wall time.

Usage: .venv/bin/python bench/long_scan.py [--pages 30] [--workers 2]
       .venv/bin/python bench/long_scan.py --memory 40,200,2000 [--tiff-frames 500] [--text-every 10]
Writes bench/results/long_scan.md (the target run) or bench/results/long_scan_memory.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pymupdf
from PIL import Image

from corpusmill.parsers.pdf_worker import process_rss

ROOT = Path(__file__).resolve().parents[1]
SCANS = ROOT / ".." / "shared" / "corpora" / "pdf" / "dev" / "scans" / "degraded_jpg"
RESULTS = ROOT / "bench" / "results"
# A strip: a text line or two, a few words wide, of a 200-dpi scan. Small, so that the OCR of
# 2,000 pages finishes in minutes on a shared machine; memory per page does not depend on it.
STRIP_PX = 80
STRIP_W = 600


def book(pages: int) -> bytes:
    jpgs = sorted(SCANS.glob("*.jpg"))
    doc = pymupdf.open()
    for k in range(pages):
        image = pymupdf.open(jpgs[k % len(jpgs)])
        w, h = image[0].rect.width, image[0].rect.height  # at 72 dpi; the scans are 200 dpi
        page = doc.new_page(width=w * 72 / 200, height=h * 72 / 200)
        page.insert_image(page.rect, filename=str(jpgs[k % len(jpgs)]))
    return doc.tobytes()


def strips(n: int) -> list[bytes]:
    """n distinct JPEG strips of the degraded scans: scan k % 20, row k // 20, quality varied past that."""
    jpgs = sorted(SCANS.glob("*.jpg"))
    images = [Image.open(p).convert("L") for p in jpgs]
    out = []
    for k in range(n):
        img = images[k % len(images)]
        rows = (img.height - 200) // STRIP_PX
        row = (k // len(images)) % rows
        y = 100 + row * STRIP_PX
        buf = io.BytesIO()
        img.crop((150, y, 150 + STRIP_W, y + STRIP_PX)).save(buf, format="JPEG",
                                                      quality=80 - (k // (len(images) * rows)) % 20)
        out.append(buf.getvalue())
    return out


def page_strips(n: int, text_every: int) -> list[bytes]:
    """n strips, every `text_every`-th one with text, the others blank (white) strips of the same size."""
    texts = iter(strips(-(-n // text_every)))
    buf = io.BytesIO()
    Image.new("L", (STRIP_W, STRIP_PX), 255).save(buf, format="JPEG")
    return [next(texts) if k % text_every == 0 else buf.getvalue() for k in range(n)]


def strip_book(pages: int, text_every: int) -> bytes:
    doc = pymupdf.open()
    for jpeg in page_strips(pages, text_every):
        with Image.open(io.BytesIO(jpeg)) as img:
            w, h = img.size
        page = doc.new_page(width=w * 72 / 200, height=h * 72 / 200)
        page.insert_image(page.rect, stream=jpeg)
    return doc.tobytes()


def strip_tiff(frames: int, text_every: int) -> bytes:
    images = [Image.open(io.BytesIO(j)) for j in page_strips(frames, text_every)]
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return buf.getvalue()


class TreeRss:
    """Peak resident memory and CPU time of a process and all its descendants, polled from /proc.

    CPU time is each process's own user + sys at its last poll (a parser child outlives the worker
    that started it, so the kernel's accounting of reaped children would miss it); a process loses
    at most its last 0.2 s.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total = 0
        self.peak_one = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            pids = _tree(self.pid)
            rss = [process_rss(p) for p in pids]
            for p in pids:
                self.cpu[p] = max(self.cpu.get(p, 0.0), _cpu(p))
            self.peak_total = max(self.peak_total, sum(rss))
            self.peak_one = max([self.peak_one, *rss])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def run(path: Path, out: Path, workers: int) -> dict:
    """`corpusmill pdf PATH -o OUT --workers N`: wall, CPU, peak RSS, the record's pages by route."""
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "corpusmill.cli", "pdf", str(path), "-o", str(out),
                             "--workers", str(workers), "--quiet"], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    rss = TreeRss(proc.pid)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - t
    rss.stop()
    if proc.returncode != 0:
        raise SystemExit(f"corpusmill pdf failed ({proc.returncode}): {stderr[-2000:]}")
    rows = []
    for f in sorted((out / "data").glob("*.jsonl.gz")):
        rows += [json.loads(line) for line in gzip.open(f)]
    rejects = sum(1 for f in (out / "rejects").glob("*.jsonl.gz") for _ in gzip.open(f))
    routes: dict[str, int] = {}
    for rec in rows:
        pages = json.loads(rec["pages"]) if isinstance(rec["pages"], str) else rec["pages"]  # JSON text in a row
        for page in pages:
            routes[page["route"]] = routes.get(page["route"], 0) + 1
    return {"status": "ok" if len(rows) == 1 and not rejects else f"{len(rows)} kept, {rejects} rejected",
            "routes": routes, "wall": wall,
            "cpu": sum(rss.cpu.values()),
            "peak_total_mb": rss.peak_total / 2**20, "peak_one_mb": rss.peak_one / 2**20,
            "load": f"{load_before:.1f}/{os.getloadavg()[0]:.1f}", "file_mb": path.stat().st_size / 2**20}


def _header(command: str) -> str:
    return (f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} cores, shared "
            f"(load average before/after each run in the table). Command: `{command}`.\n\n")


def target(pages: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.pdf"
        path.write_bytes(book(pages))
        r = run(path, Path(tmp) / "out", workers)
    line = (f"| {pages} | {workers} | {r['status']} | {r['routes']} | {r['wall']:.1f} | {r['wall'] / pages:.2f} | "
            f"{r['cpu'] / pages:.2f} | {r['load']} | {r['peak_total_mb']:.0f} |")
    print(line)
    (RESULTS / "long_scan.md").write_text(
        "# A long scanned book with the defaults\n\n" + _header(
            f".venv/bin/python bench/long_scan.py --pages {pages} --workers {workers}")
        + "The 20 degraded dev scans as one image-only PDF, cycled.\n\n"
        "| pages | workers | record | page routes | wall s | wall s/page | CPU s/page | load before/after | "
        "peak RSS MB (all processes) |\n|---|---|---|---|---|---|---|---|---|\n" + line + "\n")


def memory(page_counts: list[int], tiff_frames: int, workers: int, text_every: int) -> None:
    lines = []
    text = "" if text_every == 1 else f", text on every {text_every}th page"
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [(f"PDF, {n} pages{text}", n, lambda n=n: strip_book(n, text_every), "book.pdf")
                  for n in page_counts]
        if tiff_frames:
            inputs.append((f"TIFF, {tiff_frames} frames{text}", tiff_frames,
                           lambda: strip_tiff(tiff_frames, text_every), "fax.tif"))
        for k, (what, n, make, name) in enumerate(inputs):
            path = Path(tmp) / f"{k}-{name}"
            path.write_bytes(make())
            r = run(path, Path(tmp) / f"out{k}", workers)
            path.unlink()
            line = (f"| {what} | {r['file_mb']:.1f} | {r['status']} | {r['routes']} | {r['wall']:.0f} | "
                    f"{r['cpu'] / n:.2f} | {r['load']} | {r['peak_total_mb']:.0f} | {r['peak_one_mb']:.0f} |")
            print(line, flush=True)
            lines.append(line)
    counts = ",".join(map(str, page_counts))
    (RESULTS / "long_scan_memory.md").write_text(
        "# Long scans: memory against page count\n\n" + _header(
            f".venv/bin/python bench/long_scan.py --memory {counts} --tiff-frames {tiff_frames} "
            f"--text-every {text_every} --workers {workers}")
        + "Pages are distinct strips of the degraded dev scans (see the script's docstring).\n\n"
        "| document | file MB | record | page routes | wall s | CPU s/page | load before/after | "
        "peak RSS MB, all processes | peak RSS MB, largest process |\n|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory", help="page counts for the memory run, e.g. 100,500,2000")
    ap.add_argument("--tiff-frames", type=int, default=0, help="with --memory: a TIFF of this many frames too")
    ap.add_argument("--text-every", type=int, default=1,
                    help="with --memory: text on every n-th page, the others blank (cheaper OCR)")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.memory:
        memory([int(n) for n in args.memory.split(",")], args.tiff_frames, args.workers, args.text_every)
    else:
        target(args.pages, args.workers)


if __name__ == "__main__":
    main()
