"""The HTTP entity of a captured response: Content-Type parameters, transfer and content decoding.

Crawlers store bodies in every state: still chunked, still gzip'ed, already
decoded but with the original `Content-Encoding` header left in place (wget,
ClueWeb09). Decoding is therefore tolerant where the stored bytes are plainly
already decoded (kept as stored, with a note), strict where they are encoded
but broken (`PayloadError`), and bounded: output is capped at the reader's
payload limit and at a compression ratio, so a decompression bomb costs at most
that much memory.
"""
from __future__ import annotations

import re
import zlib

import brotli

from corpusmill.acquire.media_type import sniff


class PayloadError(ValueError):
    """The stored body cannot be decoded; the message says which step failed."""


class PayloadTooLarge(ValueError):
    """The decoded body would exceed the payload limit; `size` is a lower bound of its length."""

    def __init__(self, size: int, step: str) -> None:
        super().__init__(f"{step}: decoded payload exceeds the limit ({size}+ bytes)")
        self.size = size
        self.step = step


# Compressed bodies may expand this much; below RATIO_FLOOR bytes of output any ratio is fine.
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20

_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';,\s]+)""", re.IGNORECASE)
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_IDENTITY = {"", "identity", "none"}


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """(`type/subtype` lower-cased, charset lower-cased or None) of a Content-Type header value."""
    if not value:
        return "", None
    media = value.split(";", 1)[0].strip().lower()
    m = _CHARSET.search(value)
    return media, (m.group(1).strip().lower() or None) if m else None


def dechunk(body: bytes) -> tuple[bytes, str | None]:
    """Remove chunked transfer-encoding; returns (entity, note or None)."""
    m = _CHUNK_SIZE.match(body)
    if m is None:
        return body, "transfer-encoding chunked declared but the body is not chunked; kept as stored"
    parts: list[bytes] = []
    pos = 0
    n = len(body)
    while True:
        m = _CHUNK_SIZE.match(body, pos)
        if m is None:
            if pos >= n:
                return b"".join(parts), "transfer-encoding chunked: no final chunk"
            raise PayloadError(f"transfer-encoding chunked: invalid chunk size at byte {pos}")
        size = int(m.group(1), 16)
        pos = m.end()
        if size == 0:
            return b"".join(parts), None  # trailers after the last chunk carry no entity bytes
        if pos + size > n:
            parts.append(body[pos:])
            return b"".join(parts), f"transfer-encoding chunked: truncated in a chunk of {size} bytes"
        parts.append(body[pos:pos + size])
        pos += size
        if body.startswith(b"\r\n", pos):
            pos += 2
        elif body.startswith(b"\n", pos):
            pos += 1
        elif pos < n:
            raise PayloadError(f"transfer-encoding chunked: chunk not terminated at byte {pos}")


def looks_decoded(body: bytes) -> bool:
    """Whether bytes are plainly not compressed: a known signature, or text-like."""
    head = body[:1024]
    if not head or sniff(head) is not None:
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in (9, 10, 13))
    return controls <= len(head) // 100


def decode_content(body: bytes, content_encoding: str | None, max_bytes: int,
                   max_ratio: int = MAX_RATIO) -> tuple[bytes, str | None]:
    """Undo Content-Encoding (gzip, x-gzip, deflate, br, in the order applied); (entity, note or None)."""
    if not content_encoding:
        return body, None
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    notes: list[str] = []
    for coding in reversed(codings):
        if coding in _IDENTITY:
            continue
        body, note = _decode_one(body, coding, max_bytes, max_ratio)
        if note:
            notes.append(note)
    return body, "; ".join(notes) or None


def _decode_one(body: bytes, coding: str, max_bytes: int, max_ratio: int) -> tuple[bytes, str | None]:
    step = f"content-encoding {coding}"
    kept = f"{step} declared but the body is not {coding}; kept as stored"
    if not body:
        return body, None
    limit = min(max_bytes, max(RATIO_FLOOR, len(body) * max_ratio))
    if coding in ("gzip", "x-gzip"):
        if not body.startswith(b"\x1f\x8b"):
            return body, kept
        return _inflate(body, 16 + zlib.MAX_WBITS, step, limit, max_bytes)
    if coding == "deflate":
        # RFC 9110 says zlib-wrapped; many servers send raw deflate.
        has_zlib_header = (body[0] & 0x0F) == 8 and len(body) > 1 and ((body[0] << 8) | body[1]) % 31 == 0
        try:
            return _inflate(body, zlib.MAX_WBITS if has_zlib_header else -zlib.MAX_WBITS, step, limit, max_bytes)
        except PayloadError:
            if looks_decoded(body):
                return body, kept
            raise
    if coding == "br":
        try:
            return _unbrotli(body, step, limit, max_bytes)
        except PayloadError:
            if looks_decoded(body):
                return body, kept
            raise
    if looks_decoded(body):
        return body, f"{step} is not a known encoding; body kept as stored"
    raise PayloadError(f"{step}: unsupported encoding")


def _over_limit(size: int, step: str, limit: int, max_bytes: int, compressed: int) -> Exception:
    if limit < max_bytes:
        return PayloadError(f"{step}: expands more than {limit // max(compressed, 1)}x "
                            f"({compressed} -> {size}+ bytes); decompression bomb guard")
    return PayloadTooLarge(size, step)


def _inflate(body: bytes, wbits: int, step: str, limit: int, max_bytes: int) -> tuple[bytes, str | None]:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(body, limit + 1)
    except zlib.error as e:
        raise PayloadError(f"{step}: invalid data ({e})") from None
    if len(out) > limit:
        raise _over_limit(len(out), step, limit, max_bytes, len(body))
    if not d.eof:
        if not out:
            raise PayloadError(f"{step}: invalid data (no output)")
        return out, f"{step}: truncated stream, kept {len(out)} decoded bytes"
    return out, None


def _unbrotli(body: bytes, step: str, limit: int, max_bytes: int) -> tuple[bytes, str | None]:
    d = brotli.Decompressor()
    try:
        out = d.process(body, output_buffer_limit=limit + 1)
    except brotli.error as e:
        raise PayloadError(f"{step}: invalid data ({e})") from None
    if len(out) > limit:
        raise _over_limit(len(out), step, limit, max_bytes, len(body))
    if not d.is_finished():
        if not out:
            raise PayloadError(f"{step}: invalid data (no output)")
        return out, f"{step}: truncated stream, kept {len(out)} decoded bytes"
    return out, None
