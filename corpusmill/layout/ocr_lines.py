"""What every OCR engine gives back: text lines with boxes and confidences.

A module of its own so that the engines (`ocr.py`, `gpu_backend.py`) and what
consumes their lines (`reading_order.py`, `orientation.py`, `layout_model.py`)
depend on it and not on each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class OcrLine:
    """One recognised text line; bbox is (x0, y0, x1, y1) in image pixels."""

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float


def page_confidence(lines: list[OcrLine]) -> float:
    """Character-weighted confidence of a page's lines (0.0 without any): long lines count for more
    than stray specks read as a letter or two."""
    chars = sum(len(line.text) for line in lines)
    return sum(line.confidence * len(line.text) for line in lines) / chars if chars else 0.0


class OcrEngine(Protocol):
    name: str

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        """Text lines of an (H, W, 3) uint8 RGB page image."""
        ...


class OcrError(RuntimeError):
    """The engine could not read the image (missing binary, bad input)."""
