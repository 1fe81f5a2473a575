"""A rendered page's non-HTTP-route traffic (WebSockets, workers' fetches, EventSource) never
leaves the browser unguarded: real Chromium, real WebSocket servers on 127.0.0.1.

The crawl runs with `allow_private` (the test servers are on loopback), so Chromium's own
local-network block does not apply: what stops a connection here is the crawler's routing.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import web
from crawl_site import Site
from warc_check import read_warcs

from corpusmill.acquire.crawler import CrawlConfig, crawl
from corpusmill.acquire.crawler import render
from corpusmill.acquire.crawler.render import find_chromium

NO_LOCAL_NETWORK_BLOCK = ("--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
                          "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults")

PAGE = """<html><body><div id="root"></div>
<p id="same">pending</p><p id="third">pending</p><p id="worker">pending</p><p id="events">pending</p>
<script>
function probe(id, url) {
  const el = document.getElementById(id);
  try {
    const ws = new WebSocket(url);
    ws.onopen = () => { el.textContent = 'ws-open'; ws.send('hello'); };
    ws.onmessage = (m) => { el.textContent = 'ws-message:' + m.data; };
    ws.onerror = () => { if (el.textContent === 'pending') el.textContent = 'ws-refused'; };
    ws.onclose = () => { if (el.textContent === 'pending') el.textContent = 'ws-refused'; };
  } catch (e) { el.textContent = 'ws-refused'; }
}
probe('same', 'ws://SAME/private/ws');
probe('third', 'ws://THIRD/ws');
const w = new Worker('/worker.js');
w.onmessage = (m) => { document.getElementById('worker').textContent = m.data; };
const es = new EventSource('/private/events');
es.onmessage = (m) => { document.getElementById('events').textContent = 'event:' + m.data; es.close(); };
es.onerror = () => { document.getElementById('events').textContent = 'events-refused'; es.close(); };
document.getElementById('root').innerHTML = '<h1>Live page</h1>';
</script></body></html>"""
WORKER_JS = """
fetch('http://THIRD/worker-data').then(r => r.text()).then(t => postMessage('worker-fetched:' + t))
  .catch(() => postMessage('worker-refused'));
"""


def _ws_handler(log: list[str]):
    async def handler(request: web.Request) -> web.StreamResponse:
        log.append(request.host + request.path)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("secret-from-server")
        async for _ in ws:
            pass
        return ws
    return handler


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (apt-get install -y chromium)")
def test_websockets_workers_and_events_go_through_the_guard(site: Site, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Chromium's own local-network block would refuse a page served by the crawler (no address,
    # so "public") that connects to loopback; it is switched off here so that what is tested is
    # the crawler's guard, which also holds for public targets where Chromium blocks nothing.
    monkeypatch.setattr(render, "CHROMIUM_FLAGS", [*render.CHROMIUM_FLAGS, NO_LOCAL_NETWORK_BLOCK])
    h = site.add_host()
    third = site.add_host("127.0.0.2")
    opened: list[str] = []
    site.page(h, "/robots.txt", "User-agent: *\nDisallow: /private\n", "text/plain")
    site.page(h, "/", PAGE.replace("SAME", h).replace("THIRD", third))
    site.page(h, "/worker.js", WORKER_JS.replace("THIRD", third), "application/javascript")
    site.page(h, "/private/events", "data: secret-event\n\n", "text/event-stream")
    site.route(h, "/private/ws", _ws_handler(opened))
    site.route(third, "/ws", _ws_handler(opened))
    site.page(third, "/worker-data", "third-party-data", "text/plain")
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, CrawlConfig(allow_private=True, render="always", delay=0.0,
                                                           quiet=True, scope="same-host"))
    dom = next(r for r in read_warcs(result.warc_files) if r.type == "conversion").payload.decode()
    states = dict(re.findall(r'<p id="(\w+)">([^<]*)</p>', dom))
    assert "Live page" in dom                                    # the page's script did run
    # Both WebSockets were refused inside the browser: neither server saw a connection.
    assert opened == []
    assert states["same"] == "ws-refused" and states["third"] == "ws-refused"
    assert "/private/ws" not in site.paths(h) and site.paths(third) == []
    # A dedicated worker's fetch to a third-party host and an EventSource on a robots-disallowed
    # path are routed like any other request: refused, never fetched.
    assert states["worker"] in ("worker-refused", "pending")
    assert states["events"] in ("events-refused", "pending")
    assert "/private/events" not in site.paths(h)
