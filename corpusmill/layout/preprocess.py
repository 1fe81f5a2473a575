"""Clean-up of scanned page images before OCR: deskew, denoise, binarise.

Scans arrive a little rotated (a sheet is never fed perfectly straight), with
sensor noise and JPEG ringing. Line detectors cut skewed lines into pieces and
recognisers read speckles as punctuation, so we straighten and smooth the page
first. Each step is a plain function on an (H, W, 3) uint8 RGB array, so the
bench can measure each one on its own (`bench/ocr.py`).
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

# Scanners and document feeders stay within a couple of degrees; searching
# further makes the projection-profile estimate slower and no better.
MAX_SKEW_DEG = 2.0
_COARSE_STEP_DEG = 0.25
_FINE_STEP_DEG = 0.05
# The skew estimate runs on a copy this wide: enough pixels per text line to
# resolve 0.05 degrees, few enough to try ~40 angles in well under a second.
_ESTIMATE_WIDTH = 1000
# Below this the page is left as it is: resampling costs sharpness.
_MIN_CORRECTION_DEG = 0.1


# A page with fewer ink pixels than this share is blank: dust and speckle on a
# degraded scan's empty half-page stay under 1e-6; a lone page number at
# 200 dpi is ~4e-5; a page of text is 1e-2.
_BLANK_INK_SHARE = 1e-5
_INK_LEVEL = 128


def is_blank(image: np.ndarray) -> bool:
    """No ink on the page: nothing for OCR or the layout model to find."""
    gray = to_gray(image)
    return np.count_nonzero(gray < _INK_LEVEL) < max(1.0, _BLANK_INK_SHARE * gray.size)


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 grey from an (H, W, 3) RGB or an (H, W) grey image."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def to_rgb(gray: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def estimate_skew(image: np.ndarray, max_deg: float = MAX_SKEW_DEG) -> float:
    """The rotation that straightens the page, in degrees (cv2's sense: positive
    turns counter-clockwise); a page skewed by +a degrees gives about -a.

    Projection profiles: when text lines are horizontal, the row sums of the
    ink alternate sharply between lines and gaps. Coarse search, then a fine
    one around the best angle.
    """
    gray = to_gray(image)
    scale = min(1.0, _ESTIMATE_WIDTH / gray.shape[1])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if not ink.any():
        return 0.0

    def score(angle: float) -> float:
        # Sum of squared steps between neighbouring rows: large when line
        # edges are sharp. Unlike the profile's variance it does not reward an
        # angle where one column's lines land on the next column's gaps.
        # Row sums as exact integers (cv2.reduce: ~8x faster than NumPy's float64 sum of uint8).
        profile = cv2.reduce(_rotate(ink, angle, border=0), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[:, 0]
        return float(np.sum(np.diff(profile.astype(np.float64)) ** 2))

    coarse = np.arange(-max_deg, max_deg + 1e-9, _COARSE_STEP_DEG)
    best = max(coarse, key=score)
    fine = np.arange(best - _COARSE_STEP_DEG, best + _COARSE_STEP_DEG + 1e-9, _FINE_STEP_DEG)
    return float(round(max(fine, key=score), 3))


def deskew(image: np.ndarray) -> np.ndarray:
    """The page rotated straight (white fill where the rotation uncovers corners)."""
    angle = estimate_skew(image)
    if abs(angle) < _MIN_CORRECTION_DEG:
        return image
    return _rotate(image, angle, border=255)


def denoise(image: np.ndarray) -> np.ndarray:
    """Sensor noise and JPEG ringing smoothed away, strokes kept.

    A 3x3 median removes salt-and-pepper speckles without widening strokes
    the way a Gaussian does; the grey result suits both engines.
    """
    return to_rgb(cv2.medianBlur(to_gray(image), 3))


def binarise(image: np.ndarray) -> np.ndarray:
    """Black ink on white by Otsu's global threshold after a light blur."""
    gray = cv2.GaussianBlur(to_gray(image), (3, 3), 0)
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return to_rgb(bw)


STEPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "deskew": deskew,
    "denoise": denoise,
    "binarise": binarise,
}


def preprocess(image: np.ndarray, steps: tuple[str, ...]) -> np.ndarray:
    """Apply the named steps in order; unknown names are an error, not a no-op."""
    for step in steps:
        if step not in STEPS:
            raise ValueError(f"unknown preprocessing step {step!r}; known: {sorted(STEPS)}")
        image = STEPS[step](image)
    return image


def _rotate(image: np.ndarray, angle: float, border: int) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    fill = (border,) * 3 if image.ndim == 3 else border
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=fill,
    )
