"""One HTTP exchange with limits: no automatic redirects, bounded size, bounded decompression.

Payloads are stored DECODED (Content-Encoding removed) with the original framing headers renamed
to X-Crawler-Content-Encoding / X-Crawler-Content-Length / X-Crawler-Transfer-Encoding and a
Content-Length that matches the stored payload - the convention of Common Crawl's WARCs, so any
WARC reader gets usable bytes. Decoding is done here, in steps with a bounded output, so a
gzip bomb is stopped after at most `max_decoded_bytes` or once the ratio of decoded to wire
bytes passes `max_decompression_ratio`; the record is then kept, cut, with WARC-Truncated: length.
"""
from __future__ import annotations

import contextvars
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Self
from urllib.parse import urlsplit

import aiohttp
import brotli

from .config import CrawlConfig
from .ssrf import BlockedAddressError, GuardedResolver, check_literal_host

_RENAMED = {"content-encoding", "content-length", "transfer-encoding"}
_CHUNK = 65536
# Below this much decoded output the ratio is not judged: small, highly compressible pages
# (a repetitive 300 KB table gzips to 3 KB) are normal.
_RATIO_FLOOR = 1024 * 1024


# The peer address of the connection the current task's request went out on. Set by the
# connector (in the requesting task's context), read after the response headers arrive: aiohttp
# may already have released a connection whose small body arrived with the headers.
_PEER: contextvars.ContextVar[str | None] = contextvars.ContextVar("crawler_peer", default=None)


class _PeerRecordingConnector(aiohttp.TCPConnector):
    async def connect(self, req: aiohttp.ClientRequest, traces: list, timeout: aiohttp.ClientTimeout
                      ) -> aiohttp.connector.Connection:
        conn = await super().connect(req, traces, timeout)
        transport = conn.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        _PEER.set(str(peer[0]) if peer else None)
        return conn


async def _on_headers_sent(_: aiohttp.ClientSession, ctx: SimpleNamespace,
                           __: aiohttp.TraceRequestHeadersSentParams) -> None:
    callback = ctx.trace_request_ctx
    if callback is not None:
        callback()


class FetchError(Exception):
    """The request failed without a usable response; `retryable` says whether to try again."""

    def __init__(self, message: str, retryable: bool, blocked: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.blocked = blocked      # refused by the SSRF guard


@dataclass(slots=True)
class Exchange:
    url: str
    request_head: bytes
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]        # as received, framing headers renamed
    payload: bytes
    ip: str | None
    started: float                        # wall clock, for WARC-Date
    seconds: float
    wire_bytes: int
    truncated: str | None = None          # WARC-Truncated reason
    notes: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        ct = self.header("content-type") or ""
        for part in ct.split(";")[1:]:
            k, _, v = part.partition("=")
            if k.strip().lower() == "charset":
                return v.strip().strip("\"'")
        return None

    def response_block(self) -> tuple[bytes, int]:
        """The HTTP response as archived, and the offset of the payload in it."""
        head = f"HTTP/{self.http_version} {self.status} {self.reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in self.headers) + "\r\n"
        raw = head.encode("latin-1", "replace")
        return raw + self.payload, len(raw)


class _Decoder:
    """Content-Encoding decoding in bounded steps."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        self._raw_deflate_checked = False
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding == "br":
            self._brotli = brotli.Decompressor()
        elif encoding not in ("", "identity"):
            raise FetchError(f"unsupported content-encoding {encoding!r}", retryable=False)

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode `data`, producing at most `room` bytes (more input is then ignored)."""
        if self._zlib is not None:
            if self.encoding == "deflate" and not self._raw_deflate_checked:
                self._raw_deflate_checked = True
                # "deflate" is meant to be zlib-wrapped but servers often send raw deflate.
                if data and (data[0] & 0x0F) != 8:
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = bytearray()
            while data and len(out) < room:
                out += self._zlib.decompress(data, room - len(out) + 1)
                data = self._zlib.unconsumed_tail
            return bytes(out)
        if self._brotli is not None:
            # The limit keeps a brotli bomb (800 bytes -> gigabytes) to about `room` of output;
            # the caller stops reading once `room` is used up, so leftover input is never asked for.
            return self._brotli.process(data, output_buffer_limit=max(room, 1))
        return data


class Fetcher:
    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self.requests = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        c = self.config
        connector = _PeerRecordingConnector(
            resolver=GuardedResolver(c.allow_private, c.resolve),
            limit=c.concurrency + c.render_concurrency + 4, limit_per_host=0, ttl_dns_cache=300,
            enable_cleanup_closed=True)
        trace = aiohttp.TraceConfig()
        trace.on_request_headers_sent.append(_on_headers_sent)
        self._session = aiohttp.ClientSession(
            connector=connector, trace_configs=[trace], auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=c.request_timeout, sock_connect=c.connect_timeout),
            headers={"User-Agent": c.user_agent,
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                     # No br/zstd advertised: gzip and deflate can be decoded in bounded steps.
                     "Accept-Encoding": "gzip, deflate"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(self, url: str, on_sent: Callable[[], None] | None = None) -> Exchange:
        """GET url; `on_sent` is called the moment the request headers are on the wire."""
        assert self._session is not None
        c = self.config
        host = urlsplit(url).hostname or ""
        try:
            check_literal_host(host, c.allow_private)
        except BlockedAddressError as e:
            raise FetchError(str(e), retryable=False, blocked=True) from e
        self.requests += 1
        _PEER.set(None)
        wall, t0 = time.time(), time.monotonic()
        try:
            async with self._session.get(url, allow_redirects=False, trace_request_ctx=on_sent,
                                         max_line_size=65536, max_field_size=65536) as resp:
                ip = _PEER.get()
                req = resp.request_info
                target = req.url.raw_path_qs or "/"
                request_head = (f"GET {target} HTTP/1.1\r\n"
                                + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
                                ).encode("latin-1", "replace")
                encoding = resp.headers.get("Content-Encoding", "").strip().lower()
                payload, wire, truncated, notes = await self._read_body(resp, encoding)
                headers = []
                for k, v in resp.raw_headers:
                    name, value = k.decode("latin-1"), v.decode("latin-1")
                    if name.lower() in _RENAMED:
                        name = "X-Crawler-" + name
                    headers.append((name, value))
                headers.append(("Content-Length", str(len(payload))))
                return Exchange(url, request_head, resp.status, resp.reason or "",
                                f"{resp.version.major}.{resp.version.minor}", headers, payload, ip,
                                wall, time.monotonic() - t0, wire, truncated, notes)
        except BlockedAddressError as e:
            raise FetchError(str(e), retryable=False, blocked=True) from e
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as e:
            raise FetchError(f"tls: {e}", retryable=False) from e   # a bad certificate stays bad
        except aiohttp.ClientConnectorError as e:
            if isinstance(e.os_error, BlockedAddressError):
                raise FetchError(str(e.os_error), retryable=False, blocked=True) from e
            raise FetchError(f"connect: {e}", retryable=True) from e
        except TimeoutError as e:
            raise FetchError("timeout", retryable=True) from e
        except aiohttp.ClientResponseError as e:  # malformed response
            raise FetchError(f"bad response: {e.message}", retryable=False) from e
        except (aiohttp.ClientError, OSError) as e:
            raise FetchError(f"{type(e).__name__}: {e}", retryable=True) from e

    async def _read_body(self, resp: aiohttp.ClientResponse, encoding: str
                         ) -> tuple[bytes, int, str | None, list[str]]:
        c = self.config
        decoder = _Decoder(encoding)
        out = bytearray()
        wire = 0
        notes: list[str] = []
        async for chunk in resp.content.iter_chunked(_CHUNK):
            wire += len(chunk)
            if wire > c.max_response_bytes:
                notes.append("max-response-bytes")
                return bytes(out), wire, "length", notes
            # Output allowed for this chunk: up to the absolute cap and one byte past the ratio
            # limit, so a bomb is detected without ever inflating more than that.
            allowed = max(_RATIO_FLOOR, int(c.max_decompression_ratio * wire)) + 1
            out += decoder.feed(chunk, min(c.max_decoded_bytes + 1, allowed) - len(out))
            if len(out) > c.max_decoded_bytes:
                notes.append("max-decoded-bytes")
                return bytes(out[:c.max_decoded_bytes]), wire, "length", notes
            if len(out) > _RATIO_FLOOR and len(out) > c.max_decompression_ratio * wire:
                notes.append("decompression-ratio")
                return bytes(out), wire, "length", notes
        return bytes(out), wire, None, notes
