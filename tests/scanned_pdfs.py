"""Scanned test documents built from a real degraded dev scan (fixtures/layout), small enough for fast tests.

Each "page" is a horizontal strip of the scan, embedded as a JPEG in an
image-only PDF page, so the PDF job routes it to OCR. Pathological pages for
the budgets are built here too: one whose rendering takes minutes, one whose
embedded image decodes to gigabytes, one with a truncated JPEG.
"""
from __future__ import annotations

import io

import pymupdf
from PIL import Image

from tests.conftest import FIXTURES

# A degraded dev scan (../shared/corpora/pdf/dev/scans/degraded_jpg, oup-authoring-template p4, LPPL), 1654 x 2174 px.
SCAN = FIXTURES / "layout" / "oup-template-p0004-degraded-full.jpg"


def scan_strips(n: int) -> list[bytes]:
    """n JPEG strips (quarters) of the degraded scan, top to bottom, cycled when n > 4."""
    with Image.open(SCAN) as img:
        w, h = img.size
        step = h // 4
        out = []
        for k in range(n):
            y = (k % 4) * step
            buf = io.BytesIO()
            img.crop((0, y, w, y + step)).save(buf, format="JPEG", quality=85)
            out.append(buf.getvalue())
    return out


def add_scan_page(doc: pymupdf.Document, jpeg: bytes) -> pymupdf.Page:
    with Image.open(io.BytesIO(jpeg)) as img:
        w, h = img.size
    page = doc.new_page(width=w * 72 / 200, height=h * 72 / 200)
    page.insert_image(page.rect, stream=jpeg)
    return page


def scanned_pdf(n: int) -> bytes:
    doc = pymupdf.open()
    for jpeg in scan_strips(n):
        add_scan_page(doc, jpeg)
    return doc.tobytes()


def truncated(jpeg: bytes) -> bytes:
    """A JPEG cut in the middle of its scan data (a broken download or disk)."""
    return jpeg[: len(jpeg) // 2]


def add_slow_page(doc: pymupdf.Document, jpeg: bytes, depth: int = 8) -> None:
    """A scanned page that also draws a form that draws a form ... `depth` deep, ten times at each
    level: 10**depth tiny fills from a few hundred bytes, so rendering it takes minutes."""
    with Image.open(io.BytesIO(jpeg)) as img:
        w, h = img.size
        colors = "DeviceGray" if img.mode == "L" else "DeviceRGB"
    width, height = w * 72 / 200, h * 72 / 200
    page = doc.new_page(width=width, height=height)
    image = doc.get_new_xref()
    doc.update_object(image, f"<</Type/XObject/Subtype/Image/Width {w}/Height {h}/ColorSpace/{colors}"
                             "/BitsPerComponent 8>>")
    doc.update_stream(image, jpeg, compress=False)
    doc.xref_set_key(image, "Filter", "/DCTDecode")
    form = doc.get_new_xref()
    doc.update_object(form, "<</Type/XObject/Subtype/Form/BBox[0 0 1000 1000]>>")
    doc.update_stream(form, b"0 0 0.5 0.5 re f")
    for _ in range(depth):
        parent = doc.get_new_xref()
        doc.update_object(parent, f"<</Type/XObject/Subtype/Form/BBox[0 0 1000 1000]"
                                  f"/Resources<</XObject<</F {form} 0 R>>>>>>")
        doc.update_stream(parent, b"".join(b"q 1 0 0 1 %d 0 cm /F Do Q " % (i % 3) for i in range(10)))
        form = parent
    doc.xref_set_key(page.xref, "Resources", f"<</XObject<</Im0 {image} 0 R/F {form} 0 R>>>>")
    contents = doc.get_new_xref()
    doc.update_object(contents, "<<>>")
    doc.update_stream(contents, f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /Im0 Do Q /F Do".encode())
    doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")


def add_huge_image_page(doc: pymupdf.Document, side: int = 16000) -> None:
    """A page whose one image is side x side RGB: a few hundred KB compressed, gigabytes decoded."""
    page = doc.new_page(width=612, height=792)
    img = doc.get_new_xref()
    doc.update_object(img, f"<</Type/XObject/Subtype/Image/Width {side}/Height {side}"
                           "/ColorSpace/DeviceGray/BitsPerComponent 8>>")
    doc.update_stream(img, bytes(side * side))
    doc.xref_set_key(page.xref, "Resources", f"<</XObject<</Im0 {img} 0 R>>>>")
    cont = doc.get_new_xref()
    doc.update_object(cont, "<<>>")
    doc.update_stream(cont, b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    doc.xref_set_key(page.xref, "Contents", f"{cont} 0 R")


def add_poster_page(doc: pymupdf.Document, jpeg: bytes, copies: int = 40) -> None:
    """A page `copies` scan strips tall, as one image: ~18 MP rendered, slow to OCR and big in memory."""
    with Image.open(io.BytesIO(jpeg)) as strip:
        w, h = strip.size
        tall = Image.new(strip.mode, (w, h * copies))
        for k in range(copies):
            tall.paste(strip, (0, k * h))
    buf = io.BytesIO()
    tall.save(buf, format="JPEG", quality=85)
    add_scan_page(doc, buf.getvalue())


def scrawled(jpeg: bytes, amplitude: float = 7.0, seed: int = 0) -> bytes:
    """The strip with its strokes bent by a smooth random field and blurred, like a hasty hand:
    still ink on paper, but the recogniser reads it as near-garbage at low confidence."""
    import cv2
    import numpy as np

    with Image.open(io.BytesIO(jpeg)) as img:
        page = np.asarray(img.convert("L"))
    h, w = page.shape
    rng = np.random.default_rng(seed)
    field = [cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), 3) for _ in range(2)]
    dx, dy = (f * amplitude / (np.abs(f).max() + 1e-9) for f in field)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    bent = cv2.remap(page, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=255)
    bent = cv2.GaussianBlur(bent, (0, 0), 1.5)
    buf = io.BytesIO()
    Image.fromarray(bent).save(buf, format="JPEG", quality=85)
    return buf.getvalue()
