"""Retries (429 + Retry-After, 5xx, timeouts), redirects (chains, loops, limits), size limits."""
from __future__ import annotations

import asyncio
import zlib
from pathlib import Path

from aiohttp import web
from crawl_site import Site
from warc_check import read_warcs, responses

from corpusmill.acquire.crawler import CrawlConfig, crawl


def _cfg(**kw: object) -> CrawlConfig:
    base: dict[str, object] = {"max_pages": 100, "max_depth": 3, "scope": "same-host", "allow_private": True,
                               "delay": 0.0, "concurrency": 4, "render": "never", "quiet": True,
                               "retry_base_delay": 0.05, "max_retries": 2, "request_timeout": 1.0}
    base.update(kw)
    return CrawlConfig(**base)  # type: ignore[arg-type]


def _counter_page(site: Site, host: str, path: str, statuses: list[int], headers: dict[str, str] | None = None
                  ) -> None:
    """Answers with statuses[0], statuses[1], ... and 200 after the list is used up."""
    calls = iter(statuses)

    async def handler(_: web.Request) -> web.Response:
        status = next(calls, 200)
        return web.Response(status=status, text=f"<p>{path} status {status}</p>", content_type="text/html",
                            headers=headers if status != 200 else None)
    site.route(host, path, handler)


def test_retries_and_timeouts(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    site.page(h, "/", '<a href="/r429">a</a><a href="/r500">b</a><a href="/dead">c</a>'
                      '<a href="/slow">d</a><a href="/tooslow">e</a><a href="/long429">f</a>')
    _counter_page(site, h, "/r429", [429], {"Retry-After": "1"})
    _counter_page(site, h, "/r500", [500, 503])
    _counter_page(site, h, "/dead", [500, 500, 500, 500])
    _counter_page(site, h, "/long429", [429], {"Retry-After": "3600"})
    site.page(h, "/slow", "<p>slow but in time</p>", delay=0.5)
    site.page(h, "/tooslow", "<p>too slow</p>", delay=3)
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, _cfg())
    paths = site.paths(h)
    hits = [x for x in site.hits if x.path == "/r429"]
    assert len(hits) == 2 and hits[1].t - hits[0].t >= 0.99     # Retry-After honoured
    assert paths.count("/r500") == 3                            # 500, 503, 200
    assert paths.count("/dead") == 3                            # first try + max_retries
    assert paths.count("/long429") == 1                         # Retry-After beyond the cap: no retry
    assert paths.count("/tooslow") == 3                         # timeouts are retried, then given up
    resp = responses(read_warcs(result.warc_files))
    base = f"http://{h}"
    assert resp[f"{base}/r429"].http_status == 200
    assert resp[f"{base}/r500"].http_status == 200
    assert resp[f"{base}/dead"].http_status == 500              # the final answer is archived
    assert resp[f"{base}/long429"].http_status == 429
    assert resp[f"{base}/slow"].http_status == 200
    assert f"{base}/tooslow" not in resp
    assert result.pages_failed == 1


def test_redirects(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    other = site.add_host("127.0.0.2")
    site.page(h, "/robots.txt", "User-agent: *\nDisallow: /forbidden\n", "text/plain")
    site.page(h, "/", '<a href="/r1">chain</a><a href="/loopA">loop</a><a href="/many0">many</a>'
                      '<a href="/away">away</a><a href="/toforbidden">f</a>')
    for src, dst in [("/r1", "/r2"), ("/r2", "/r3"), ("/r3", "/final"), ("/loopA", "/loopB"), ("/loopB", "/loopA"),
                     ("/away", f"http://{other}/x"), ("/toforbidden", "/forbidden")]:
        site.page(h, src, "", status=302, headers={"Location": dst})
    for i in range(6):
        site.page(h, f"/many{i}", "", status=301, headers={"Location": f"/many{i + 1}"})
    site.page(h, "/final", '<p>final</p><a href="/r2">back into the chain</a>')
    site.page(h, "/forbidden", "<p>no</p>")
    site.page(other, "/x", "<p>other host</p>")
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, _cfg(max_redirects=3))
    paths = site.paths(h)
    for p in ["/r1", "/r2", "/r3", "/final", "/loopA", "/loopB"]:
        assert paths.count(p) == 1, (p, paths)                  # hops never refetched
    assert "/many4" not in paths and paths.count("/many3") == 1  # limit: 3 redirects followed
    assert "/forbidden" not in paths                             # robots checked on every hop
    assert site.paths(other) == []                               # out of scope target
    recs = read_warcs(result.warc_files)
    resp = responses(recs)
    base = f"http://{h}"
    assert [resp[f"{base}{p}"].http_status for p in ["/r1", "/r2", "/r3", "/final"]] == [302, 302, 302, 200]
    assert resp[f"{base}/loopB"].http_status == 302
    # the chain is one group: its records are adjacent in the file, in hop order
    uris = [r.uri for r in recs if r.type == "response"]
    i = uris.index(f"{base}/r1")
    assert uris[i:i + 4] == [f"{base}/r1", f"{base}/r2", f"{base}/r3", f"{base}/final"]


def test_size_limits(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    site.page(h, "/", '<a href="/bomb">bomb</a><a href="/huge">huge</a><a href="/fine">fine</a>')
    z = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    bomb = z.compress(b"<html>") + b"".join(z.compress(zeros) for _ in range(64)) + z.flush()  # 64 MB, ratio ~230
    site.page(h, "/bomb", bomb, headers={"Content-Encoding": "gzip"})

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        for _ in range(64):                           # 64 MB, streamed, never all sent
            try:
                await resp.write(b"<p>" + b"x" * (1024 * 1024 - 3))
            except (ConnectionError, asyncio.CancelledError):
                break
        return resp
    site.route(h, "/huge", huge)
    site.page(h, "/fine", "<p>fine</p>")
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, _cfg(max_response_bytes=2 * 1024 * 1024,
                                                    max_decoded_bytes=32 * 1024 * 1024, request_timeout=10))
    recs = read_warcs(result.warc_files)
    resp = responses(recs)
    base = f"http://{h}"
    b = resp[f"{base}/bomb"]
    assert b.headers["WARC-Truncated"] == "length"
    # stopped by the ratio (100) within the first two 64 KiB wire chunks, long before the cap
    assert len(b.payload) <= 100 * 2 * 65536 < 32 * 1024 * 1024
    u = resp[f"{base}/huge"]
    assert u.headers["WARC-Truncated"] == "length" and len(u.payload) <= 2 * 1024 * 1024 + 65536
    assert resp[f"{base}/fine"].payload == b"<p>fine</p>"
