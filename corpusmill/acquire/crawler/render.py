"""Rendering JavaScript pages in a real Chromium (the system one) driven by Playwright.

The browser never touches the network itself: every request it makes is intercepted.
* the page's own document is answered with the response the crawler already fetched (no
  second fetch, and the rendered DOM belongs to the archived response);
* images, media, fonts and stylesheets are refused (they add nothing to the DOM text);
* third-party hosts are refused;
* WebSockets are closed inside the browser, never connected (`route_web_socket`): their
  traffic could not pass through the crawler's fetcher, so robots, scope and the SSRF guard
  could not judge it. EventSource streams and dedicated workers' fetches are ordinary
  requests and take the routes below; service workers are blocked;
* same-host scripts and XHR/fetch calls go through the crawler's own fetcher - so the SSRF
  guard, size limits and robots.txt apply to them - one at a time per page, and at most
  `_MAX_SUBREQUESTS` per page.
`needs_render` decides for `--render auto` from the static HTML alone.
"""
from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .fetcher import Exchange
from .urls import host_key, normalise_url

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-dev-shm-usage",
                  # The browser resolves no name and no address (IP literals included): whatever
                  # traffic would slip past the routes below fails before it leaves the browser.
                  "--host-resolver-rules=MAP * ~NOTFOUND",
                  # WebRTC has its own sockets (no resolver, UDP): only through a proxy, and there is none.
                  "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
log = logging.getLogger("corpusmill.crawl")
_CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
_BLOCKED_TYPES = {"image", "media", "font", "stylesheet", "imageset", "texttrack", "manifest"}
_MAX_SUBREQUESTS = 40
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding",
                "x-crawler-content-length", "x-crawler-transfer-encoding",
                "x-crawler-content-encoding"}

_NOSCRIPT_HINT = re.compile(rb"<noscript[^>]*>[^<]{0,400}(enable|turn on|requires?)\s+javascript", re.IGNORECASE)
_EMPTY_ROOT = re.compile(rb"<div[^>]+id=[\"']?(root|app|__next|__nuxt|main|svelte)[\"']?[^>]*>\s*</div>", re.IGNORECASE)
_SCRIPT = re.compile(rb"<script\b", re.IGNORECASE)


def find_chromium(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/snap/bin/chromium"):
        if Path(path).exists():
            return path
    return None


def _static_text(html: bytes, charset: str | None) -> str:
    """Main text of the static page, by the pipeline's own extractor when it is there."""
    from .links import decode_page
    text = decode_page(html, charset)
    try:
        from corpusmill.extract import html_to_text
    except ImportError:
        from resiliparse.extract.html2text import extract_plain_text
        return str(extract_plain_text(text, main_content=True))
    return html_to_text(text).text


def needs_render(html: bytes, charset: str | None, min_text_chars: int) -> tuple[bool, str]:
    """(render?, why) for a static HTML page, without running it."""
    scripts = len(_SCRIPT.findall(html))
    if scripts == 0:
        return False, "no-scripts"
    if _EMPTY_ROOT.search(html):
        return True, "empty-app-root"
    if _NOSCRIPT_HINT.search(html):
        return True, "noscript-hint"
    chars = len(_static_text(html, charset).strip())
    if chars < min_text_chars:
        return True, f"little-text:{chars}"
    return False, "enough-text"


SubFetch = Callable[[str], Awaitable[Exchange | None]]


class Renderer:
    """One Chromium for the crawl, one fresh context per page, launched on first use."""

    def __init__(self, chromium_path: str | None, timeout: float, concurrency: int, user_agent: str) -> None:
        self.path = find_chromium(chromium_path)
        self.timeout = timeout
        self.user_agent = user_agent
        self._sem = asyncio.Semaphore(concurrency)
        self._pw: Any = None
        self._browser: Any = None
        self._lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        return self.path is not None

    async def _ensure(self) -> Any:
        async with self._lock:
            if self._browser is None:
                if self.path is None:
                    raise RuntimeError("no chromium found (apt-get install chromium)")
                from playwright.async_api import async_playwright
                self._pw = await async_playwright().start()
                self._browser = await self._pw.chromium.launch(
                    executable_path=self.path, headless=True, args=CHROMIUM_FLAGS)
            return self._browser

    async def render(self, page_url: str, response: Exchange, sub_fetch: SubFetch) -> str:
        """The DOM after scripts ran (serialised HTML)."""
        browser = await self._ensure()
        async with self._sem:
            context = await browser.new_context(user_agent=self.user_agent, java_script_enabled=True,
                                                service_workers="block")
            fetch_lock = asyncio.Lock()
            budget = [_MAX_SUBREQUESTS]
            origin = host_key(page_url)

            async def route(r: Any) -> None:
                req = r.request
                url = normalise_url(req.url)
                try:
                    if url == page_url and req.is_navigation_request():
                        await r.fulfill(status=response.status, headers=_plain_headers(response),
                                        body=response.payload)
                    elif (url is None or req.resource_type in _BLOCKED_TYPES or host_key(url) != origin
                          or req.method != "GET" or budget[0] <= 0):
                        await r.abort()
                    else:
                        budget[0] -= 1
                        async with fetch_lock:
                            sub = await sub_fetch(url)
                        if sub is None:
                            await r.abort()
                        else:
                            await r.fulfill(status=sub.status, headers=_plain_headers(sub), body=sub.payload)
                except Exception as e:  # noqa: BLE001 - the page may be closing; the route is then moot
                    log.debug("render route %s: %s", req.url, e)

            async def refuse_web_socket(ws: Any) -> None:
                log.debug("render %s: WebSocket %s refused", page_url, ws.url)
                await ws.close(code=1008, reason="WebSockets are not crawled")

            try:
                await context.route("**/*", route)
                await context.route_web_socket(re.compile(".*"), refuse_web_socket)
                page = await context.new_page()
                ms = int(self.timeout * 1000)
                await page.goto(page_url, wait_until="load", timeout=ms)
                try:
                    await page.wait_for_load_state("networkidle", timeout=min(ms, 5000))
                except Exception as e:  # noqa: BLE001 - a page that keeps polling still has a DOM
                    log.debug("render %s: no network idle (%s)", page_url, e)
                return str(await page.content())
            finally:
                await context.close()

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._pw is not None:
            await self._pw.stop()


def _plain_headers(ex: Exchange) -> dict[str, str]:
    return {k: v for k, v in ex.headers if k.lower() not in _HOP_HEADERS}


