"""Model pipeline on torch for GPU hosts: layout detection, then line recognition.

The CPU default (`ocr.py`) reads pages one at a time with the small models the
wheels carry. With a GPU, bigger models pay off when pages go through them in
batches: a layout detector (DocLayout-YOLO, PP-DocLayout, RT-DETR ...) finds
the text blocks of a batch of pages at once, the blocks are cut into lines,
and a CTC line recogniser (PP-OCR rec, CRNN/SVTR style) reads all the lines of
the batch in width-sorted batches. The same code runs on CPU, slowly.

Weights come from a local directory only (`--models DIR`); nothing is
downloaded. The models are TorchScript files, so no architecture code has to
match them: export once with `torch.jit.script`/`torch.jit.trace` wherever the
model was trained. Expected layout of DIR:

    DIR/manifest.json
    DIR/layout.pt         TorchScript: float [B, 3, H, W] in [0, 1] (RGB, letterboxed
                          to `input_size`, white padding) -> float [B, N, 6] rows of
                          (x0, y0, x1, y1, score, class) in input pixels, after NMS;
                          rows with score 0 are padding (YOLO-style export with nms=True)
    DIR/rec.pt            TorchScript: float [B, 3, 48, W] normalised to [-1, 1] ->
                          logits [B, T, C]; class 0 is the CTC blank, class i is
                          line i of the charset file
    DIR/charset.txt       one character per line (UTF-8)

manifest.json:
    {"layout": {"file": "layout.pt", "input_size": [1024, 1024],
                "labels": ["text", "title", "figure", ...],
                "text_labels": ["text", "title", ...], "score_threshold": 0.3},
     "rec": {"file": "rec.pt", "charset": "charset.txt", "height": 48,
             "max_width": 1600}}

torch lives in the `gpu` extra; nothing else in corpusmill imports this module.
"""
from __future__ import annotations

import argparse
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from corpusmill.layout.layout_model import LayoutBlock
from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.layout.reading_order import order_lines

# A text row needs this share of ink pixels to count as part of a line, and
# gaps of fewer rows than this are ink spread within one line (descenders).
_ROW_INK_SHARE = 0.002
_MIN_LINE_GAP_ROWS = 2
_MIN_LINE_HEIGHT = 6


@dataclass
class PageResult:
    """One page: its layout blocks and its text lines in reading order (page pixels)."""

    blocks: list[LayoutBlock]
    lines: list[OcrLine]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class ModelDirError(ValueError):
    """The models directory does not hold what manifest.json promises."""


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


class GpuPagePipeline:
    """Layout + recognition models from a local directory, run on `device` in batches."""

    def __init__(self, models_dir: str | Path, device: str | None = None, page_batch: int = 8,
                 line_batch: int = 64) -> None:
        self.models_dir = Path(models_dir)
        manifest_path = self.models_dir / "manifest.json"
        if not manifest_path.is_file():
            raise ModelDirError(f"{manifest_path} not found (see corpusmill/layout/gpu_backend.py for the layout)")
        manifest = json.loads(manifest_path.read_text())
        self.device = torch.device(device or default_device())
        # Half precision halves memory and doubles throughput on GPUs; CPUs
        # have no fast fp16 path, so they stay in fp32.
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.page_batch = page_batch
        self.line_batch = line_batch

        lay = _section(manifest, "layout", ("file", "input_size", "labels"))
        self.layout_model = self._load(lay["file"])
        self.input_h, self.input_w = (int(v) for v in lay["input_size"])
        self.labels: list[str] = list(lay["labels"])
        self.text_labels = set(lay.get("text_labels", self.labels))
        self.score_threshold = float(lay.get("score_threshold", 0.3))

        rec = _section(manifest, "rec", ("file", "charset"))
        self.rec_model = self._load(rec["file"])
        charset_path = self.models_dir / rec["charset"]
        if not charset_path.is_file():
            raise ModelDirError(f"charset file {charset_path} not found")
        self.charset = charset_path.read_text(encoding="utf-8").split("\n")
        if self.charset and self.charset[-1] == "":
            self.charset.pop()
        self.rec_height = int(rec.get("height", 48))
        self.rec_max_width = int(rec.get("max_width", 1600))

    def _load(self, name: str) -> torch.jit.ScriptModule:
        path = self.models_dir / name
        if not path.is_file():
            raise ModelDirError(f"model file {path} not found")
        with warnings.catch_warnings():
            # torch 2.13 marks TorchScript deprecated; loading it is still supported.
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location=self.device)
        model.eval()
        return model.to(self.dtype)

    def run(self, pages: list[np.ndarray]) -> list[PageResult]:
        """(H, W, 3) uint8 RGB pages -> blocks and ordered lines per page."""
        results: list[PageResult] = []
        for start in range(0, len(pages), self.page_batch):
            chunk = pages[start:start + self.page_batch]
            blocks = self.detect(chunk)
            results.extend(self._read(chunk, blocks))
        return results

    @torch.inference_mode()
    def detect(self, pages: list[np.ndarray]) -> list[list[LayoutBlock]]:
        """Layout blocks of each page, in page pixels: one forward pass for the batch."""
        batch, scales = [], []
        for page in pages:
            canvas, scale = _letterbox(page, self.input_h, self.input_w)
            batch.append(canvas)
            scales.append(scale)
        x = torch.from_numpy(np.stack(batch)).to(self.device).permute(0, 3, 1, 2)
        x = x.to(self.dtype).div_(255.0)
        out = self.layout_model(x).float().cpu().numpy()
        if out.ndim != 3 or out.shape[0] != len(pages) or out.shape[2] != 6:
            raise ModelDirError(f"layout model returned shape {out.shape}, expected [B, N, 6]")
        blocks = []
        for rows, scale, page in zip(out, scales, pages):
            h, w = page.shape[:2]
            found = []
            for x0, y0, x1, y1, score, cls in rows:
                if score < self.score_threshold:
                    continue
                label = self.labels[int(cls)] if 0 <= int(cls) < len(self.labels) else f"class_{int(cls)}"
                box = (max(0.0, x0 / scale), max(0.0, y0 / scale), min(w, x1 / scale), min(h, y1 / scale))
                if box[2] > box[0] and box[3] > box[1]:
                    found.append(LayoutBlock(type=label, bbox=box, score=float(score)))
            blocks.append(found)
        return blocks

    def _read(self, pages: list[np.ndarray], blocks: list[list[LayoutBlock]]) -> list[PageResult]:
        crops: list[np.ndarray] = []
        owners: list[tuple[int, tuple[float, float, float, float]]] = []
        for i, (page, page_blocks) in enumerate(zip(pages, blocks)):
            for block in page_blocks:
                if block.type in self.text_labels:
                    for box in split_lines(page, block.bbox):
                        x0, y0, x1, y1 = (round(v) for v in box)
                        crops.append(page[y0:y1, x0:x1])
                        owners.append((i, box))
        texts = self.recognize(crops)
        lines: list[list[OcrLine]] = [[] for _ in pages]
        for (i, box), (text, conf) in zip(owners, texts):
            if text.strip():
                lines[i].append(OcrLine(text=text, bbox=box, confidence=conf))
        return [PageResult(b, order_lines(ln, page.shape[1])) for page, b, ln in zip(pages, blocks, lines)]

    @torch.inference_mode()
    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Line images -> (text, confidence), batched by width to waste little padding."""
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        resized = [_rec_resize(c, self.rec_height, self.rec_max_width) for c in crops]
        order = sorted(range(len(crops)), key=lambda i: resized[i].shape[1])
        for start in range(0, len(order), self.line_batch):
            idx = order[start:start + self.line_batch]
            width = max(resized[i].shape[1] for i in idx)
            batch = np.full((len(idx), self.rec_height, width, 3), 255, np.uint8)
            for row, i in enumerate(idx):
                batch[row, :, :resized[i].shape[1]] = resized[i]
            x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).to(self.dtype)
            x = x.div_(127.5).sub_(1.0)
            logits = self.rec_model(x).float()
            if logits.ndim != 3 or logits.shape[0] != len(idx):
                raise ModelDirError(f"rec model returned shape {tuple(logits.shape)}, expected [B, T, C]")
            probs = logits.softmax(-1)
            best_p, best = probs.max(-1)
            for row, i in enumerate(idx):
                results[i] = ctc_decode(best[row].cpu().numpy(), best_p[row].cpu().numpy(), self.charset)
        return results


class ModelOcrEngine:
    """The model pipeline behind the `OcrEngine` interface, for the PDF stage's OCR route.

    `get_ocr_engine("models:/path/to/weights")` builds it; pages it reads get
    the route `model`. The PDF stage hands it up to `batch_size` pages of a
    document at once (`recognize_batch`): one layout forward pass per batch,
    and the lines of all those pages recognised in width-sorted batches.
    """

    def __init__(self, models_dir: str | Path, device: str | None = None) -> None:
        self.pipeline = GpuPagePipeline(models_dir, device=device)
        self.name = f"models:{self.pipeline.device.type}"
        self.batch_size = self.pipeline.page_batch

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        return self.pipeline.run([image])[0].lines

    def recognize_batch(self, images: list[np.ndarray]) -> list[list[OcrLine]]:
        return [result.lines for result in self.pipeline.run(images)]


def ctc_decode(best: np.ndarray, best_p: np.ndarray, charset: list[str]) -> tuple[str, float]:
    """Greedy CTC: merge repeats, drop blanks (class 0); confidence = mean kept prob."""
    chars, probs = [], []
    prev = -1
    for cls, p in zip(best.tolist(), best_p.tolist()):
        if cls != prev and cls != 0 and cls - 1 < len(charset):
            chars.append(charset[cls - 1])
            probs.append(p)
        prev = cls
    return "".join(chars), float(np.mean(probs)) if probs else 0.0


def split_lines(page: np.ndarray, bbox: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """Text lines inside a block by the horizontal ink profile, in page pixels."""
    x0, y0, x1, y1 = (round(v) for v in bbox)
    crop = cv2.cvtColor(page[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    if crop.size == 0:
        return []
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    rows = ink.sum(axis=1) > max(1, _ROW_INK_SHARE * ink.shape[1])
    lines = []
    start, gap = None, 0
    for y, has_ink in enumerate(list(rows) + [False] * (_MIN_LINE_GAP_ROWS + 1)):
        if has_ink:
            start = y if start is None else start
            gap = 0
        elif start is not None:
            gap += 1
            if gap > _MIN_LINE_GAP_ROWS:
                end = y - gap + 1
                if end - start >= _MIN_LINE_HEIGHT:
                    cols = np.flatnonzero(ink[start:end].any(axis=0))
                    lines.append((float(x0 + cols[0]), float(y0 + start), float(x0 + cols[-1] + 1), float(y0 + end)))
                start, gap = None, 0
    return lines


def _letterbox(page: np.ndarray, h: int, w: int) -> tuple[np.ndarray, float]:
    scale = min(h / page.shape[0], w / page.shape[1])
    resized = cv2.resize(page, (max(1, round(page.shape[1] * scale)), max(1, round(page.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.full((h, w, 3), 255, np.uint8)
    canvas[:resized.shape[0], :resized.shape[1]] = resized
    return canvas, scale


def _rec_resize(crop: np.ndarray, height: int, max_width: int) -> np.ndarray:
    width = min(max_width, max(8, round(crop.shape[1] * height / max(1, crop.shape[0]))))
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)


def _section(manifest: dict[str, Any], key: str, required: tuple[str, ...]) -> dict[str, Any]:
    section = manifest.get(key)
    if not isinstance(section, dict):
        raise ModelDirError(f"manifest.json lacks the {key!r} section")
    missing = [k for k in required if k not in section]
    if missing:
        raise ModelDirError(f"manifest.json {key!r} lacks {missing}")
    return section


def main(argv: list[str] | None = None) -> None:
    """`python -m corpusmill.layout.gpu_backend --models DIR page.png ...`: text of each page."""
    ap = argparse.ArgumentParser(description="Read page images with the torch model pipeline.")
    ap.add_argument("--models", required=True, type=Path, help="directory with manifest.json (see module doc)")
    ap.add_argument("--device", default=None, help="cuda, cuda:1, cpu (default: cuda when available)")
    ap.add_argument("--page-batch", type=int, default=8)
    ap.add_argument("images", nargs="+", type=Path)
    args = ap.parse_args(argv)
    pipeline = GpuPagePipeline(args.models, device=args.device, page_batch=args.page_batch)
    pages = []
    for path in args.images:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read image {path}")
        pages.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for path, result in zip(args.images, pipeline.run(pages)):
        print(f"==> {path} ({len(result.blocks)} blocks, {len(result.lines)} lines)")
        print(result.text)


if __name__ == "__main__":
    main()
