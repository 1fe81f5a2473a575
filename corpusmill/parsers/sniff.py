"""Media type from the first bytes of a payload, never from a file name.

A file called `report.pdf` that holds HTML must travel as `text/html` so the
PDF parser never sees it, and a PDF served as `application/octet-stream`
must still reach the PDF parser.
"""
from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
OCTET = "application/octet-stream"

# PDF readers accept a header anywhere in the first KiB (some producers
# prepend junk, e.g. a BOM or an HTTP header left in the file).
_PDF_HEADER_WINDOW = 1024


def sniff_media_type(head: bytes) -> str:
    """The media type of a payload from its first bytes (at least 1 KiB for PDFs)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return TIFF
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return PDF
    stripped = head.lstrip()[:256].lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    if stripped.startswith(b"<?xml"):
        return "application/xml"
    if _looks_like_text(head[:4096]):
        return "text/plain"
    return OCTET


def is_parseable(media_type: str) -> bool:
    """Whether the PDF stage parses this media type (PDFs and raster images)."""
    return media_type == PDF or (media_type.startswith("image/") and "svg" not in media_type)


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still text.
        if e.start < len(sample) - 4:
            return False
    return b"\x00" not in sample
