"""The pipeline stage that makes plain-text payloads (`text/plain`, `text/markdown`) documents.

A web server's plain text is already the document: it only needs decoding
(charset from the record's source, checked against the bytes, as for HTML)
and its line ends normalised. It then goes through the same filters as
extracted HTML, instead of being dropped as having no parser.
"""
from __future__ import annotations

import re

from corpusmill.extract.charset import decode_record
from corpusmill.record import EXTRACTED, Record
from corpusmill.stage import Stage

PLAIN_TEXT_MEDIA_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
# Control characters other than tab and line feed carry no text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PlainText(Stage):
    name = "plain_text"
    version = "1"

    def handles(self, record: Record) -> bool:
        return record.media_type in PLAIN_TEXT_MEDIA_TYPES and isinstance(record.content, bytes)

    def process(self, record: Record) -> None:
        content, decoded_text = decode_record(record)
        text = _CONTROL.sub("", decoded_text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        record.text = text
        record.content = None
        scores = {"chars": len(text), "bytes": len(content)}
        if not text:
            return self.drop(record, "empty_text", scores)
        record.log(self.name, self.version, EXTRACTED, scores=scores)
