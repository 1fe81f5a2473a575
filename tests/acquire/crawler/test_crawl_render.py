"""--render auto with the real system Chromium: JS-only pages rendered, static ones not."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from crawl_site import Site
from warc_check import read_warcs, responses

from corpusmill.acquire.crawler import CrawlConfig, crawl
from corpusmill.acquire.crawler.render import find_chromium, needs_render

APP_JS = """
fetch('/api/data.json').then(r => r.json()).then(d => {
  document.getElementById('root').innerHTML =
    '<h1>' + d.title + '</h1><p>' + d.text + '</p><a href="/js-link">more</a>';
});
fetch('/private/tracking.json').catch(() => {});
"""
STATIC = "<html><body><article><h1>Static</h1>" + "<p>A paragraph of real text that reads fine. </p>" * 20 + \
         '<script src="/app-static.js"></script></article></body></html>'


def test_needs_render_decisions() -> None:
    assert needs_render(b'<div id="root"></div><script src="/a.js"></script>', None, 200)[0]
    assert needs_render(b"<noscript>Please enable JavaScript to view</noscript><script>x()</script>", None, 200)[0]
    assert needs_render(b"<p>tiny</p><script>x()</script>", None, 200) == (True, "little-text:4")
    assert not needs_render(b"<p>tiny page, no scripts</p>", None, 200)[0]
    assert not needs_render(STATIC.encode(), None, 200)[0]


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed (apt-get install -y chromium)")
def test_js_page_rendered(site: Site, tmp_path: Path) -> None:
    h = site.add_host()
    third = site.add_host("127.0.0.2")
    site.page(h, "/robots.txt", "User-agent: *\nDisallow: /private\n", "text/plain")
    site.page(h, "/", f'<html><head><script src="http://{third}/tracker.js"></script></head><body>'
                      f'<div id="root"></div><script src="/app.js"></script><a href="/static">s</a></body></html>')
    site.page(h, "/app.js", APP_JS, "application/javascript")
    site.page(h, "/api/data.json", json.dumps({"title": "Rendered title", "text": "Text that only scripts write."}),
              "application/json")
    site.page(h, "/js-link", "<p>reached through a link the script wrote</p>")
    site.page(h, "/static", STATIC)
    site.page(h, "/private/tracking.json", "{}", "application/json")
    site.page(third, "/tracker.js", "console.log('third party')", "application/javascript")
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, CrawlConfig(allow_private=True, render="auto", delay=0.0,
                                                           quiet=True, scope="same-host"))
    recs = read_warcs(result.warc_files)
    resp = responses(recs)
    base = f"http://{h}"
    conversions = [r for r in recs if r.type == "conversion"]
    assert [c.uri for c in conversions] == [f"{base}/"]          # the static page was not rendered
    dom = conversions[0]
    assert dom.headers["WARC-Resource-Type"] == "rendered-dom"
    assert dom.headers["WARC-Refers-To"] == next(r.headers["WARC-Record-ID"] for r in recs
                                                 if r.type == "response" and r.uri == f"{base}/")
    assert b"Rendered title" in dom.payload and b"Text that only scripts write." in dom.payload
    assert b"Rendered title" not in resp[f"{base}/"].payload
    assert f"{base}/js-link" in resp                              # link found in the rendered DOM
    paths = site.paths(h)
    assert paths.count("/") == 1                                  # the browser reused the archived response
    assert "/api/data.json" in paths and "/private/tracking.json" not in paths   # robots for subrequests
    assert site.paths(third) == []                                # third-party host blocked
    assert result.rendered == 1
