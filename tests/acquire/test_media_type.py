"""One media-type sniffer for HTTP payloads and files: the same bytes get the same type everywhere."""
from __future__ import annotations

import pytest

from corpusmill.acquire.media_type import is_pdf_or_raster_image, resolve_media_type, sniff, sniff_media_type
from tests.conftest import FIXTURES

PDF_BYTES = (FIXTURES / "pdf" / "ntgclass--brief-sample.pdf").read_bytes()


@pytest.mark.parametrize("head, media", [
    (PDF_BYTES[:1024], "application/pdf"),
    (b"\xef\xbb\xbf" + PDF_BYTES[:1024], "application/pdf"),  # junk before the header: PDF readers open it
    (b"HTTP/1.1 200 OK\r\n\r\n" + PDF_BYTES[:1024], "application/pdf"),
    (b"MM\x00+\x00\x08\x00\x00", "image/tiff"),  # BigTIFF
    (b"<html><body>%PDF-1.4 is a version</body></html>", "text/html"),
])
def test_files_and_http_payloads_agree(head: bytes, media: str) -> None:
    assert sniff(head) == media
    assert sniff_media_type(head) == media
    declared = "application/octet-stream"
    assert resolve_media_type(declared, head)[0] == media


@pytest.mark.parametrize("head, media", [
    (b"User-agent: *\nDisallow: /", "text/plain"),
    ('Grüße aus Köln'.encode(), "text/plain"),
    (b"<?xml version='1.0'?><feed/>", "application/xml"),
    (b"\x00\x01\x02\x03binary", "application/octet-stream"),
])
def test_files_without_a_signature(head: bytes, media: str) -> None:
    assert sniff(head) is None and sniff_media_type(head) == media


def test_what_the_pdf_stage_parses() -> None:
    assert is_pdf_or_raster_image("application/pdf") and is_pdf_or_raster_image("image/png")
    assert not is_pdf_or_raster_image("image/svg+xml") and not is_pdf_or_raster_image("text/html")


@pytest.mark.parametrize("content_type, body, html", [
    ("text/html; charset=utf-8", b"<html><a href=/x>x</a></html>", True),
    (None, b"\xef\xbb\xbf<!-- generated -->\n<!DOCTYPE html><a href=/x>", True),  # BOM and comment first
    ("text/html", PDF_BYTES[:2048], False),  # a PDF sent as HTML: no links to look for in it
    ("text/plain", b"<html><a href=/x>x</a></html>", True),  # mislabelled: read as HTML, links followed
    ("text/css", b"<div>in a string</div>", False),
])
def test_the_crawler_follows_links_in_what_the_warc_job_will_read_as_html(content_type, body, html) -> None:
    from corpusmill.acquire.crawler.crawl import _is_html
    from corpusmill.acquire.crawler.fetcher import Exchange

    headers = [("Content-Type", content_type)] if content_type else []
    ex = Exchange("https://example.org/", b"", 200, "OK", "1.1", headers, body, None, 0.0, 0.0, len(body))
    assert _is_html(ex) is html
