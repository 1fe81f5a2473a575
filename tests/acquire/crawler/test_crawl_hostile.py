"""Hostile servers: brotli bombs, sitemap bombs and endless sitemap indexes, robots.txt that asks to wait forever."""
from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from pathlib import Path

import brotli
from aiohttp import web
from crawl_site import Site
from warc_check import read_warcs, responses

from corpusmill.acquire.crawler import CrawlConfig, CrawlResult
from corpusmill.acquire.crawler.crawl import _MAX_SITEMAP_NESTING, crawl_async
from corpusmill.acquire.crawler.fetcher import _Decoder
from corpusmill.acquire.crawler.frontier import Frontier, State
from corpusmill.acquire.crawler.sitemaps import parse_sitemap

# ~420 bytes that decode to 256 MiB.
BROTLI_BOMB = brotli.compress(b"<html>" + bytes(256 << 20), quality=5)


def _cfg(**kw: object) -> CrawlConfig:
    base: dict[str, object] = {"max_pages": 100, "max_depth": 3, "scope": "same-host", "allow_private": True,
                               "delay": 0.0, "concurrency": 4, "render": "never", "quiet": True,
                               "retry_base_delay": 0.05, "max_retries": 2, "request_timeout": 5.0}
    base.update(kw)
    return CrawlConfig(**base)  # type: ignore[arg-type]


def _crawl(seeds: list[str], out: Path, cfg: CrawlConfig, within: float = 60.0) -> CrawlResult:
    """The crawl, which must end on its own well within `within` seconds (else the test fails)."""
    return asyncio.run(asyncio.wait_for(crawl_async(seeds, out, cfg), within))


def test_a_brotli_bomb_is_decoded_with_an_output_limit() -> None:
    assert len(BROTLI_BOMB) < 1000
    out = _Decoder("br").feed(BROTLI_BOMB, 1 << 20)
    assert (1 << 20) <= len(out) <= 4 << 20          # about the room asked for, not 256 MiB


def test_a_brotli_bomb_page_is_archived_cut_by_the_ratio(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    site.page(h, "/", '<a href="/bomb">bomb</a><a href="/fine">fine</a>')
    site.page(h, "/bomb", BROTLI_BOMB, headers={"Content-Encoding": "br"})
    site.page(h, "/fine", "<p>fine</p>")
    site.start()
    result = _crawl([f"http://{h}/"], tmp_path, _cfg())
    resp = responses(read_warcs(result.warc_files))
    b = resp[f"http://{h}/bomb"]
    assert b.headers["WARC-Truncated"] == "length"
    assert len(b.payload) <= 4 << 20                   # the ratio guard's floor (1 MiB) and one step
    assert resp[f"http://{h}/fine"].payload == b"<p>fine</p>"


def test_a_gzip_sitemap_is_inflated_within_a_ratio_and_parsed_without_a_tree() -> None:
    # 4 MiB of padding between two URLs: ~4 KiB gzipped, past 100x its size.
    padded = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a/1</loc></url>'
              + b" " * (4 << 20) + b"<url><loc>http://a/2</loc></url></urlset>")
    assert parse_sitemap(padded, 100) == (["http://a/1", "http://a/2"], [])   # plain: fine up to 50 MiB
    assert parse_sitemap(gzip.compress(padded), 100, max_ratio=100.0) == (["http://a/1"], [])
    # An element flood: 1M empty elements, 2 KiB gzipped; before, a tree of all of them was built.
    flood = b"<urlset>" + b"<a/>" * 1_000_000 + b"<url><loc>http://a/3</loc></url></urlset>"
    tracemalloc.start()
    try:
        got = parse_sitemap(gzip.compress(flood), 100, max_ratio=10_000.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == ([], [])                   # stopped at 20 elements per URL asked for
    assert peak < 8 << 20, peak
    assert parse_sitemap(gzip.compress(flood), 100_000, max_ratio=10_000.0) == (["http://a/3"], [])
    # A <loc> too long to be a URL is skipped, the next one kept.
    long_loc = b"<urlset><url><loc>http://a/" + b"x" * 100_000 + b"</loc></url><url><loc>http://a/4</loc></url></urlset>"
    assert parse_sitemap(long_loc, 100) == (["http://a/4"], [])


def _endless_index(site: Site, h: str) -> None:
    async def index(request: web.Request) -> web.Response:
        n = int(request.match_info.get("tail", "sm0.xml")[2:].split(".")[0])
        body = (f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>http://{h}/sm{n + 1}.xml</loc></sitemap>"
                f"<sitemap><loc>http://{h}/sm{n}b.xml</loc></sitemap></sitemapindex>")
        return web.Response(text=body, content_type="application/xml")
    for n in range(200):
        site.route(h, f"/sm{n}.xml", index)
    site.page(h, "/robots.txt", f"Sitemap: http://{h}/sm0.xml\n", "text/plain")


def test_an_endless_chain_of_sitemap_indexes_ends(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    _endless_index(site, h)
    site.page(h, "/", "<p>home</p>")
    site.start()
    result = _crawl([f"http://{h}/"], tmp_path, _cfg(max_pages=0))      # no page budget at all
    chain = [p for p in site.paths(h) if p.startswith("/sm") and not p.endswith("b.xml")]
    assert chain == [f"/sm{n}.xml" for n in range(_MAX_SITEMAP_NESTING + 1)]
    assert result.queued_left == 0


def test_sitemaps_count_against_max_pages_and_max_sitemaps(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    children = "".join(f"<sitemap><loc>http://{h}/s{i}.xml</loc></sitemap>" for i in range(40))
    site.page(h, "/robots.txt", f"Sitemap: http://{h}/index.xml\n", "text/plain")
    site.page(h, "/index.xml", f"<sitemapindex>{children}</sitemapindex>", "application/xml")
    for i in range(40):
        site.page(h, f"/s{i}.xml", f"<urlset><url><loc>http://{h}/p{i}</loc></url></urlset>", "application/xml")
        site.page(h, f"/p{i}", f"<p>page {i}</p>")
    site.page(h, "/", "<p>home</p>")
    site.start()
    result = _crawl([f"http://{h}/"], tmp_path / "a", _cfg(max_pages=10, concurrency=1))
    fetched = [p for p in site.paths(h) if p != "/robots.txt"]
    assert len(fetched) == 10 and result.pages_archived == 10            # pages and sitemaps together
    site.hits.clear()
    _crawl([f"http://{h}/"], tmp_path / "b", _cfg(max_pages=0, max_sitemaps=5))
    sitemaps = [p for p in site.paths(h) if p.endswith(".xml")]
    assert len(sitemaps) == 5 and sitemaps[0] == "/index.xml"
    f = Frontier(tmp_path / "b" / "crawl_state")
    assert f.count_kind(1) == 5                                           # the rest never queued
    f.close()


def test_robots_asking_to_wait_for_a_day_does_not_stall_the_host(site: Site, tmp_path: Path) -> None:
    h = site.add_host()

    async def busy(_: web.Request) -> web.Response:
        return web.Response(status=429, text="slow down", headers={"Retry-After": "86400"})
    site.route(h, "/robots.txt", busy)
    site.page(h, "/", "<p>home</p>")
    site.start()
    # Before, each of the 3 tries waited max_retry_after (300 s): 15 minutes for one host.
    result = _crawl([f"http://{h}/"], tmp_path, _cfg(max_retries=3), within=30)
    assert site.paths(h) == ["/robots.txt"]        # asked once; the page is not fetched
    assert result.pages_disallowed == 1
    f = Frontier(tmp_path / "crawl_state")
    state, note = f.db.execute("SELECT state, note FROM urls").fetchone()
    f.close()
    assert state == State.DISALLOWED and "429" in note
