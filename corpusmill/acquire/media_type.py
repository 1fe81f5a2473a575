"""What a payload is: the declared Content-Type checked against the payload's first bytes.

Servers mislabel often (a PDF sent as text/html, an HTML error page sent as
image/png, no Content-Type at all), and the media type decides which extractor
or parser sees the bytes, so a recognised signature wins over the header.
"""
from __future__ import annotations

import re

# Signatures that identify a format on their own (binary magic numbers).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
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
    return None


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
        return declared or "application/octet-stream", None
    if sniffed == "text/html":
        binary_declared = declared.startswith(("image/", "audio/", "video/", "font/")) or declared in (
            "application/pdf", "application/zip", "application/gzip", "application/x-gzip")
        if declared in _GENERIC or binary_declared:
            return sniffed, f"media type: declared {declared or 'none'}, sniffed {sniffed}"
        return declared, None
    if sniffed == "application/gzip" and declared in ("application/x-gzip", "application/gzip"):
        return declared, None
    return sniffed, f"media type: declared {declared or 'none'}, sniffed {sniffed}"
