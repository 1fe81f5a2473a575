"""Pages scanned sideways or upside down: find the turn that makes them readable.

Deskew handles a few degrees; this handles quarter turns. It needs no extra
model: the OCR engine's own output tells.
- A sideways page (90 or 270 degrees) gives line boxes taller than they are
  wide for most of its text.
- A page upside down (or sideways, read the wrong way round) gives low
  recognition confidence: the recogniser reads rotated glyphs as noise. An
  upright dev scan, even degraded, scores >= 0.98 character-weighted; the same
  pages turned 90 or 180 degrees score about 0.6.
An upright, confident page costs nothing extra; a suspect one is read again
in the candidate turns and the turn with the most confident text wins.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corpusmill.layout.ocr_lines import OcrEngine, OcrLine, page_confidence

# Character-weighted confidence below which the page may be upside down.
_UPRIGHT_CONFIDENCE = 0.8
# Share of the text in boxes taller than wide that marks a sideways page.
_SIDEWAYS_SHARE = 0.5
_TALL = 1.5
# Fewer recognised characters than this and there is nothing to judge by.
_MIN_CHARS = 20


@dataclass
class UprightRead:
    rotation: int  # degrees clockwise the page was turned to read it (0, 90, 180, 270)
    image: np.ndarray  # the page as read, after that turn
    lines: list[OcrLine]  # boxes in `image`'s coordinates


def read_upright(engine: OcrEngine, image: np.ndarray, lines: list[OcrLine] | None = None) -> UprightRead:
    """OCR `image`, turning it by quarter turns when its text is not upright.

    `lines`: the engine's reading of `image` as it is, when already done (in a batch).
    """
    first = UprightRead(0, image, engine.recognize(image) if lines is None else lines)
    chars = _chars(first.lines)
    if chars < _MIN_CHARS:
        return first
    sideways = _tall_share(first.lines) >= _SIDEWAYS_SHARE
    if not sideways and page_confidence(first.lines) >= _UPRIGHT_CONFIDENCE:
        return first
    turns = (90, 270) if sideways else (180,)
    reads = [first] + [_read_turned(engine, image, t) for t in turns]
    # A sideways read keeps its tall boxes even when confident; it only wins
    # if nothing upright reads better.
    return max(reads, key=lambda r: (_tall_share(r.lines) < _SIDEWAYS_SHARE, _score(r.lines)))


def _read_turned(engine: OcrEngine, image: np.ndarray, degrees: int) -> UprightRead:
    # np.rot90 turns counter-clockwise; k = -1 is a quarter turn clockwise.
    turned = np.ascontiguousarray(np.rot90(image, k=-(degrees // 90)))
    return UprightRead(degrees, turned, engine.recognize(turned))


def _chars(lines: list[OcrLine]) -> int:
    return sum(len(line.text) for line in lines)


def _score(lines: list[OcrLine]) -> float:
    """Confidently read characters: what a right turn maximises."""
    return sum(line.confidence * len(line.text) for line in lines)


def _tall_share(lines: list[OcrLine]) -> float:
    tall = sum(len(line.text) for line in lines
               if (line.bbox[3] - line.bbox[1]) > _TALL * (line.bbox[2] - line.bbox[0]) and len(line.text) > 1)
    return tall / max(1, _chars(lines))
