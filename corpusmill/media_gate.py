"""The gate after the parsers: a payload no parser turned into text is dropped, by name.

The WARC reader hands every response on with its media type; extractors and
parsers take what they understand. Whatever is still raw bytes here had no
parser in this pipeline, and is dropped with a reason that names its media
type (`no_parser:image/png`), never silently skipped.
"""
from __future__ import annotations

from corpusmill.record import Record
from corpusmill.stage import Stage


class MediaGate(Stage):
    name = "media_gate"
    version = "1"

    def process(self, record: Record) -> None:
        if record.content is not None:
            self.drop(record, f"no_parser:{record.media_type or 'unknown'}",
                      scores={"bytes": len(record.content)})
        elif not record.text.strip():
            self.drop(record, "empty_text")
