"""The pipeline stage that turns HTML payloads into main text and metadata."""
from __future__ import annotations

from corpusmill.extract import ENGINES, html_to_text
from corpusmill.extract.charset import decode_record
from corpusmill.record import EXTRACTED, Record
from corpusmill.stage import Stage

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class HtmlExtract(Stage):
    """Decode (charset from the record's source, validated against the bytes), extract
    the main text with `engine`, merge the page metadata into `record.metadata`.

    Only HTML records with a byte payload are handled (`handles`); any other record
    (PDF, image, already-extracted text) passes through untouched and uncounted, so
    this stage's in/out say how many pages it extracted.
    """

    name = "html_extract"
    version = "1"

    def __init__(self, engine: str = "corpusmill", min_chars: int = 1) -> None:
        super().__init__()
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
        self.engine = engine
        self.min_chars = min_chars

    def handles(self, record: Record) -> bool:
        return record.media_type in HTML_MEDIA_TYPES and isinstance(record.content, bytes)

    def limits(self, record: Record) -> dict[str, str]:
        return {"chars": f">= {self.min_chars}"}

    def process(self, record: Record) -> None:
        content, decoded_text = decode_record(record)
        result = html_to_text(decoded_text, url=record.source.get("uri"), engine=self.engine)
        for key, value in result.metadata.items():
            if value is not None:
                record.metadata[key] = value
        record.text = result.text
        record.content = None
        scores = {"chars": len(result.text), "html_bytes": len(content)}
        if len(result.text.strip()) < self.min_chars:
            self.drop(record, "empty_text", scores, detail=result.engine)
            return
        record.log(self.name, self.version, EXTRACTED, scores=scores, detail=result.engine)
