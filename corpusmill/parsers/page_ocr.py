"""The OCR and LLM paths for one page image.

OCR and layout models belong to `corpusmill.layout` (another module's
engineer); this only calls its interface:
`corpusmill.layout.ocr.get_ocr_engine(name, threads=n).recognize(rgb) -> [OcrLine]`
(and `recognize_batch` where an engine batches pages),
`corpusmill.layout.ocr_lines.page_confidence`, `corpusmill.layout.preprocess.is_blank`,
`corpusmill.layout.orientation.read_upright` (quarter turns),
`corpusmill.layout.reading_order.order_lines(lines, page_width)` and
`corpusmill.layout.layout_model.label_lines` (what each line is). The LLM
fallback is `corpusmill.parsers.llm_fallback.LlmPageClient`. Engines are
loaded on first use and kept for the life of the worker process.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from corpusmill.layout import page_script
from corpusmill.parsers.page_images import png_from_array, render_region
from corpusmill.parsers.page_model import BlockType, PageBlock, ReadPage, Route
from corpusmill.parsers.text_layer import Block, Line


class OcrUnavailable(RuntimeError):
    pass


# Engines whose recogniser reads only some scripts (`layout.page_script`): the bundled RapidOCR models.
_SOME_SCRIPTS = ("rapidocr", "onnx-gpu")

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
        # Block type of each line: the layout model's region, or a bare text line.
        kinds, failure = _regions(engine, read.image, lines, config)
        if failure:
            notes.append(failure)
        types = [BlockType(kind) if kind else BlockType.TEXT_LINE for kind in kinds]
        removed = _furniture(lines, types, read.image.shape[1], read.image.shape[0], known)
        kept = _continuations([(line, kind) for i, (line, kind) in enumerate(zip(lines, types)) if i not in removed])
        blocks = ([PageBlock(kind, line.bbox, i) for i, (line, kind) in enumerate(kept)]
                  + [PageBlock(types[i], lines[i].bbox, None, text=lines[i].text) for i in sorted(removed)])
        page = page.with_(note="; ".join(notes), route=route, rotation=read.rotation,
                          ocr_confidence=round(confidence, 4), blocks=tuple(blocks),
                          text=_text_with_tables(_markdown_headings(kept)))
        if lines and confidence < config.low_ocr_confidence:
            return self._low_confidence(png_from_array(read.image), page, confidence, config)
        return page

    def read_regions(self, page: Any, regions: tuple[tuple[float, float, float, float], ...],
                     known: list[tuple[float, float, float, float]], config) -> tuple[list[Block], str]:
        """OCR of the regions of a text-layer page whose ink its text layer lacks: one block per region that
        reads as text (in text-layer coordinates), and what came of it for the route reason.

        Lines read below `low_ocr_confidence` are left out: a region is a guess
        from pixels (a logo, a chart's marks) and a misread adds noise to a good
        page; so is a region read as a mere fragment. So are lines lying on the
        text layer's own lines (`known` boxes): a region reaching over them must
        not say their words twice.
        """
        import pymupdf

        from corpusmill.layout.reading_order import order_lines

        try:
            engine = self._ocr(config)
        except OcrUnavailable as e:
            return [], f"OCR unavailable: {e}"
        blocks: list[Block] = []
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
            lines = [line for line, _ in placed]
            text_lines = [Line(line.text.strip(), tuple(r), r.height, False, False, 0) for line, r in placed]
            md = _text_with_tables(lines)
            box = tuple(pymupdf.Rect(region))
            kind = BlockType.TABLE if any(row.startswith("|") for row in md.splitlines()) else BlockType.PARAGRAPH
            blocks.append(Block(lines=text_lines, bbox=box, kind=kind, markdown=md if kind == "table" else None))
        read = sum(len(b.lines) for b in blocks)
        return blocks, f"{read} lines read in {len(blocks)} of them"

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


def _regions(engine: Any, image: np.ndarray, lines: list, config) -> tuple[list[str | None], str]:
    """The layout model's block type for each line (None throughout when the layout model is off or
    fails), and what went wrong, if anything.

    The torch model pipeline (`--backend torch`) has its own layout model, so the
    CPU one runs only beside CPU OCR engines.
    """
    if not config.ocr_layout or not lines or engine.name.startswith("models"):
        return [None] * len(lines), ""
    try:
        from corpusmill.layout.layout_model import detect_layout, label_lines

        return label_lines(lines, detect_layout(image, device=getattr(engine, "device", "cpu"))), ""
    except Exception as e:  # a layout failure costs the labels, not the page
        return [None] * len(lines), f"layout model failed ({type(e).__name__}: {e})"[:200]


def _furniture(lines: list, types: list[BlockType], width: int, height: int, known: list[str]) -> set[int]:
    """Indexes of the lines that are running headers or footers (left out of the text).

    The layout model's header/footer regions (where nothing but furniture lies
    between the line and the page edge), lines at the top or bottom edge shaped
    like a stamp or a page number (its classes miss small ones), edge or margin
    lines reading as furniture the page's text layer already showed (`known`: a
    running footer repeated on the document's other pages, a margin stamp), and
    short lines stacked on any of these with no space between (one footer block).
    """
    from corpusmill.parsers.page_furniture import (
        EDGE_STAMP_BAND, in_side_margin, is_edge_furniture, outermost_line, same_furniture, stacked_furniture)

    heights = sorted(line.bbox[3] - line.bbox[1] for line in lines)
    if not heights:
        return set()
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
    return removed


def _text_with_tables(lines: list) -> str:
    """The page's lines as text; lines lining up in columns as a table, where its first line was."""
    from corpusmill.layout.reading_order import lines_to_text
    from corpusmill.parsers.table_aligned import aligned_tables
    from corpusmill.parsers.table_render import render

    tables: dict[int, str] = {}  # first line of a table -> its Markdown
    taken: set[int] = set()
    for _, rows, ids in aligned_tables([(*line.bbox, line.text) for line in lines]):
        md = render(rows)
        if md:
            tables[min(ids)] = md
            taken.update(ids)
    if not tables:
        return lines_to_text(lines)
    parts: list[str] = []
    run: list = []
    for i, line in enumerate(lines):
        if i in tables:
            parts += [lines_to_text(run), tables[i]]
            run = []
        elif i not in taken:
            run.append(line)
    parts.append(lines_to_text(run))
    return "\n\n".join(p for p in parts if p)


def _markdown_headings(kept: list[tuple[Any, str]]) -> list:
    """Lines with heading lines as Markdown headings; a heading set on two lines becomes one."""
    out: list = []
    previous = None
    for line, kind in kept:
        if kind == BlockType.HEADING and previous == BlockType.HEADING:
            out[-1] = dataclasses.replace(out[-1], text=f"{out[-1].text} {line.text}")
        elif kind == BlockType.HEADING:
            out.append(dataclasses.replace(line, text=f"## {line.text}"))
        else:
            out.append(line)
        previous = kind
    return out


def _continuations(kept: list[tuple[Any, BlockType]]) -> list[tuple[Any, BlockType]]:
    """Lines the layout model calls headings that go on the sentence of the body line before them
    (starting in lower case after a line that ends no sentence) typed as that line: emphasis (bold,
    colour) inside a paragraph is taken for a title."""
    out: list[tuple[Any, BlockType]] = []
    for line, kind in kept:
        if kind == BlockType.HEADING and out and out[-1][1] != BlockType.HEADING and _continues(out[-1][0].text, line.text):
            kind = out[-1][1]
        out.append((line, kind))
    return out


def _continues(before: str, text: str) -> bool:
    """Whether `text` reads as the next line of the sentence `before` leaves open."""
    return text[:1].islower() and not before.rstrip().endswith((".", "!", "?", ":", ";"))
