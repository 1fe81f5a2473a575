"""One PDF or page image (bytes) -> Markdown text, per-page routes, metadata.

This runs inside the PDF stage's child process (see `pdf_worker.py`), so it
may be killed at any point; it keeps no state between documents except the
lazily loaded OCR engine and LLM client.

Failures are `ParseError`s with a `kind` the stage maps to an error or a drop:
corrupt, encrypted, zero_pages, not_pdf, too_large, no_text, ocr_unavailable.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from corpusmill.parsers import page_router
from corpusmill.parsers.block_kinds import classify_blocks
from corpusmill.parsers.block_order import order_blocks
from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.page_furniture import mark_furniture
from corpusmill.parsers.page_images import ImageTooLarge, image_frames, render_page
from corpusmill.parsers.page_ocr import OcrUnavailable, PageReader
from corpusmill.parsers.sniff import PDF, sniff_media_type
from corpusmill.parsers.tables import find_tables, join_continued
from corpusmill.parsers.text_layer import PageText, read_page

PARSER = f"pymupdf-{pymupdf.VersionBind}"


@dataclass(frozen=True, slots=True)
class ParseConfig:
    """Settings of the PDF parser; travels to the child process, so plain values only."""

    dpi: int = 200
    # Input images above this many pixels are refused (a 600-dpi A3 scan is
    # ~70 MP); pages are rendered at a lower dpi rather than above the render cap.
    max_image_pixels: int = 80_000_000
    max_render_pixels: int = 25_000_000
    ocr_engine: str = "default"
    llm_endpoint: str | None = None
    llm_model: str | None = None
    min_ocr_confidence: float = 0.75
    tables: bool = True
    # Label OCR lines with the bundled layout model (headings, running headers/footers, ...).
    ocr_layout: bool = True


class ParseError(Exception):
    """A document the parser cannot turn into text, with the cause's kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class ParsedDocument:
    text: str
    pages: list[dict[str, Any]]
    page_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    route_counts: dict[str, int] = field(default_factory=dict)
    repaired: bool = False


def parse_document(content: bytes, media_type: str, config: ParseConfig, reader: PageReader) -> ParsedDocument:
    """Parse a PDF or a raster image; `reader` holds the OCR engine/LLM client across documents."""
    sniffed = sniff_media_type(content[:4096])
    if media_type == PDF or sniffed == PDF:
        if sniffed != PDF:
            raise ParseError("not_pdf", f"not a PDF: content looks like {sniffed}")
        return _parse_pdf(content, config, reader)
    return _parse_image(content, config, reader)


def _parse_pdf(content: bytes, config: ParseConfig, reader: PageReader) -> ParsedDocument:
    try:
        doc = pymupdf.open(stream=content, filetype="pdf")
    except Exception as e:  # MuPDF raises FileDataError or plain RuntimeError
        raise ParseError("corrupt", f"corrupt PDF: {e}") from e
    with doc:
        if doc.needs_pass:
            raise ParseError("encrypted", "encrypted PDF: a password is required")
        repaired = bool(getattr(doc, "is_repaired", False))
        if repaired and b"%%EOF" not in content[-2048:]:
            raise ParseError("corrupt", f"corrupt PDF: truncated (no %%EOF; {len(content)} bytes, xref rebuilt)")
        try:
            n = doc.page_count
        except Exception as e:
            raise ParseError("corrupt", f"corrupt PDF: {e}") from e
        if n == 0:
            raise ParseError("zero_pages", "PDF has zero pages")

        texts: list[PageText | None] = []
        errors: dict[int, str] = {}
        for i in range(n):
            try:
                page = doc.load_page(i)
                pt = read_page(page)
                if config.tables:
                    find_tables(page, pt)
                texts.append(pt)
            except Exception as e:
                texts.append(None)
                errors[i] = f"{type(e).__name__}: {e}"[:200]
        good = [t for t in texts if t is not None]
        if not good:
            raise ParseError("corrupt", f"corrupt PDF: no page could be read ({next(iter(errors.values()))})")
        if config.tables:
            join_continued(good)
        mark_furniture(good)
        classify_blocks(good)

        llm = config.llm_endpoint is not None and config.llm_model is not None
        page_parts: list[tuple[str, dict[str, Any]]] = []
        ocr_pages: list[tuple[int, dict[str, Any]]] = []  # read after the loop, in batches
        for i, pt in enumerate(texts):
            if pt is None:
                page_parts.append(("", {"number": i + 1, "route": page_router.TEXT_LAYER,
                                        "route_reason": f"page error: {errors[i]}", "blocks": []}))
                continue
            page = doc.load_page(i)
            route = page_router.route_page(page, pt, llm)
            info: dict[str, Any] = {"number": pt.number, "route": route.route, "route_reason": route.reason}
            if route.hard:
                info["hard"] = route.hard
            if route.route == page_router.OCR:
                ocr_pages.append((i, info))
                page_parts.append(("", info))
            else:
                page_parts.append(_read_text_page(page, pt, route, info, config, reader))
        _read_ocr_pages(doc, ocr_pages, page_parts, config, reader)
        result = _assemble(page_parts)
        result.metadata = _metadata(doc)
        result.repaired = repaired
        return result


def _read_ocr_pages(doc: pymupdf.Document, ocr_pages: list[tuple[int, dict[str, Any]]],
                    page_parts: list[tuple[str, dict[str, Any]]], config: ParseConfig, reader: PageReader) -> None:
    """Render and OCR the pages routed to OCR, as many at a time as the engine batches.

    The CPU default takes one page at a time, so one rendered page is in memory;
    a model pipeline on a GPU gets its batch of a document's pages at once.
    """
    if not ocr_pages:
        return
    try:
        size = reader.batch_size(config)
    except OcrUnavailable as e:
        for i, info in ocr_pages:
            info["route_reason"] += f"; OCR unavailable: {e}"
            info["blocks"] = []
            info["ocr_unavailable"] = True
            page_parts[i] = ("", info)
        return
    for start in range(0, len(ocr_pages), size):
        chunk = ocr_pages[start:start + size]
        images = [render_page(doc.load_page(i), config.dpi, config.max_render_pixels) for i, _ in chunk]
        for (i, _), part in zip(chunk, reader.read_images(images, [info for _, info in chunk], config)):
            page_parts[i] = part


def _read_text_page(page: pymupdf.Page, pt: PageText, route: page_router.Route, info: dict[str, Any],
                    config: ParseConfig, reader: PageReader) -> tuple[str, dict[str, Any]]:
    ordered = order_blocks([b for b in pt.blocks if not b.removed])
    text = render_blocks(ordered)
    info["blocks"] = _blocks(ordered, [b for b in pt.blocks if b.removed])
    if route.route == page_router.LLM:
        png = render_page(page, config.dpi, config.max_render_pixels, as_png=True)
        llm_text, reason = reader.transcribe(png, text, config)
        if llm_text is None:
            info["route"] = page_router.TEXT_LAYER
            info["route_reason"] += f"; LLM failed ({reason}), text layer kept"
        else:
            text = llm_text
    return text, info


def _parse_image(content: bytes, config: ParseConfig, reader: PageReader) -> ParsedDocument:
    try:
        frames = list(image_frames(content, config.max_image_pixels))
    except ImageTooLarge as e:
        raise ParseError("too_large", str(e)) from e
    except Exception as e:  # PIL raises many kinds on broken files
        raise ParseError("corrupt", f"corrupt image: {type(e).__name__}: {e}") from e
    if not frames:
        raise ParseError("zero_pages", "image has no frames")
    infos: list[dict[str, Any]] = [{"number": i + 1, "route": page_router.OCR, "route_reason": "raster image"}
                                   for i in range(len(frames))]
    parts: list[tuple[str, dict[str, Any]]] = []
    try:
        size = reader.batch_size(config)
        for start in range(0, len(frames), size):
            parts += reader.read_images(frames[start:start + size], infos[start:start + size], config)
    except OcrUnavailable as e:
        raise ParseError("ocr_unavailable", f"OCR unavailable: {e}") from e
    return _assemble(parts)


def _assemble(parts: list[tuple[str, dict[str, Any]]]) -> ParsedDocument:
    chunks: list[str] = []
    pages: list[dict[str, Any]] = []
    offset = 0
    counts: dict[str, int] = {}
    for text, info in parts:
        text = text.strip()
        if chunks and text:
            offset += 2  # the "\n\n" between pages
        start = offset
        if text:
            chunks.append(text)
            offset += len(text)
        info["chars"] = len(text)
        info["text_span"] = [start, offset]
        counts[info["route"]] = counts.get(info["route"], 0) + 1
        pages.append(info)
    text = "\n\n".join(chunks)
    if not text.strip():
        if any(p.get("ocr_unavailable") for p in pages):
            raise ParseError("ocr_unavailable", "no text layer and no OCR engine available")
        raise ParseError("no_text", "no text on any page")
    return ParsedDocument(text=text, pages=pages, page_count=len(pages), route_counts=counts)


def _blocks(ordered, removed) -> list[dict[str, Any]]:
    out = [{"type": b.kind if b.kind != "heading" else f"heading{b.level}", "bbox": _box(b.bbox), "order": i}
           for i, b in enumerate(ordered)]
    out += [{"type": b.kind, "bbox": _box(b.bbox), "order": None} for b in removed]
    return out


def _box(bbox) -> list[float]:
    return [round(v, 1) for v in bbox]


_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")


def _metadata(doc: pymupdf.Document) -> dict[str, Any]:
    meta = doc.metadata or {}
    out: dict[str, Any] = {}
    for key in ("title", "author", "subject", "keywords", "producer", "creator"):
        value = (meta.get(key) or "").strip()
        if value:
            out[key] = value
    m = _PDF_DATE.match(meta.get("creationDate") or meta.get("modDate") or "")
    if m:
        out["date"] = "-".join(p for p in m.groups() if p)
    lang = _catalog_lang(doc)
    if lang:
        out["language"] = lang
    return out


def _catalog_lang(doc: pymupdf.Document) -> str | None:
    try:
        kind, value = doc.xref_get_key(doc.pdf_catalog(), "Lang")
    except Exception:
        return None
    if kind == "string" and value.strip():
        return value.strip()
    return None

