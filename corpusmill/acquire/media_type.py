"""What a payload is, from its first bytes: the one media-type sniffer of every reader.

Servers mislabel often (a PDF sent as text/html, an HTML error page sent as
image/png, no Content-Type at all) and file names lie (`report.pdf` holding
HTML), and the media type decides which extractor or parser sees the bytes, so
a recognised signature wins over the header (`resolve_media_type`, for HTTP
payloads) and over the name (`sniff_media_type`, for files).
"""
from __future__ import annotations

import re

PDF = "application/pdf"
OCTET = "application/octet-stream"

# Signatures that identify a format on their own (binary magic numbers).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"\x1f\x8b", "application/gzip"),
)

# Markup that only HTML starts with (after a BOM, whitespace and comments).
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|script|style|link|div|table|p|h[1-6]|center|frameset)[\s>/]",
    re.IGNORECASE,
)
# A document element at a line start after other text (PHP warnings before the page).
_HTML_LINE = re.compile(rb"^[ \t]*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE | re.MULTILINE)
_LEADING_JUNK = re.compile(rb"(?:\s|<!--.*?-->|<\?xml[^>]*>)*", re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

SNIFF_BYTES = 1024
# PDF readers accept the header anywhere in the first KiB (some producers prepend
# junk: a BOM, an HTTP header left in the file).
_PDF_HEADER_WINDOW = 1024

# Declared types whose bodies are routinely HTML in disguise.
_GENERIC = {"", "text/plain", "application/octet-stream", "binary/octet-stream", "unknown/unknown",
            "application/unknown", "text/html"}


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a payload prove, or None if they prove nothing."""
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head[:SNIFF_BYTES]
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom):]
            break
    if b"\x00" in text[:64]:
        # Binary data or UTF-16 markup: leave it to the declared type rather than guess.
        return None
    start = _LEADING_JUNK.match(text)
    rest = text[start.end():] if start else text
    if _HTML_START.match(rest) or _HTML_LINE.search(text):
        return "text/html"
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return PDF
    return None


def sniff_media_type(head: bytes) -> str:
    """The media type of a file from its first bytes (at least 1 KiB), never from its name.

    What no signature proves is `application/xml`, `text/plain` (it decodes as
    UTF-8 and holds no NUL) or `application/octet-stream`.
    """
    sniffed = sniff(head)
    if sniffed is not None:
        return sniffed
    if head.lstrip()[:5].lower() == b"<?xml":
        return "application/xml"
    if _looks_like_text(head[:4096]):
        return "text/plain"
    return OCTET


def is_pdf_or_raster_image(media_type: str) -> bool:
    """PDFs and raster images: what the PDF stage parses (an SVG is markup, not pixels)."""
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


def essence(content_type: str | None) -> str:
    """The lower-cased `type/subtype` of a Content-Type value ('' when absent or malformed)."""
    if not content_type:
        return ""
    value = content_type.split(";", 1)[0].strip().lower()
    return value if "/" in value else ""


def resolve_media_type(content_type: str | None, payload: bytes) -> tuple[str, str | None]:
    """The media type of a payload and, when the header was overruled or missing, a note why.

    A binary signature always wins. HTML markup wins over a missing or generic
    header and over a binary type whose signature is absent (an error page
    served in place of an image); it never overrules XML, JSON, CSS or scripts,
    which may legitimately contain tags.
    """
    declared = essence(content_type)
    sniffed = sniff(payload[:SNIFF_BYTES])
    if sniffed is None or sniffed == declared:
        return declared or OCTET, None
    if sniffed == "text/html":
        binary_declared = declared.startswith(("image/", "audio/", "video/", "font/")) or declared in (
            PDF, "application/zip", "application/gzip", "application/x-gzip")
        if declared in _GENERIC or binary_declared:
            return sniffed, f"media type: declared {declared or 'none'}, sniffed {sniffed}"
        return declared, None
    if sniffed == "application/gzip" and declared in ("application/x-gzip", "application/gzip"):
        return declared, None
    return sniffed, f"media type: declared {declared or 'none'}, sniffed {sniffed}"
