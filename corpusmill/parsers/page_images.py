"""Pixels for the OCR and LLM paths: rendered PDF pages and decoded image files.

Both are capped: an image file above `max_pixels` is refused before it is
decoded (a 30,000 x 30,000 px PNG is 2.7 GB as RGB), and a page is rendered
at a lower dpi when the requested one would exceed the render cap (posters,
maps, pages with absurd MediaBoxes).
"""
from __future__ import annotations

import io

import numpy as np
import pymupdf
from PIL import Image


class ImageTooLarge(ValueError):
    pass


def render_page(page: pymupdf.Page, dpi: int, max_pixels: int, as_png: bool = False) -> np.ndarray | bytes:
    """The page as an RGB array (H, W, 3 uint8), or PNG bytes, at `dpi` or less."""
    scale = _scale(page.rect, dpi, max_pixels)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csRGB, alpha=False)
    if as_png:
        return pix.tobytes("png")
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).copy()


def render_region(page: pymupdf.Page, region: pymupdf.Rect, dpi: int,
                  max_pixels: int) -> tuple[np.ndarray, pymupdf.Matrix]:
    """A region of the page (in text-layer, i.e. unrotated, coordinates) as shown upright: RGB pixels, and
    the matrix taking those pixels back to text-layer coordinates."""
    clip = (region * page.rotation_matrix) & page.rect
    scale = _scale(clip, dpi, max_pixels)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), clip=clip, colorspace=pymupdf.csRGB, alpha=False)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, :pix.width * 3]
    back = pymupdf.Matrix(1 / scale, 1 / scale) * pymupdf.Matrix(1, 0, 0, 1, pix.x / scale, pix.y / scale)
    return image.reshape(pix.height, pix.width, 3).copy(), back * page.derotation_matrix


def _scale(rect: pymupdf.Rect, dpi: int, max_pixels: int) -> float:
    """Pixels per point for drawing `rect` at `dpi`, or less where that would exceed `max_pixels`."""
    scale = dpi / 72
    pixels = rect.width * scale * rect.height * scale
    if pixels > max_pixels:
        scale *= (max_pixels / pixels) ** 0.5
    return scale


def frame_pixels(frame: Image.Image, max_pixels: int) -> np.ndarray:
    """One frame of an image file (multi-page TIFFs have several) as an RGB array, size checked first."""
    w, h = frame.size
    if w * h > max_pixels:
        raise ImageTooLarge(f"image too large: {w}x{h} px exceeds the {max_pixels:,} px limit")
    return np.asarray(frame.convert("RGB"))


def png_from_array(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()
