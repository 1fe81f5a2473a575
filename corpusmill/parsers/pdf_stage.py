"""The PDF stage: PDFs and page images (bytes) -> Markdown text, per-page routes, metadata.

Records of other media types pass through untouched. Each document is parsed
in a child process with a time limit and a memory limit (`pdf_worker.py`).

Outcomes by cause:
- corrupt or truncated PDF, broken image, not a PDF behind a PDF media type,
  image over the pixel cap, timeout, memory limit, parser crash -> `error`
  with a message ("corrupt PDF: ...", "timeout after 60s", ...).
- encrypted PDF (a password is needed), zero pages, no text on any page,
  pages needing OCR with no OCR engine installed -> `dropped` with reason
  `pdf_parse:encrypted`, `pdf_parse:zero_pages`, `pdf_parse:no_text`,
  `pdf_parse:ocr_unavailable`: these are properties of the document (or of
  the installation), not failures, and the corpus cannot use them as is.
"""
from __future__ import annotations

from typing import Any

from corpusmill.acquire.media_type import is_pdf_or_raster_image
from corpusmill.parsers.pdf_document import PARSER, ParseConfig
from corpusmill.parsers.pdf_worker import ParserProcess, WorkerFailure
from corpusmill.record import EXTRACTED, Record
from corpusmill.stage import Stage

_DROP_KINDS = frozenset({"encrypted", "zero_pages", "no_text", "ocr_unavailable"})
# "model" (a layout-model reading) is part of the record schema; no path here produces it yet.
_ROUTES = ("text-layer", "ocr", "model", "llm")


class PdfParse(Stage):
    name = "pdf_parse"
    version = "1"

    def __init__(
        self,
        timeout_s: float = 120.0,
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
        min_ocr_confidence: float = 0.75,
        ocr_layout: bool = True,
        media_types: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.timeout_s = timeout_s
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
            min_ocr_confidence=min_ocr_confidence,
            tables=tables,
            ocr_layout=ocr_layout,
        )
        self._worker = ParserProcess(self.config, memory_limit_mb)

    def handles(self, record: Record) -> bool:
        return (is_pdf_or_raster_image(record.media_type) and isinstance(record.content, (bytes, bytearray))
                and (self.media_types is None or record.media_type in self.media_types))

    def process(self, record: Record) -> None:
        assert record.content is not None  # handles() checked it
        content = bytes(record.content)
        try:
            answer = self._worker.parse(content, record.media_type, self.timeout_s)
        except WorkerFailure as e:
            record.fail(self.name, self.version, str(e))
            return
        if not answer["ok"]:
            if answer["kind"] in _DROP_KINDS:
                self.drop(record, answer["kind"], {"seconds": answer["seconds"]}, detail=answer["message"])
            else:
                record.fail(self.name, self.version, answer["message"])
            return
        self._apply(record, answer)

    def _apply(self, record: Record, answer: dict[str, Any]) -> None:
        record.text = answer["text"]
        record.pages = answer["pages"]
        record.source["page_count"] = answer["page_count"]
        if answer["repaired"]:
            record.source["pdf_repaired"] = True
        for key, value in answer["metadata"].items():
            record.metadata.setdefault(key, value)
        record.content = None
        counts = answer["route_counts"]
        scores: dict[str, float] = {"pages": answer["page_count"], "seconds": answer["seconds"]}
        for route in _ROUTES:
            scores[f"pages_{route.replace('-', '_')}"] = counts.get(route, 0)
        record.log(self.name, self.version, EXTRACTED, scores=scores, detail=PARSER)

    def close(self) -> None:
        self._worker.close()

