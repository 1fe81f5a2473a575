"""Sitemaps (sitemaps.org): urlset, sitemapindex, gzipped files, plain-text URL lists."""
from __future__ import annotations

import logging
import zlib
from xml.etree.ElementTree import XMLPullParser

log = logging.getLogger("corpusmill.crawl")
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024   # the protocol's own limit for an uncompressed sitemap


def _gunzip_bounded(data: bytes) -> bytes:
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, _MAX_SITEMAP_BYTES)


def parse_sitemap(body: bytes, max_urls: int) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) from a sitemap file in any of its forms."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = _gunzip_bounded(body)
        except zlib.error:
            return [], []
    head = body[:512].lstrip()
    if not head.startswith(b"<"):
        urls = [ln.strip() for ln in body.decode("utf-8", "replace").splitlines()]
        return [u for u in urls if u.startswith(("http://", "https://"))][:max_urls], []
    pages: list[str] = []
    children: list[str] = []
    # expat (>= 2.4.1, as shipped with Python 3.11+) refuses entity-expansion bombs itself.
    parser = XMLPullParser(events=("start", "end"))
    in_index: bool | None = None   # decided by the root element
    try:
        for start in range(0, len(body), 1 << 16):
            parser.feed(body[start:start + (1 << 16)])
            for event, elem in parser.read_events():
                tag = elem.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if in_index is None:
                        in_index = tag == "sitemapindex"
                elif tag == "loc" and elem.text:
                    (children if in_index else pages).append(elem.text.strip())
                elif tag in ("url", "sitemap"):
                    elem.clear()
            if len(pages) + len(children) >= max_urls:
                break
    except Exception as e:  # noqa: BLE001 - a broken sitemap yields what was read before the error
        log.debug("sitemap parse stopped: %s", e)
    return pages[:max_urls], children[:max_urls]
