"""Sitemaps (sitemaps.org): urlset, sitemapindex, gzipped files, plain-text URL lists.

Streamed and bounded, since a sitemap is a file from the crawled server: a gzipped one is
inflated in steps into the parser, at most `_MAX_SITEMAP_BYTES` (the protocol's own limit)
and at most `max_ratio` times its compressed size; the XML is parsed by expat callbacks that
keep no tree, stop after `max_elements` elements, and keep a <loc> text only up to
`_MAX_LOC_CHARS`. Whatever was read before a limit or an error is kept.
"""
from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Iterator
from xml.parsers import expat

log = logging.getLogger("corpusmill.crawl")
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024   # the protocol's own limit for an uncompressed sitemap
_RATIO_FLOOR = 1024 * 1024              # below this much output any ratio is fine
_STEP = 1 << 16
_MAX_LOC_CHARS = 8192                   # a URL longer than this is no URL we fetch
_ELEMENTS_PER_URL = 20                  # <url><loc/><lastmod/>... plus image/news extensions


class _Stop(Exception):
    """A limit is reached: what was read so far is the result."""


def _chunks(body: bytes, max_ratio: float) -> Iterator[bytes]:
    """The sitemap's bytes in steps, inflated (bounded) when gzipped."""
    if body[:2] != b"\x1f\x8b":
        for start in range(0, min(len(body), _MAX_SITEMAP_BYTES), _STEP):
            yield body[start:min(start + _STEP, _MAX_SITEMAP_BYTES)]
        return
    limit = min(_MAX_SITEMAP_BYTES, max(_RATIO_FLOOR, int(len(body) * max_ratio)))
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data, total = body, 0
    try:
        while data and not d.eof and total < limit:
            out = d.decompress(data, min(_STEP, limit - total))
            data = d.unconsumed_tail
            total += len(out)
            yield out
    except zlib.error as e:
        log.debug("sitemap gzip stopped: %s", e)
    if total >= limit and not d.eof:
        log.debug("sitemap gzip cut at %d bytes (size/ratio limit)", limit)


class _Collector:
    """expat callbacks: <loc> texts of <url> (pages) or <sitemap> (children); no tree is kept."""

    def __init__(self, max_urls: int, max_elements: int) -> None:
        self.pages: list[str] = []
        self.children: list[str] = []
        self.max_urls = max_urls
        self.elements_left = max_elements
        self.in_index: bool | None = None   # decided by the root element
        self.loc: list[str] | None = None   # text parts of the open <loc>
        self.loc_chars = 0

    def start(self, name: str, _attrs: object) -> None:
        self.elements_left -= 1
        if self.elements_left < 0:
            raise _Stop("element limit")
        tag = name.rsplit(" ", 1)[-1]
        if self.in_index is None:
            self.in_index = tag == "sitemapindex"
        if tag == "loc":
            self.loc, self.loc_chars = [], 0

    def text(self, data: str) -> None:
        if self.loc is not None:
            self.loc_chars += len(data)
            if self.loc_chars <= _MAX_LOC_CHARS:
                self.loc.append(data)

    def end(self, name: str) -> None:
        if self.loc is None or name.rsplit(" ", 1)[-1] != "loc":
            return
        url = "".join(self.loc).strip() if self.loc_chars <= _MAX_LOC_CHARS else ""
        self.loc = None
        if url:
            (self.children if self.in_index else self.pages).append(url)
            if len(self.pages) + len(self.children) >= self.max_urls:
                raise _Stop("url limit")


def parse_sitemap(body: bytes, max_urls: int, max_ratio: float = 100.0) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) from a sitemap file in any of its forms."""
    chunks = _chunks(body, max_ratio)
    first = b""
    for first in chunks:
        if first.strip():
            break
    if not first.lstrip().startswith(b"<"):
        return _parse_text(first, chunks, max_urls), []
    c = _Collector(max_urls, max(1000, _ELEMENTS_PER_URL * max_urls))
    # expat (>= 2.4.1, as shipped with Python 3.11+) refuses entity-expansion bombs itself.
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = c.start
    parser.EndElementHandler = c.end
    parser.CharacterDataHandler = c.text
    try:
        parser.Parse(first, False)
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop as e:
        log.debug("sitemap parse stopped: %s", e)
    except Exception as e:  # noqa: BLE001 - a broken sitemap yields what was read before the error
        log.debug("sitemap parse stopped: %s", e)
    return c.pages[:max_urls], c.children[:max_urls]


def _parse_text(first: bytes, rest: Iterator[bytes], max_urls: int) -> list[str]:
    """A plain-text sitemap: one URL per line (a line longer than a URL can be is skipped)."""
    urls: list[str] = []
    pending = b""       # the start of the current line
    skipping = False    # the current line is over-long: dropped up to its end
    for part in itertools.chain([first], rest):
        *lines, last = part.split(b"\n")
        for line in lines:
            if not skipping:
                _add_line(urls, pending + line)
                if len(urls) >= max_urls:
                    return urls
            pending, skipping = b"", False
        if not skipping:
            pending += last
            if len(pending) > _MAX_LOC_CHARS:
                pending, skipping = b"", True
    if not skipping:
        _add_line(urls, pending)
    return urls[:max_urls]


def _add_line(urls: list[str], line: bytes) -> None:
    u = line.decode("utf-8", "replace").strip()
    if u.startswith(("http://", "https://")):
        urls.append(u)
