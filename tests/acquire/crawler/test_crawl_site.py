"""A small site crawled end to end: robots, crawl-delay, sitemaps, scope, PDFs, charsets, WARC."""
from __future__ import annotations

import gzip
import itertools
from pathlib import Path

from crawl_site import Site
from warc_check import read_warcs, responses

from corpusmill.acquire.crawler import CrawlConfig, crawl

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _build(site: Site) -> tuple[str, str, str]:
    a = site.add_host("127.0.0.1")
    b = site.add_host("127.0.0.1")     # same host name, other port: in scope, own politeness
    other = site.add_host("127.0.0.2")  # another host: out of scope for same-host
    site.page(a, "/robots.txt", f"User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\n"
                                f"Sitemap: http://{a}/sitemap_index.xml\n", "text/plain")
    site.page(a, "/sitemap_index.xml",
              f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<sitemap><loc>http://{a}/sitemap1.xml.gz</loc></sitemap></sitemapindex>", "application/xml")
    site.page(a, "/sitemap1.xml.gz", gzip.compress(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://{a}/orphan</loc></url>'
        f"<url><loc>http://{a}/private/from-sitemap</loc></url></urlset>".encode()), "application/gzip")
    site.page(a, "/", f'<html><body><h1>Home</h1><a href="/p1">one</a> <a href="/p2#frag">two</a>'
                      f'<a href="/private/secret">secret</a> <a href="http://{other}/x">elsewhere</a>'
                      f'<a href="http://{b}/">b</a> <a href="/doc.pdf">pdf</a> <a href="/ru">ru</a>'
                      f'<a href="/gz">gz</a></body></html>')
    site.page(a, "/p1", '<p>page one</p><a href="/">home</a><a href="/p1/deep">deep</a>')
    site.page(a, "/p1/deep", '<p>deep</p><a href="/p1/deeper">deeper</a>')
    site.page(a, "/p1/deeper", "<p>too deep to be reached with max_depth=2</p>")
    site.page(a, "/p2", "<p>page two</p>")
    site.page(a, "/orphan", "<p>only in the sitemap</p>")
    site.page(a, "/doc.pdf", PDF, "application/pdf")
    site.page(a, "/ru", "<html><body><p>Привет, мир</p><a href='/ru/страница'>стр</a></body></html>"
              .encode("cp1251"), "text/html; charset=windows-1251")
    site.page(a, "/ru/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0", "<p>unicode path</p>")
    site.page(a, "/gz", gzip.compress(b"<p>gzip encoded</p>" * 50), headers={"Content-Encoding": "gzip"})
    site.page(b, "/robots.txt", "User-agent: corpusmill\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "text/plain")
    site.page(b, "/", "<p>b home, disallowed for corpusmill</p>")
    site.page(other, "/x", "<p>out of scope</p>")
    site.page(other, "/robots.txt", "", "text/plain")
    site.start()
    return a, b, other


def test_site_crawl(site: Site, tmp_path: Path) -> None:
    a, b, other = _build(site)
    cfg = CrawlConfig(max_pages=100, max_depth=2, scope="same-host", allow_private=True, delay=0.05,
                      concurrency=4, render="never", quiet=True, retry_base_delay=0.1)
    result = crawl([f"http://{a}/"], tmp_path, cfg)

    # robots.txt honoured: nothing under /private, nothing on b but robots.txt
    assert not [p for p in site.paths(a) if p.startswith("/private")]
    assert site.paths(b) == ["/robots.txt"]
    assert site.paths(other) == []                      # out of scope: never contacted
    # politeness: Crawl-delay 0.3 between request starts on a
    times = site.times(a)
    gaps = [t2 - t1 for t1, t2 in itertools.pairwise(times)]
    assert gaps and min(gaps) >= 0.3, gaps     # strict: the delay counts from the end of a request
    # nothing fetched twice
    assert len(site.paths(a)) == len(set(site.paths(a)))

    recs = read_warcs(result.warc_files)
    resp = responses(recs)
    base = f"http://{a}"
    expected = {f"{base}/", f"{base}/p1", f"{base}/p2", f"{base}/p1/deep", f"{base}/doc.pdf", f"{base}/ru",
                f"{base}/gz", f"{base}/orphan", f"{base}/robots.txt", f"{base}/sitemap_index.xml",
                f"{base}/sitemap1.xml.gz", f"http://{b}/robots.txt",
                f"{base}/ru/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0"}
    assert set(resp) == expected
    assert f"{base}/p1/deeper" not in resp               # depth limit
    assert resp[f"{base}/doc.pdf"].payload == PDF
    assert resp[f"{base}/gz"].payload == b"<p>gzip encoded</p>" * 50
    assert resp[f"{base}/gz"].http_headers["X-Crawler-Content-Encoding"] == "gzip"
    assert "Привет".encode("cp1251") in resp[f"{base}/ru"].payload
    # request/response pairs, IP address, warcinfo
    by_id = {r.headers["WARC-Record-ID"]: r for r in recs}
    requests = [r for r in recs if r.type == "request"]
    assert len(requests) == len(resp)
    for req in requests:
        assert by_id[req.headers["WARC-Concurrent-To"]].uri == req.uri
        assert req.headers["WARC-IP-Address"] == "127.0.0.1"
    assert recs[0].type == "warcinfo"
    assert result.pages_disallowed == 3 and result.robots_fetched == 2
