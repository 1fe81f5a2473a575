"""The SSRF guard: non-public targets refused unless allow_private, also behind names and redirects."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from crawl_site import Site
from warc_check import read_warcs, responses

from corpusmill.acquire.crawler import CrawlConfig, crawl
from corpusmill.acquire.crawler.fetcher import Fetcher
from corpusmill.acquire.crawler.ssrf import (
    BlockedAddressError,
    GuardedResolver,
    is_public_address,
)


def test_public_address_classes() -> None:
    for ip in ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "::1", "fe80::1",
               "224.0.0.1", "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1", "fc00::1"]:
        assert not is_public_address(ip), ip
    for ip in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]:
        assert is_public_address(ip), ip


def test_resolver_refuses_names_pointing_inside() -> None:
    async def go(allow: bool) -> list[str]:
        r = GuardedResolver(allow, {"intranet.example": "10.0.0.5"})
        try:
            return [x["host"] for x in await r.resolve("intranet.example", 80)]
        finally:
            await r.close()
    with pytest.raises(BlockedAddressError):
        asyncio.run(go(False))
    assert asyncio.run(go(True)) == ["10.0.0.5"]


def test_crawl_refuses_loopback_unless_allowed(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    site.page(h, "/", "<p>inside</p>")
    site.start()
    cfg = {"render": "never", "quiet": True, "delay": 0.0, "max_retries": 0}
    # by IP literal and by a name that resolves to loopback
    name = "app.internal.test"
    blocked = crawl([f"http://{h}/", f"http://{name}:{h.split(':')[1]}/"], tmp_path / "a",
                    CrawlConfig(resolve={name: "127.0.0.1"}, **cfg))  # type: ignore[arg-type]
    assert site.hits == []
    assert blocked.pages_failed == 2 and blocked.pages_archived == 0
    allowed = crawl([f"http://{h}/"], tmp_path / "b", CrawlConfig(allow_private=True, **cfg))  # type: ignore[arg-type]
    assert allowed.pages_archived == 1
    assert responses(read_warcs(allowed.warc_files))[f"http://{h}/"].payload == b"<p>inside</p>"


def test_every_request_checks_its_target(site: Site) -> None:
    """Redirect hops are separate requests through Fetcher.fetch; an IP-literal target (which
    aiohttp never passes to a resolver) is refused there, before any connection."""
    h = site.add_host()
    port = h.split(":")[1]
    site.page(h, "/secret", "<p>secret</p>")
    site.start()

    async def go() -> str:
        cfg = CrawlConfig(allow_private=False)
        async with Fetcher(cfg) as f:
            try:
                await f.fetch(f"http://127.0.0.1:{port}/secret")
            except Exception as e:  # noqa: BLE001
                return type(e).__name__ + ": " + str(e)
        return "fetched"
    assert "refusing" in asyncio.run(go())
    assert site.hits == []
