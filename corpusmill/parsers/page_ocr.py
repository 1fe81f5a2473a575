"""The OCR and LLM paths for one page image.

OCR and layout models belong to `corpusmill.layout` (another module's
engineer); this only calls its interface:
`corpusmill.layout.ocr.get_ocr_engine(name, threads=n).recognize(rgb) -> [OcrLine]`
(and `recognize_batch` where an engine batches pages),
`corpusmill.layout.ocr_lines.page_confidence`, `corpusmill.layout.preprocess.is_blank`,
`corpusmill.layout.orientation.read_upright` (quarter turns),
`corpusmill.layout.reading_order.order_lines(lines, page_width)` and
`corpusmill.layout.layout_model.line_regions` (the layout region each line lies
in, and so what it is). The LLM fallback is
`corpusmill.parsers.llm_fallback.LlmPageClient`. Engines are loaded on first use
and kept for the life of the worker process.

An OCR page becomes typed blocks as a text-layer page does (`ocr_page_blocks`):
the lines of one layout region that follow each other in reading order make
one block (a paragraph, a heading, a caption, a formula), lines lining up in
columns make a table, and `markdown.render_blocks` renders them: one renderer
for every route.
"""
from __future__ import annotations

import functools
import operator
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pymupdf

from corpusmill.layout import page_script
from corpusmill.layout.ocr_lines import OcrLine
from corpusmill.parsers.markdown import render_blocks
from corpusmill.parsers.page_images import png_from_array, render_region
from corpusmill.parsers.page_model import BlockType, ReadPage, Route, page_blocks
from corpusmill.parsers.text_layer import Block, Line


class OcrUnavailable(RuntimeError):
    pass


# Engines whose recogniser reads only some scripts (`layout.page_script`): the bundled RapidOCR models.
_SOME_SCRIPTS = ("rapidocr", "onnx-gpu")

# Kinds whose regions may hold several paragraphs, split where a line ends short (`_ends_paragraph`).
_PARAGRAPHS = frozenset({BlockType.PARAGRAPH, BlockType.REFERENCE, BlockType.CAPTION})

# A line ending in a word broken at a hyphen goes on in the next line.
_BROKEN_WORD = re.compile(r"[^\W\d_]-$")

# The level of an OCR heading (rendered "## "): a section's, for want of font sizes to rank them by.
_OCR_HEADING = 2

# A running header or footer is set no larger than the text; a line the model
# calls a header but set larger is a slide's frame title or a letterhead: kept.
_MAX_FURNITURE_HEIGHT = 1.1


class PageReader:
    """Holds the OCR engine and the LLM client of one worker process."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._engine_error: str | None = None
        self._llm: Any = None

    def batch_size(self, config) -> int:
        """Pages the OCR engine wants at once (model pipelines batch; the CPU default reads one).

        Loads the engine (and the layout model where it runs) on first use, so
        that loading is not charged to the time budget of the first page.
        """
        engine = self._ocr(config)
        if config.ocr_layout and not engine.name.startswith("models"):
            try:
                from corpusmill.layout.layout_model import load_layout_model

                load_layout_model(device=getattr(engine, "device", "cpu"))
            except Exception:  # a layout failure is reported on the pages that need it
                pass
        return max(1, int(getattr(engine, "batch_size", 1)))

    def read_images(self, images: list[np.ndarray], pages: list[ReadPage], known: list[list[str]],
                    config) -> list[ReadPage]:
        """OCR page images, in one batch where the engine takes batches.

        `pages` are the routed pages (number, route, reason) the readings
        complete; `known` the texts of each page's furniture its text layer
        showed (a running footer repeated on the other pages), to be left out
        of the OCR text as well.
        """
        engine = self._ocr(config)
        batch = getattr(engine, "recognize_batch", None)
        firsts = batch(images) if batch is not None and len(images) > 1 else [None] * len(images)
        return [self._read(engine, image, page, furniture, config, first)
                for image, page, furniture, first in zip(images, pages, known, firsts)]

    def _read(self, engine: Any, image: np.ndarray, page: ReadPage, known: list[str], config,
              first: Any) -> ReadPage:
        """One page: turned upright, lines in reading order; low confidence goes to the LLM if configured."""
        from corpusmill.layout.ocr_lines import page_confidence
        from corpusmill.layout.orientation import read_upright
        from corpusmill.layout.preprocess import is_blank
        from corpusmill.layout.reading_order import order_lines

        if first is None and is_blank(image):
            return page.with_(note="blank page (no ink), not OCRed")
        read = read_upright(engine, image, first)
        lines = order_lines(read.lines, read.image.shape[1])
        notes: list[str] = []
        route = page.route
        if read.rotation:
            # Block boxes below are in the turned page's pixels.
            notes.append(f"page turned {read.rotation} degrees clockwise to read it")
        if engine.name.startswith("models"):
            route = Route.MODEL
            notes.append(f"read by the model pipeline ({engine.name})")
        elif getattr(engine, "device", "cpu") != "cpu":
            notes.append(f"read on {engine.device} ({engine.name})")
        confidence = page_confidence(lines)
        # A re-reading by Tesseract is told the render dpi (an image file's own is unknown: scans are
        # mostly 200-300 dpi, a closer guess than the 70 Tesseract assumes).
        if lines and confidence < page_script.CHECK_BELOW and engine.name.split("+")[0] in _SOME_SCRIPTS:
            other = page_script.reread(read.image, config.dpi)
            if other is not None:
                notes.append(other.note)
                if other.lines is not None:
                    lines = order_lines(other.lines, read.image.shape[1])
                    confidence = page_confidence(lines)
        # The layout model's region of each line (and so its type), or none: a bare text line.
        regions, failure = _regions(engine, read.image, lines, config)
        if failure:
            notes.append(failure)
        ordered, furniture = ocr_page_blocks(lines, regions, read.image.shape[1], read.image.shape[0], known)
        page = page.with_(note="; ".join(notes), route=route, rotation=read.rotation,
                          ocr_confidence=round(confidence, 4), blocks=page_blocks(ordered, furniture),
                          text=render_blocks(ordered))
        if lines and confidence < config.low_ocr_confidence:
            return self._low_confidence(png_from_array(read.image), page, confidence, config)
        return page

    def read_regions(self, page: Any, regions: tuple[tuple[float, float, float, float], ...],
                     known: list[tuple[float, float, float, float]], config) -> tuple[list[Block], str]:
        """OCR of the regions of a text-layer page whose ink its text layer lacks: the typed blocks of each
        region that reads as text (paragraphs, a table where lines line up in columns; in text-layer
        coordinates), and what came of it for the route reason.

        Lines read below `low_ocr_confidence` are left out: a region is a guess
        from pixels (a logo, a chart's marks) and a misread adds noise to a good
        page; so is a region read as a mere fragment. So are lines lying on the
        text layer's own lines (`known` boxes): a region reaching over them must
        not say their words twice.
        """
        from corpusmill.layout.reading_order import order_lines

        try:
            engine = self._ocr(config)
        except OcrUnavailable as e:
            return [], f"OCR unavailable: {e}"
        blocks: list[Block] = []
        read_lines = read_regions = 0
        for region in regions:
            image, back = render_region(page, pymupdf.Rect(region), config.dpi, config.max_render_pixels)
            if image.size == 0:
                continue
            lines = [line for line in order_lines(engine.recognize(image), image.shape[1])
                     if line.confidence >= config.low_ocr_confidence and any(c.isalnum() for c in line.text)]
            if not lines:
                continue
            placed = [(line, pymupdf.Rect(line.bbox) * back) for line in lines]
            placed = [(line, r) for line, r in placed if not _on_known(r, known)]
            if _weight("".join(line.text for line, _ in placed)) < _MIN_REGION_TEXT:
                continue
            # One region: its lines a paragraph, those lining up in columns a table.
            blocks += line_blocks([(_line(line.text, tuple(r)), BlockType.PARAGRAPH, 0) for line, r in placed])
            read_lines += len(placed)
            read_regions += 1
        return blocks, f"{read_lines} lines read in {read_regions} of them"

    def _low_confidence(self, png: bytes, page: ReadPage, confidence: float, config) -> ReadPage:
        """A page OCR barely read (handwriting, a ruined scan): the LLM's reading, else flagged or dropped.

        Never kept silently: `low_confidence` marks it, and under
        `min_ocr_confidence` its text is left out with the reason on the page.
        """
        hard = f"low OCR confidence ({confidence:.2f})"
        page = page.with_(low_confidence=True, hard=hard)
        if config.llm_endpoint and config.llm_model:
            llm_text, reason = self.transcribe(png, page.text, config)
            if llm_text is not None:
                return page.with_(route=Route.LLM, note=hard, text=llm_text)
            page = page.with_(note=f"{hard}, LLM failed ({reason})", llm_failed=reason)
        else:
            page = page.with_(note=f"{hard}, no LLM configured")
        if config.min_ocr_confidence is not None and confidence < config.min_ocr_confidence:
            return page.with_(text="", dropped=f"OCR confidence {confidence:.2f} below the minimum "
                                                f"{config.min_ocr_confidence:g}")
        return page

    def transcribe(self, png: bytes, anchor_text: str, config) -> tuple[str | None, str]:
        """The LLM's transcription of a page, or (None, why not)."""
        return self.transcribe_many([(png, anchor_text)], config)[0]

    def transcribe_many(self, pages: list[tuple[bytes, str]], config) -> list[tuple[str | None, str]]:
        """(png, anchor text) pages, up to `llm_concurrency` at once: each one's text, or (None, why not)."""
        if self._llm is None:
            from corpusmill.parsers.llm_fallback import LlmPageClient

            # The budget is this client's: one per parser process, for the life of the process.
            self._llm = LlmPageClient(config.llm_endpoint, config.llm_model, concurrency=config.llm_concurrency,
                                      budget_pages=config.llm_budget_pages, budget_tokens=config.llm_budget_tokens,
                                      page_budget_s=config.llm_page_s, timeout_s=config.llm_page_s)
        return [(r.text, "ok") if r.ok and r.text.strip() else (None, r.reason or "empty answer")
                for r in self._llm.transcribe_many(pages)]

    def _ocr(self, config) -> Any:
        if self._engine is not None:
            return self._engine
        if self._engine_error is not None:
            raise OcrUnavailable(self._engine_error)
        try:
            from corpusmill.layout.ocr import get_ocr_engine

            self._engine = get_ocr_engine(config.ocr_engine, threads=config.ocr_threads)
        except Exception as e:  # missing module, missing weights, no device
            self._engine_error = f"{type(e).__name__}: {e}"[:300]
            raise OcrUnavailable(self._engine_error) from e
        return self._engine


# An OCR line this much inside the text layer's lines repeats them.
_KNOWN_OVERLAP = 0.5
# A region read as less text than this (letters and digits; a CJK character,
# about half a word, counts twice) is a fragment: a seal's lettering, a year on a logo.
_MIN_REGION_TEXT = 12


def _weight(text: str) -> int:
    return sum(2 if "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" else 1 for c in text if c.isalnum())


def _on_known(box: Any, known: list[tuple[float, float, float, float]]) -> bool:
    area = max(box.width * box.height, 1e-6)
    covered = 0.0
    for x0, y0, x1, y1 in known:
        w, h = min(box.x1, x1) - max(box.x0, x0), min(box.y1, y1) - max(box.y0, y0)
        if w > 0 and h > 0:
            covered += w * h
    return covered >= _KNOWN_OVERLAP * area


# The layout region a line lies in: (its index on the page, its type), or None outside every region.
Region = tuple[int, BlockType] | None


def _regions(engine: Any, image: np.ndarray, lines: list, config) -> tuple[list[Region], str]:
    """The layout model's region of each line (None throughout when the layout model is off or
    fails), and what went wrong, if anything.

    The torch model pipeline (`--backend torch`) has its own layout model, so the
    CPU one runs only beside CPU OCR engines.
    """
    if not config.ocr_layout or not lines or engine.name.startswith("models"):
        return [None] * len(lines), ""
    try:
        from corpusmill.layout.layout_model import detect_layout, line_regions

        layout = detect_layout(image, device=getattr(engine, "device", "cpu"))
        return [None if i is None else (i, BlockType(layout[i].type)) for i in line_regions(lines, layout)], ""
    except Exception as e:  # a layout failure costs the labels, not the page
        return [None] * len(lines), f"layout model failed ({type(e).__name__}: {e})"[:200]


def ocr_page_blocks(lines: Sequence[OcrLine], regions: Sequence[Region], width: int, height: int,
                    known: list[str]) -> tuple[list[Block], list[Block]]:
    """An OCR page's lines (in reading order, boxes in pixels of a `width` x `height` page) as typed
    blocks: those of the text in reading order, and the furniture (a block a line) left out of it.

    `regions` are the layout model's (`_regions`); `known` the furniture texts
    the document's text layer showed.
    """
    types = [BlockType.TEXT_LINE if region is None else region[1] for region in regions]
    removed, types = _furniture(lines, types, width, height, known)
    placed = [_line(line.text, line.bbox) for line in lines]
    kept = _continuations([(placed[i], types[i], None if regions[i] is None else regions[i][0])
                           for i in range(len(lines)) if i not in removed])
    return line_blocks(kept), [Block([placed[i]], placed[i].bbox, types[i]) for i in sorted(removed)]


def line_blocks(kept: Sequence[tuple[Line, BlockType, int | None]]) -> list[Block]:
    """(line, type, region) in reading order -> blocks: lines lining up in columns as a table where its
    first line was; the next lines of one region and type as one block; lines of no region (no layout
    model) as one block of text lines."""
    from corpusmill.parsers.table_aligned import aligned_tables
    from corpusmill.parsers.table_render import render

    tables: dict[int, Block] = {}  # first line of a table -> the table
    taken: set[int] = set()
    for _, rows, ids in aligned_tables([(*line.bbox, line.text) for line, _, _ in kept]):
        md = render(rows)
        if md:
            cells = [kept[i][0] for i in sorted(ids)]
            tables[min(ids)] = Block(cells, _union(cells), BlockType.TABLE, markdown=md)
            taken.update(ids)
    right: dict[int | None, float] = {}  # where the lines of each region end at the furthest
    for line, _, region in kept:
        right[region] = max(right.get(region, 0.0), line.bbox[2])
    parts: list[Block | tuple[BlockType, list[Line]]] = []  # tables, and the (type, lines) of other blocks
    run: tuple[BlockType, int | None] | None = None  # type and region of the last part, while lines may join it
    for i, (line, kind, region) in enumerate(kept):
        if i in tables:
            parts.append(tables[i])
            run = None
        elif i in taken:
            continue
        elif run == (kind, region) and not (kind in _PARAGRAPHS and _ends_paragraph(parts[-1][1][-1], line, right[region])):
            parts[-1][1].append(line)
        else:
            parts.append((kind, [line]))
            run = (kind, region)
    # OCR headings have no font sizes to rank them by: each is a section heading.
    return [p if isinstance(p, Block) else Block(p[1], _union(p[1]), p[0], _OCR_HEADING if p[0] == BlockType.HEADING else 0)
            for p in parts]


def _ends_paragraph(before: Line, line: Line, right: float) -> bool:
    """Whether `before` ends its paragraph: the first word of `line` would have fitted after it (the
    layout model's text regions often hold several paragraphs, or a run-in heading and its text), and
    `before` does not break a word ("some-" "one")."""
    words = line.text.split()
    if not words or _BROKEN_WORD.search(before.text):
        return False
    char = (line.bbox[2] - line.bbox[0]) / len(line.text)  # the line's mean advance, spaces included
    return right - before.bbox[2] > (len(words[0]) + 1) * char


def _line(text: str, bbox: Sequence[float]) -> Line:
    box = tuple(float(v) for v in bbox)
    return Line(text.strip(), box, box[3] - box[1], False, False, 0)


def _union(lines: Sequence[Line]) -> tuple[float, float, float, float]:
    return tuple(functools.reduce(operator.or_, (pymupdf.Rect(line.bbox) for line in lines)))


def _furniture(lines: Sequence[OcrLine], types: list[BlockType], width: int, height: int,
               known: list[str]) -> tuple[set[int], list[BlockType]]:
    """Indexes of the lines that are running headers or footers (left out of the text), and the lines'
    types with theirs (the furniture's kind; text for what the model called furniture but is not).

    The layout model's header/footer regions (where nothing but furniture lies
    between the line and the page edge), lines at the top or bottom edge shaped
    like a stamp or a page number (its classes miss small ones), edge or margin
    lines reading as furniture the page's text layer already showed (`known`: a
    running footer repeated on the document's other pages, a margin stamp), and
    short lines stacked on any of these with no space between (one footer block).
    """
    from corpusmill.parsers.page_furniture import (
        EDGE_STAMP_BAND, in_side_margin, is_edge_furniture, outermost_line, same_furniture, stacked_furniture)

    types = list(types)
    heights = sorted(line.bbox[3] - line.bbox[1] for line in lines)
    if not heights:
        return set(), types
    body = heights[len(heights) // 2]
    boxes = [tuple(line.bbox) for line in lines]
    model = {i for i, kind in enumerate(types) if kind in (BlockType.PAGE_HEADER, BlockType.PAGE_FOOTER)}
    removed: set[int] = set()
    for i, (line, kind) in enumerate(zip(lines, types)):
        at_edge = line.bbox[3] <= EDGE_STAMP_BAND * height or line.bbox[1] >= (1 - EDGE_STAMP_BAND) * height
        top = line.bbox[3] <= height / 2
        if i in model and line.bbox[3] - line.bbox[1] <= _MAX_FURNITURE_HEIGHT * body \
                and outermost_line(i, boxes, model, top):
            removed.add(i)
        elif at_edge and (is_edge_furniture(line.text, top) or any(same_furniture(line.text, k) for k in known)):
            types[i] = BlockType.PAGE_HEADER if top else BlockType.PAGE_FOOTER
            removed.add(i)
        elif in_side_margin(boxes[i], width) and any(same_furniture(line.text, k) for k in known):
            types[i] = BlockType.MARGIN_NOTE
            removed.add(i)
    for i in stacked_furniture(boxes, [line.text for line in lines], removed, height):
        types[i] = BlockType.PAGE_HEADER if boxes[i][3] <= height / 2 else BlockType.PAGE_FOOTER
        removed.add(i)
    for i in model - removed:  # the model's header or footer judged text after all: typed as text it stays in
        types[i] = BlockType.PARAGRAPH
    return removed, types


def _continuations(kept: list[tuple[Line, BlockType, int | None]]) -> list[tuple[Line, BlockType, int | None]]:
    """Lines the layout model calls headings that go on the sentence of the body line before them
    (starting in lower case after a line that ends no sentence) typed as that line and put in its
    block: emphasis (bold, colour) inside a paragraph is taken for a title."""
    out: list[tuple[Line, BlockType, int | None]] = []
    for line, kind, region in kept:
        if kind == BlockType.HEADING and out and out[-1][1] != BlockType.HEADING and _continues(out[-1][0].text, line.text):
            kind, region = out[-1][1], out[-1][2]
        out.append((line, kind, region))
    return out


def _continues(before: str, text: str) -> bool:
    """Whether `text` reads as the next line of the sentence `before` leaves open."""
    return text[:1].islower() and not before.rstrip().endswith((".", "!", "?", ":", ";"))
