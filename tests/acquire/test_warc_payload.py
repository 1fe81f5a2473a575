"""HTTP entity decoding and media-type sniffing used by the WARC reader."""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import brotli
import pytest

from corpusmill.acquire.http_payload import (
    PayloadError,
    PayloadTooLarge,
    decode_content,
    dechunk,
    parse_content_type,
)
from corpusmill.acquire.media_type import resolve_media_type, sniff

HTML = (Path(__file__).resolve().parents[2] / "fixtures" / "warc" / "README.md").read_bytes()
PAGE = b"<!DOCTYPE html><html><head><title>t</title></head><body>" + HTML + b"</body></html>"
MB = 1 << 20


@pytest.mark.parametrize("value, expected", [
    ('text/html; charset="ISO-8859-1"', ("text/html", "iso-8859-1")),
    ("text/html;charset=UTF-8;q=1", ("text/html", "utf-8")),
    ("Text/HTML", ("text/html", None)),
    ("text/html; charset=", ("text/html", None)),
    (None, ("", None)),
])
def test_parse_content_type(value, expected) -> None:
    assert parse_content_type(value) == expected


def test_dechunk() -> None:
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n"
    assert dechunk(body) == (b"hello world", None)
    assert dechunk(b"5\nhello\n0\n\n") == (b"hello", None)
    out, note = dechunk(b"5\r\nhello\r\n")
    assert out == b"hello" and "no final chunk" in note
    out, note = dechunk(b"a\r\nhello")
    assert out == b"hello" and "truncated" in note
    out, note = dechunk(PAGE)
    assert out == PAGE and "not chunked" in note
    with pytest.raises(PayloadError, match="invalid chunk size"):
        dechunk(b"5\r\nhello\r\nzz\r\n")


def test_decode_content_codings() -> None:
    assert decode_content(gzip.compress(PAGE), "GZIP", MB) == (PAGE, None)
    assert decode_content(brotli.compress(gzip.compress(PAGE)), "gzip, br", MB) == (PAGE, None)
    assert decode_content(zlib.compress(PAGE), "deflate", MB) == (PAGE, None)
    assert decode_content(zlib.compress(PAGE, wbits=-15), "deflate", MB) == (PAGE, None)
    assert decode_content(PAGE, "identity", MB) == (PAGE, None)
    assert decode_content(b"", "gzip", MB) == (b"", None)


def test_decode_content_stored_decoded() -> None:
    for coding in ("gzip", "br", "deflate"):
        out, note = decode_content(PAGE, coding, MB)
        assert out == PAGE and "kept as stored" in note
    out, note = decode_content(PAGE, "utf-8", MB)  # a misconfigured server's "encoding"
    assert out == PAGE and "not a known encoding" in note


def test_decode_content_failures() -> None:
    with pytest.raises(PayloadError, match="content-encoding gzip: invalid data"):
        decode_content(b"\x1f\x8b\x08\x00" + b"\xff" * 100, "gzip", MB)
    with pytest.raises(PayloadError, match="content-encoding br: invalid data"):
        decode_content(bytes(range(256)) * 4, "br", MB)
    with pytest.raises(PayloadError, match="unsupported"):
        decode_content(bytes(range(256)) * 4, "compress", MB)
    out, note = decode_content(gzip.compress(PAGE)[:-40], "gzip", MB)
    assert PAGE.startswith(out) and len(out) > 100 and "truncated stream" in note


def test_decode_content_limits() -> None:
    with pytest.raises(PayloadError, match="decompression bomb"):
        decode_content(gzip.compress(b"\0" * (8 * MB)), "gzip", 50 * MB)
    with pytest.raises(PayloadError, match="decompression bomb"):
        decode_content(brotli.compress(b"\0" * (8 * MB)), "br", 50 * MB)
    with pytest.raises(PayloadTooLarge) as e:
        decode_content(gzip.compress(PAGE * 4), "gzip", len(PAGE) * 2)
    assert e.value.size > len(PAGE) * 2


@pytest.mark.parametrize("head, media", [
    (b"%PDF-1.7\n", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n\0\0", "image/png"),
    (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\0", "image/gif"),
    (b"II*\0\x08\0", "image/tiff"),
    (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
    (b"\x1f\x8b\x08\0", "application/gzip"),
    (b"\xef\xbb\xbf  <!-- x -->\n<!DOCTYPE html>", "text/html"),
    (b"\n\n<HTML lang=de>", "text/html"),
    (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "text/html"),
    (b"<div class=x>fragment</div>", "text/html"),
    (b'{"json": "<html>"}', None),
    (b"User-agent: *\nDisallow: /", None),
    (b"<rss version='2.0'>", None),
])
def test_sniff(head: bytes, media) -> None:
    assert sniff(head) == media


@pytest.mark.parametrize("declared, body, media, noted", [
    ("text/html; charset=utf-8", b"%PDF-1.4", "application/pdf", True),
    ("image/png", b"<html><body>Not found</body></html>", "text/html", True),
    (None, b"<!doctype html><p>x", "text/html", True),
    ("application/octet-stream", b"\x89PNG\r\n\x1a\n", "image/png", True),
    ("text/html", b"<html>", "text/html", False),
    ("text/css", b"<div>in a string</div>", "text/css", False),
    ("application/xhtml+xml", b"<html>", "application/xhtml+xml", False),
    ("text/plain", b"User-agent: *", "text/plain", False),
    (None, b"\0\1\2", "application/octet-stream", False),
])
def test_resolve_media_type(declared, body, media, noted) -> None:
    got, note = resolve_media_type(declared, body)
    assert got == media and (note is not None) == noted
