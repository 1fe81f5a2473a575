"""One PDF or page image -> per-page text and page info, page by page.

This runs inside the PDF stage's child process (see `pdf_worker.py`), so it
may be killed at any point; it keeps no state between documents except the
lazily loaded OCR engine and LLM client. `parse_events` reports its work as a
stream of events, so the parent can hold each page to a time and memory
budget, kill the child on the page that overruns, and restart it on the pages
still to do (`skip` and `done`); `assemble` joins the pages in order.

Failures of the whole document are `ParseError`s with a `kind` the stage maps
to an error or a drop: corrupt, encrypted, zero_pages, not_pdf, too_large,
no_text, ocr_unavailable. A failure of one page (a page MuPDF cannot read, a
corrupt image inside it, an OCR error) is that page's route `failed`, with the
reason; the other pages are kept.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pymupdf
from PIL import Image, ImageSequence

from corpusmill.acquire.media_type import PDF, sniff_media_type
from corpusmill.parsers import page_router
from corpusmill.parsers.block_kinds import classify_blocks
from corpusmill.parsers.block_order import order_blocks
from corpusmill.parsers.formula_blocks import mark_formulas
from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.page_furniture import mark_furniture
from corpusmill.parsers.page_images import ImageTooLarge, frame_pixels, render_page
from corpusmill.parsers.page_model import ReadPage, Route, failed_page, page_blocks
from corpusmill.parsers.page_ocr import OcrUnavailable, PageReader
from corpusmill.parsers.page_upright import sideways, turn_angle, turned
from corpusmill.parsers.tables import find_tables, join_continued
from corpusmill.parsers.text_layer import PageText, read_page

PARSER = f"pymupdf-{pymupdf.VersionBind}"
# Threads of the OCR models in each parser process; `corpusmill pdf` sets it to
# the cores divided by --workers unless it is set already.
OCR_THREADS_ENV = "CORPUSMILL_OCR_THREADS"
# MuPDF reports a broken embedded image as a warning and renders what it decoded;
# OCR of half an image is garbage, so such a page fails instead.
_IMAGE_WARNING = re.compile(r"jpeg|jpx|jbig2|png|tiff|image|premature end|corrupt|decod", re.I)


@dataclass(frozen=True, slots=True)
class ParseConfig:
    """Settings of the PDF parser; travels to the child process, so plain values only."""

    dpi: int = 200
    # Input images above this many pixels are refused (a 600-dpi A3 scan is
    # ~70 MP); pages are rendered at a lower dpi rather than above the render cap.
    max_image_pixels: int = 80_000_000
    max_render_pixels: int = 25_000_000
    ocr_engine: str = "default"
    # onnxruntime threads of the OCR models: the worker's share of the cores (0: all of them).
    ocr_threads: int = field(default_factory=lambda: int(os.environ.get(OCR_THREADS_ENV, "0") or 0))
    llm_endpoint: str | None = None
    llm_model: str | None = None
    llm_concurrency: int = 4  # pages in flight to the LLM server
    llm_budget_pages: int | None = None  # per parser process
    llm_budget_tokens: int | None = None
    # Seconds one page may spend with the LLM, all attempts and waits: inside the page's own
    # budget, so that a failing server leaves time to keep the page's text layer or OCR.
    llm_page_s: float = 60.0
    # An OCR'd page whose character-weighted confidence is below this is flagged
    # `low_confidence` and goes to the LLM when one is configured (upright dev
    # scans, degraded ones too, read at >= 0.98; garbled handwriting-like
    # text reads at 0.7-0.88). Below `min_ocr_confidence` its text is dropped.
    low_ocr_confidence: float = 0.9
    min_ocr_confidence: float | None = None
    tables: bool = True
    # Label OCR lines with the bundled layout model (headings, running headers/footers, ...).
    ocr_layout: bool = True


class CorruptPageImage(RuntimeError):
    """An image inside a page that MuPDF could not decode (the page fails, not the document)."""


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


# Events of `parse_events`, in order: ("count", n), then per unit of work
# ("start", [page indexes], phase) and ("page", index, ReadPage) for each of
# them, then ("meta", metadata, repaired).
Event = tuple[Any, ...]


def parse_document(content: bytes, media_type: str, config: ParseConfig, reader: PageReader) -> ParsedDocument:
    """The whole document in this process, no budgets (tests, tools): the events, assembled."""
    parts: dict[int, ReadPage] = {}
    count, metadata, repaired = 0, {}, False
    for event in parse_events(content, media_type, config, reader):
        if event[0] == "count":
            count = event[1]
        elif event[0] == "page":
            parts[event[1]] = event[2]
        elif event[0] == "meta":
            metadata, repaired = event[1], event[2]
    result = assemble([parts[i] for i in sorted(parts)], count)
    result.metadata = metadata
    result.repaired = repaired
    return result


def parse_events(source: bytes | str, media_type: str, config: ParseConfig, reader: PageReader,
                 pages: tuple[int, int] | None = None, skip: dict[int, str] | None = None,
                 done: frozenset[int] = frozenset()) -> Iterator[Event]:
    """Parse a PDF or raster image (bytes, or a file path: MuPDF then reads it lazily).

    `pages` limits the work to a range [start, stop) of page indexes; pages in
    `skip` come back failed with the given reason, pages in `done` are not
    read again (the parent has them from before a restart).
    """
    head = source[:4096] if isinstance(source, bytes) else _head(source)
    sniffed = sniff_media_type(head)
    skip = skip or {}
    if media_type == PDF or sniffed == PDF:
        if sniffed != PDF:
            raise ParseError("not_pdf", f"not a PDF: content looks like {sniffed}")
        yield from _parse_pdf(source, config, reader, pages, skip, done)
    else:
        yield from _parse_image(source, config, reader, pages, skip, done)


def probe_document(path: str) -> tuple[int, int]:
    """(pages, pages without a text layer) of the PDF or image file at `path`, without reading the
    pages' content; every frame of an image (a multi-page TIFF) is a page without text."""
    if sniff_media_type(_head(path)) != PDF:
        with Image.open(path) as img:  # counting frames reads their headers, not their pixels
            frames = getattr(img, "n_frames", 1)
        return frames, frames
    doc = _open_pdf(path)
    with doc:
        if doc.needs_pass:
            raise ParseError("encrypted", "encrypted PDF: a password is required")
        textless = sum(1 for page in doc if len(page.get_text("text").strip()) < page_router.MIN_TEXT_CHARS)
        return doc.page_count, textless


def _head(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(4096)


def _open_pdf(source: bytes | str) -> pymupdf.Document:
    try:
        if isinstance(source, bytes):
            return pymupdf.open(stream=source, filetype="pdf")
        return pymupdf.open(source, filetype="pdf")
    except Exception as e:  # MuPDF raises FileDataError or plain RuntimeError
        raise ParseError("corrupt", f"corrupt PDF: {e}") from e


def _tail(source: bytes | str) -> bytes:
    if isinstance(source, bytes):
        return source[-2048:]
    with open(source, "rb") as f:
        f.seek(0, io.SEEK_END)
        f.seek(max(0, f.tell() - 2048))
        return f.read()


def _parse_pdf(source: bytes | str, config: ParseConfig, reader: PageReader, pages: tuple[int, int] | None,
               skip: dict[int, str], done: frozenset[int]) -> Iterator[Event]:
    doc = _open_pdf(source)
    with doc:
        if doc.needs_pass:
            raise ParseError("encrypted", "encrypted PDF: a password is required")
        repaired = bool(getattr(doc, "is_repaired", False))
        if repaired and b"%%EOF" not in _tail(source):
            size = len(source) if isinstance(source, bytes) else "?"
            raise ParseError("corrupt", f"corrupt PDF: truncated (no %%EOF; {size} bytes, xref rebuilt)")
        try:
            n = doc.page_count
        except Exception as e:
            raise ParseError("corrupt", f"corrupt PDF: {e}") from e
        if n == 0:
            raise ParseError("zero_pages", "PDF has zero pages")
        yield ("count", n)
        first, stop = pages or (0, n)
        wanted = range(first, min(stop, n))

        # Text layers of every page of the range (done ones too: running
        # headers and heading sizes are judged across pages), so a restart
        # reads the remaining pages exactly as the first try would have.
        texts: dict[int, PageText] = {}
        turns: dict[int, int] = {}  # pages whose text runs sideways: the rotation that sets it upright
        read_errors: list[str] = []
        for i in wanted:
            if i in skip:
                if i not in done:
                    yield ("page", i, failed_page(i, skip[i]))
                continue
            yield ("start", [i], "text")
            try:
                page = doc.load_page(i)
                pt = read_page(page)
                if sideways(pt) and (angle := turn_angle(page)):
                    turns[i] = angle
                    page = turned(page, angle)
                    pt = read_page(page)
                    pt.number = i + 1
                mark_formulas(page, pt)
                if config.tables and not page_router.too_many_drawings(page):
                    find_tables(page, pt)
                texts[i] = pt
            except Exception as e:
                read_errors.append(f"{type(e).__name__}: {e}"[:200])
                if i not in done:
                    yield ("page", i, failed_page(i, f"page error: {read_errors[-1]}"))
        if not texts and len(read_errors) == n:
            raise ParseError("corrupt", f"corrupt PDF: no page could be read ({read_errors[0]})")
        good = list(texts.values())
        if config.tables:
            join_continued(good)
        mark_furniture(good)
        classify_blocks(good)

        llm = config.llm_endpoint is not None and config.llm_model is not None
        # Read after the text pages, in batches; with the texts of the running heads the text layer
        # showed (repeated across pages), which are furniture in the OCR text too.
        ocr_pages: list[tuple[int, ReadPage, list[str]]] = []
        llm_pages: list[tuple[int, bytes, ReadPage]] = []
        for i, pt in texts.items():
            if i in done:
                continue
            page = turned(doc.load_page(i), turns.get(i, 0))
            route = page_router.route_page(page, pt, llm)
            read = ReadPage(number=pt.number, route=route.route, reason=route.reason, hard=route.hard or None)
            if route.route == page_router.OCR:
                ocr_pages.append((i, read, [b.text for b in pt.blocks if b.removed]))
                continue
            yield ("start", [i], route.route)
            try:
                part = _read_text_page(page, pt, route, read, config, reader)
                if route.route == page_router.LLM:
                    # Sent to the LLM together, `llm_concurrency` at a time; the text layer is anchor and fallback.
                    llm_pages.append((i, render_page(page, config.dpi, config.max_render_pixels, as_png=True), part))
                    if len(llm_pages) >= config.llm_concurrency:
                        yield from _transcribe(llm_pages, config, reader)
                    continue
            except Exception as e:
                part = failed_page(i, f"page error: {type(e).__name__}: {e}"[:200])
            yield ("page", i, part)
        yield from _transcribe(llm_pages, config, reader)
        yield from _read_ocr_pages(doc, ocr_pages, config, reader)
        yield ("meta", _metadata(doc), repaired)


def _read_ocr_pages(doc: pymupdf.Document, ocr_pages: list[tuple[int, ReadPage, list[str]]],
                    config: ParseConfig, reader: PageReader) -> Iterator[Event]:
    """Render and OCR the pages routed to OCR, as many at a time as the engine batches.

    The CPU default takes one page at a time, so one rendered page is in memory;
    a model pipeline on a GPU gets its batch of a document's pages at once.
    """
    if not ocr_pages:
        return
    try:
        size = reader.batch_size(config)
    except OcrUnavailable as e:
        for i, read, _ in ocr_pages:
            yield ("page", i, read.with_(note=f"OCR unavailable: {e}", ocr_unavailable=True))
        return
    for start in range(0, len(ocr_pages), size):
        chunk = ocr_pages[start:start + size]
        yield ("start", [i for i, _, _ in chunk], page_router.OCR)
        images, reads, known, indexes = [], [], [], []
        for i, read, furniture in chunk:
            try:
                images.append(_render_checked(doc.load_page(i), config))
                reads.append(read)
                known.append(furniture)
                indexes.append(i)
            except CorruptPageImage as e:
                yield ("page", i, failed_page(i, str(e)))
            except Exception as e:
                yield ("page", i, failed_page(i, f"page error: {type(e).__name__}: {e}"[:200]))
        yield from _ocr(images, reads, known, indexes, config, reader)


def _render_checked(page: pymupdf.Page, config: ParseConfig) -> np.ndarray:
    """The page's pixels; a page whose embedded image MuPDF could not decode fails."""
    # Decoded images are cached across pages (a corrupt logo on every page is
    # decoded, and warned about, once): empty the cache so each page's warnings
    # are its own. Against an OCR pass per page the cost is nil.
    pymupdf.TOOLS.store_shrink(100)
    pymupdf.TOOLS.reset_mupdf_warnings()
    image = render_page(page, config.dpi, config.max_render_pixels)
    warnings = [w for w in pymupdf.TOOLS.mupdf_warnings().splitlines() if _IMAGE_WARNING.search(w)]
    if warnings:
        raise CorruptPageImage(f"corrupt image in the page ({'; '.join(warnings[:3])})"[:200])
    assert isinstance(image, np.ndarray)
    return image


def _ocr(images: list[np.ndarray], reads: list[ReadPage], known: list[list[str]], indexes: list[int],
         config: ParseConfig, reader: PageReader) -> Iterator[Event]:
    """OCR events for pages already in pixels; an OCR error fails the pages of its batch, not the document."""
    if not images:
        return
    try:
        parts = reader.read_images(images, reads, known, config)
    except OcrUnavailable:
        raise
    except Exception as e:
        parts = [failed_page(i, f"OCR error: {type(e).__name__}: {e}"[:200]) for i in indexes]
    for i, part in zip(indexes, parts):
        yield ("page", i, part)


def _read_text_page(page: pymupdf.Page, pt: PageText, route: page_router.Route, read: ReadPage,
                    config: ParseConfig, reader: PageReader) -> ReadPage:
    blocks = [b for b in pt.blocks if not b.removed]
    notes = [f"{pt.hidden_chars} characters painted over left out"] if pt.hidden_chars else []
    if route.ocr_regions:
        # Text-like ink outside the text layer (page_ink): OCR those regions, merged in reading order.
        known = [line.bbox for b in pt.blocks for line in b.lines]
        found, what = reader.read_regions(page, route.ocr_regions, known, config)
        blocks += found
        notes.append(f"regions OCRed: {what}")
    ordered = order_blocks(blocks)
    return read.with_(note="; ".join(notes), text=render_blocks(ordered),
                      blocks=page_blocks(ordered, [b for b in pt.blocks if b.removed]))


def _transcribe(llm_pages: list[tuple[int, bytes, ReadPage]], config: ParseConfig,
                reader: PageReader) -> Iterator[Event]:
    """Page events for LLM-routed pages, read concurrently; a page the LLM fails keeps its text layer. Empties the list."""
    if not llm_pages:
        return
    yield ("start", [i for i, _, _ in llm_pages], page_router.LLM)
    answers = reader.transcribe_many([(png, part.text) for _, png, part in llm_pages], config)
    for (i, _, part), (llm_text, reason) in zip(llm_pages, answers):
        if llm_text is None:
            part = part.with_(route=Route.TEXT_LAYER, note=f"LLM failed ({reason}), text layer kept", llm_failed=reason)
        else:
            part = part.with_(text=llm_text)
        yield ("page", i, part)
    llm_pages.clear()


def _parse_image(source: bytes | str, config: ParseConfig, reader: PageReader, pages: tuple[int, int] | None,
                 skip: dict[int, str], done: frozenset[int]) -> Iterator[Event]:
    """Frames of an image file, decoded one at a time (a 500-frame TIFF holds one frame in memory)."""
    # PIL's own bomb guard, set to our cap, refuses a huge image before decoding it.
    Image.MAX_IMAGE_PIXELS = config.max_image_pixels
    try:
        img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        n = getattr(img, "n_frames", 1)
    except Image.DecompressionBombError as e:
        raise ParseError("too_large", f"image too large: {e}") from e
    except Exception as e:  # PIL raises many kinds on broken files
        raise ParseError("corrupt", f"corrupt image: {type(e).__name__}: {e}") from e
    with img:
        if n == 0:
            raise ParseError("zero_pages", "image has no frames")
        yield ("count", n)
        first, stop = pages or (0, n)
        try:
            size = reader.batch_size(config)
        except OcrUnavailable as e:
            raise ParseError("ocr_unavailable", f"OCR unavailable: {e}") from e
        batch: list[tuple[int, np.ndarray]] = []
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i >= stop:
                break
            if i < first or i in done:
                continue
            if i in skip:
                yield ("page", i, failed_page(i, skip[i]))
                continue
            yield ("start", [i], "decode")
            try:
                batch.append((i, frame_pixels(frame, config.max_image_pixels)))
            except ImageTooLarge as e:
                if n == 1:
                    raise ParseError("too_large", str(e)) from e
                yield ("page", i, failed_page(i, str(e)))
            except Exception as e:
                if n == 1:
                    raise ParseError("corrupt", f"corrupt image: {type(e).__name__}: {e}") from e
                yield ("page", i, failed_page(i, f"corrupt frame: {type(e).__name__}: {e}"[:200]))
            if len(batch) == size:
                yield from _ocr_frames(batch, config, reader)
                batch = []
        yield from _ocr_frames(batch, config, reader)
    yield ("meta", {}, False)


def _ocr_frames(batch: list[tuple[int, np.ndarray]], config: ParseConfig, reader: PageReader) -> Iterator[Event]:
    if not batch:
        return
    indexes = [i for i, _ in batch]
    yield ("start", indexes, page_router.OCR)
    reads = [ReadPage(number=i + 1, route=Route.OCR, reason="raster image") for i in indexes]
    try:
        yield from _ocr([image for _, image in batch], reads, [[] for _ in indexes], indexes, config, reader)
    except OcrUnavailable as e:
        raise ParseError("ocr_unavailable", f"OCR unavailable: {e}") from e


def assemble(parts: list[ReadPage], page_count: int) -> ParsedDocument:
    """Pages in order -> the document's text (pages joined by a blank line), the record's pages, route counts."""
    chunks: list[str] = []
    pages: list[dict[str, Any]] = []
    offset = 0
    counts: dict[str, int] = {}
    for part in parts:
        text = part.text.strip()
        if chunks and text:
            offset += 2  # the "\n\n" between pages
        start = offset
        if text:
            chunks.append(text)
            offset += len(text)
        counts[str(part.route)] = counts.get(str(part.route), 0) + 1
        pages.append(part.as_record(len(text), (start, offset)))
    text = "\n\n".join(chunks)
    if not text.strip():
        dropped = [p for p in pages if p.get("dropped")]
        if dropped:
            raise ParseError("low_ocr_confidence", f"no text kept: {len(dropped)} of {len(pages)} pages dropped; "
                                                   f"page {dropped[0]['number']}: {dropped[0]['dropped']}")
        failed = [p for p in pages if p["route"] == Route.FAILED]
        if failed and len(failed) == len(pages):
            raise ParseError("failed", f"all {len(pages)} pages failed; page {failed[0]['number']}: "
                                       f"{failed[0]['route_reason']}")
        if any(p.get("ocr_unavailable") for p in pages):
            raise ParseError("ocr_unavailable", "no text layer and no OCR engine available")
        raise ParseError("no_text", "no text on any page")
    return ParsedDocument(text=text, pages=pages, page_count=page_count, route_counts=counts)


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

