"""The PDF stage: PDFs and page images (bytes) -> Markdown text, per-page routes, metadata.

Records of other media types pass through untouched. Each document is parsed
in a child process, each page within a time budget and the memory limit, the
document within a budget that grows with its page count (`pdf_worker.py`).

Outcomes by cause:
- a page over its time budget or the memory limit, a page MuPDF cannot read,
  a corrupt image inside a page, an OCR error on a page -> that page's route
  is `failed` with the reason; the rest of the document is kept and the
  record's `pages_failed` score counts them.
- corrupt or truncated PDF, broken image, not a PDF behind a PDF media type,
  image over the pixel cap, every page failed, the child dying before it
  reached the first page -> `error` with a message ("corrupt PDF: ...",
  "timeout after 60s", ...).
- encrypted PDF (a password is needed), zero pages, no text on any page,
  pages needing OCR with no OCR engine installed, every page's OCR below
  `min_ocr_confidence` -> `dropped` with reason `pdf_parse:encrypted`,
  `pdf_parse:zero_pages`, `pdf_parse:no_text`, `pdf_parse:ocr_unavailable`,
  `pdf_parse:low_ocr_confidence`: these are properties of the document (or of
  the installation), not failures, and the corpus cannot use them as is.
"""
from __future__ import annotations

from typing import Any, Callable

from corpusmill.acquire.media_type import is_pdf_or_raster_image
from corpusmill.corpus_stage import RunContext
from corpusmill.parsers import page_ranges
from corpusmill.parsers.page_model import Route
from corpusmill.parsers.pdf_document import PARSER, ParseConfig, ParseError, assemble
from corpusmill.parsers.pdf_worker import Budget, Parsed, ParserProcess, WorkerFailure
from corpusmill.tasks import Pass
from corpusmill.record import EXTRACTED, Record
from corpusmill.stage import Stage

_DROP_KINDS = frozenset({"encrypted", "zero_pages", "no_text", "ocr_unavailable", "low_ocr_confidence"})
_ROUTES = tuple(Route)
# The default OCR route reads a degraded page in about 7 s on one shared core
# (bench/results/ocr.md, worst pages ~11 s): a page gets 90 s, about 8 times
# the worst measured, and a document 30 s a page on top of its base budget.
PAGE_TIMEOUT_S = 90.0
DOCUMENT_S_PER_PAGE = 30.0


def _document_s_per_page(page_timeout_s: float) -> float:
    return max(DOCUMENT_S_PER_PAGE, page_timeout_s / 3)


def _llm_page_s(page_timeout_s: float, llm_concurrency: int) -> float:
    """What one page may spend with the LLM: three quarters of the page's budget, and of what a batch
    of `llm_concurrency` pages adds to the document's budget; the rest keeps the page's own reading."""
    return 0.75 * min(page_timeout_s, _document_s_per_page(page_timeout_s) * max(1, llm_concurrency))


class PdfParse(Stage):
    name = "pdf_parse"
    version = "1"

    def __init__(
        self,
        timeout_s: float = 120.0,
        page_timeout_s: float = PAGE_TIMEOUT_S,
        memory_limit_mb: int | None = 4096,
        dpi: int = 200,
        ocr_engine: str = "default",
        llm_endpoint: str | None = None,
        llm_model: str | None = None,
        llm_concurrency: int = 4,
        llm_budget_pages: int | None = None,
        llm_budget_tokens: int | None = None,
        tables: bool = True,
        max_image_pixels: int = 80_000_000,
        low_ocr_confidence: float = 0.9,
        min_ocr_confidence: float | None = None,
        ocr_layout: bool = True,
        media_types: list[str] | None = None,
        range_pages: int = page_ranges.RANGE_PAGES,
    ) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.page_timeout_s = page_timeout_s
        self.range_pages = max(1, range_pages)  # pages per range of a long scan (see page_ranges.py)
        # None: PDFs and every image type. The WARC job passes ["application/pdf"]:
        # images on web pages are logos and photos, not scanned documents.
        self.media_types = set(media_types) if media_types is not None else None
        self.config = ParseConfig(
            dpi=dpi,
            max_image_pixels=max_image_pixels,
            ocr_engine=ocr_engine,
            llm_endpoint=llm_endpoint,
            llm_model=llm_model,
            llm_concurrency=llm_concurrency,
            llm_budget_pages=llm_budget_pages,
            llm_budget_tokens=llm_budget_tokens,
            llm_page_s=_llm_page_s(page_timeout_s, llm_concurrency),
            low_ocr_confidence=low_ocr_confidence,
            min_ocr_confidence=min_ocr_confidence,
            tables=tables,
            ocr_layout=ocr_layout,
        )
        self._worker = ParserProcess(self.config, memory_limit_mb)
        self._run: RunContext | None = None

    def handles(self, record: Record) -> bool:
        return (is_pdf_or_raster_image(record.media_type) and isinstance(record.content, (bytes, bytearray))
                and (self.media_types is None or record.media_type in self.media_types))

    @staticmethod
    def prepare(ctx: RunContext, files: list[str], spec: dict[str, Any], source: dict[str, Any],
                run_pass: Callable[[Pass], dict[str, dict[str, Any]]]) -> None:
        """Before the job's first segment: long scans are read in page ranges on all workers."""
        page_ranges.prepare(ctx, files, spec, source, run_pass)

    def bind_run(self, ctx: RunContext) -> None:
        """In a job: where `prepare` left the page ranges of long scans."""
        self._run = ctx

    def probe(self, path: str) -> tuple[int, int]:
        return self._worker.probe(path, self.timeout_s)

    def parse_range(self, path: str, media_type: str, pages: tuple[int, int]) -> Parsed:
        """Pages [start, stop) of the PDF or image at `path`, under the same budgets as a whole document."""
        return self._worker.parse(path, media_type, self._budget(), pages)

    def _budget(self) -> Budget:
        return Budget(page_s=self.page_timeout_s, base_s=self.timeout_s,
                      per_page_s=_document_s_per_page(self.page_timeout_s))

    def process(self, record: Record) -> None:
        assert record.content is not None  # handles() checked it
        try:
            parsed = self._joined(record)
            if parsed is None:
                parsed = self._worker.parse(bytes(record.content), record.media_type, self._budget())
            self._apply(record, parsed)
        except WorkerFailure as e:
            record.fail(self.name, self.version, str(e))
        except ParseError as e:
            if e.kind in _DROP_KINDS:
                self.drop(record, e.kind, detail=str(e))
            else:
                record.fail(self.name, self.version, str(e))

    def _joined(self, record: Record) -> Parsed | None:
        """A long scan's pages, read in ranges by `prepare`; None for any other document."""
        if self._run is None:
            return None
        return page_ranges.joined(page_ranges.folder_for(self._run, page_ranges.content_sha1(record)))

    def _apply(self, record: Record, parsed: Parsed) -> None:
        doc = assemble(parsed.parts, parsed.page_count)
        record.text = doc.text
        record.pages = doc.pages
        record.source["page_count"] = doc.page_count
        if parsed.repaired:
            record.source["pdf_repaired"] = True
        for key, value in parsed.metadata.items():
            record.metadata.setdefault(key, value)
        record.content = None
        # No parse time here: the record must not depend on timing (it is in the run's stage stats).
        scores: dict[str, float] = {"pages": doc.page_count}
        for route in _ROUTES:
            scores[f"pages_{route.replace('-', '_')}"] = doc.route_counts.get(route, 0)
        scores["pages_low_confidence"] = sum(1 for p in doc.pages if p.get("low_confidence"))
        scores["pages_dropped"] = sum(1 for p in doc.pages if p.get("dropped"))
        scores["pages_llm_failed"] = sum(1 for p in doc.pages if p.get("llm_failed"))
        record.log(self.name, self.version, EXTRACTED, scores=scores, detail=PARSER)

    def close(self) -> None:
        self._worker.close()

