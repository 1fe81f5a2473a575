"""URL normalisation, scope, sitemaps, robots rules, and the pipeline's own WARC reader on our output."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from crawl_site import Site

from corpusmill.acquire.crawler import CrawlConfig, crawl
from corpusmill.acquire.crawler.robots import product_token, rules_from_response
from corpusmill.acquire.crawler.sitemaps import parse_sitemap
from corpusmill.acquire.crawler.urls import ScopeRules, join_url, normalise_url
from corpusmill.hosts import registrable_domain, site_name


@pytest.mark.parametrize("raw, norm", [
    ("HTTP://WWW.Example.COM:80/a/./b/../c?b=2&a=1#frag", "http://www.example.com/a/c?b=2&a=1"),
    ("https://example.com:443", "https://example.com/"),
    ("http://example.com:8080/%7euser/%2f", "http://example.com:8080/~user/%2F"),
    ("http://bücher.de/straße", "http://xn--bcher-kva.de/stra%C3%9Fe"),
    ("http://example.com./a b", "http://example.com/a%20b"),
    ("http://[::1]:80/", "http://[::1]/"),
    ("ftp://example.com/", None),
    ("javascript:alert(1)", None),
    ("http://exa mple.com/", None),
])
def test_normalise(raw: str, norm: str | None) -> None:
    assert normalise_url(raw) == norm


def test_query_order_kept_and_join() -> None:
    assert normalise_url("http://a.com/?b=1&a=2") != normalise_url("http://a.com/?a=2&b=1")
    assert join_url("http://a.com/x/y", "../z#f") == "http://a.com/z"
    assert join_url("http://a.com/x/", "mailto:me@a.com") is None


def test_scope() -> None:
    seeds = ["http://www.example.co.uk/"]
    dom = ScopeRules(seeds, CrawlConfig(scope="same-domain"))
    assert dom.allows("http://blog.example.co.uk/x") and not dom.allows("http://other.co.uk/")
    host = ScopeRules(seeds, CrawlConfig(scope="same-host", exclude=[r"\.pdf$"]))
    assert host.allows("http://www.example.co.uk/a") and not host.allows("http://blog.example.co.uk/")
    assert not host.allows("http://www.example.co.uk/a.pdf")
    rx = ScopeRules(seeds, CrawlConfig(scope="regex", include=[r"^https?://[^/]*example\.org/"]))
    assert rx.allows("https://x.example.org/") and not rx.allows("http://www.example.co.uk/")
    assert registrable_domain("a.b.github.io") == "github.io"   # ICANN section only: one site per domain
    # HTML extraction's site test: one name across a site's country domains, full public-suffix list.
    assert site_name("www.bbc.co.uk") == site_name("bbc.com") == "bbc"
    assert site_name("www.wien.gv.at") == "wien" and site_name("news.example.com.au") == "example"
    assert site_name("192.168.0.1") == "192.168.0.1" and site_name("localhost") == "localhost"
    with pytest.raises(ValueError):
        ScopeRules(seeds, CrawlConfig(scope="regex"))


def test_sitemaps() -> None:
    idx = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<sitemap><loc>http://a/s1.xml.gz</loc></sitemap></sitemapindex>")
    assert parse_sitemap(idx, 100) == ([], ["http://a/s1.xml.gz"])
    urlset = b"<urlset><url><loc> http://a/1 </loc></url><url><loc>http://a/2</loc></url></urlset>"
    assert parse_sitemap(gzip.compress(urlset), 100) == (["http://a/1", "http://a/2"], [])
    assert parse_sitemap(urlset, 1) == (["http://a/1"], [])
    assert parse_sitemap(b"http://a/1\nnot a url\nhttps://a/2\n", 100) == (["http://a/1", "https://a/2"], [])
    assert parse_sitemap(b"<urlset><url><loc>http://a/1</loc></url><broken", 100) == (["http://a/1"], [])


def test_robots_rules() -> None:
    ua = "corpusmill/0.1 (+https://example.org)"
    assert product_token(ua) == "corpusmill"
    rules = rules_from_response(200, b"User-agent: corpusmill\nDisallow: /x\nCrawl-delay: 2\n\n"
                                     b"User-agent: *\nDisallow: /\nSitemap: http://a/s.xml\n")
    assert not rules.allowed("http://a/x/1", ua) and rules.allowed("http://a/y", ua)
    assert not rules.allowed("http://a/y", "otherbot")
    assert rules.crawl_delay("corpusmill") == 2.0 and rules.sitemaps == ["http://a/s.xml"]
    assert rules_from_response(404, b"").allowed("http://a/x", ua)            # no robots.txt: all allowed
    assert not rules_from_response(503, b"").allowed("http://a/x", ua)        # unreachable: none (RFC 9309)
    assert not rules_from_response(429, b"").allowed("http://a/x", ua)
    assert not rules_from_response(None, b"").allowed("http://a/x", ua)


def test_pipeline_reader_reads_our_warcs(site: Site, tmp_path: Path) -> None:
    """The WARC job's own reader (corpusmill.acquire.warc_reader) gets the pages back."""
    from corpusmill.acquire.warc_reader import WarcReader
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    site.page(h, "/", "<html><body><p>Hello from the crawler test.</p><a href='/b'>b</a></body></html>")
    site.page(h, "/b", gzip.compress("<p>Zweite Seite, gzip-kodiert: äöü</p>".encode()),
              headers={"Content-Encoding": "gzip"})
    site.start()
    result = crawl([f"http://{h}/"], tmp_path, CrawlConfig(allow_private=True, render="never", quiet=True, delay=0))
    recs = [r for p in result.warc_files for r in WarcReader().read(p)]
    by_uri = {r.source["uri"]: r for r in recs if r.source.get("http_status") == 200}
    assert f"http://{h}/b" in by_uri and f"http://{h}/" in by_uri
    assert "Zweite Seite" in by_uri[f"http://{h}/b"].content.decode()     # decoded payload, ready to extract


def test_page_limit_across_sessions_and_progress_log(site: Site, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    h = site.add_host()
    site.page(h, "/robots.txt", "", "text/plain")
    for n in range(20):
        site.page(h, f"/p{n}", "".join(f'<a href="/p{m}">x</a>' for m in range(20)), delay=0.05)
    site.start()
    cfg = {"allow_private": True, "render": "never", "delay": 0.0, "concurrency": 4, "progress_interval": 0.1}
    with caplog.at_level("INFO", logger="corpusmill.crawl"):
        first = crawl([f"http://{h}/p0"], tmp_path, CrawlConfig(max_pages=5, **cfg))  # type: ignore[arg-type]
    assert first.pages_archived == 5 and first.queued_left == 15
    assert any("archived (" in m and "queued" in m for m in caplog.messages)      # progress lines
    assert any(m.startswith("crawl done: 5 archived") for m in caplog.messages)   # summary
    second = crawl([f"http://{h}/p0"], tmp_path, CrawlConfig(max_pages=8, quiet=True, **cfg))  # type: ignore[arg-type]
    assert second.pages_archived == 3 and second.pages_total_archived == 8
    pages = [p for p in site.paths(h) if p != "/robots.txt"]
    assert len(pages) == len(set(pages)) == 8


def test_pages_per_host_limit(site: Site, tmp_path: Path) -> None:
    hosts = [site.add_host(), site.add_host()]
    for i, h in enumerate(hosts):
        other = hosts[1 - i]
        site.page(h, "/robots.txt", "", "text/plain")
        for n in range(6):
            site.page(h, f"/p{n}", f'<a href="/p{n + 1}">n</a><a href="http://{other}/p{n}">o</a>')
    site.start()
    result = crawl([f"http://{hosts[0]}/p0"], tmp_path, CrawlConfig(
        allow_private=True, render="never", quiet=True, delay=0.0, max_pages_per_host=3))
    for h in hosts:
        assert len([p for p in site.paths(h) if p != "/robots.txt"]) == 3
    assert result.pages_archived == 6 and result.queued_left > 0
