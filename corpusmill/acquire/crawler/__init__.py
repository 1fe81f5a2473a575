"""A polite, resumable crawler that writes WARC/1.1 for the WARC job.

    from corpusmill.acquire.crawler import CrawlConfig, crawl
    result = crawl(["https://example.org/"], Path("out"), CrawlConfig(max_pages=500))

Output, under out_dir:
* `warc/crawl-<UTC time>-s<session>-<n>.warc.gz` - new files for every session (run), gzip per
  record, rotated at `warc_max_bytes`. Each file starts with a `warcinfo` record. Per fetched
  URL: a `request` and a `response` record (WARC-Concurrent-To links them; WARC-IP-Address;
  WARC-Block-Digest and WARC-Payload-Digest, sha1 base32), one pair per redirect hop, all hops of a
  chain adjacent and in order; robots.txt and sitemap fetches are archived too. Payloads are
  stored decoded (Common Crawl's convention: original Content-Encoding / Content-Length /
  Transfer-Encoding headers renamed X-Crawler-*). A response cut by a limit carries
  `WARC-Truncated: length`.
* Rendered pages (`render="auto"|"always"`, real Chromium via Playwright): a `conversion` record
  right after the response, `Content-Type: text/html; charset=utf-8`, holding the DOM after the
  scripts ran, with `WARC-Refers-To: <response record id>`, `WARC-Resource-Type: rendered-dom`
  and `WARC-Render-Reason` (why auto mode rendered it). A reader that wants the rendered text
  uses the conversion record in place of the response it refers to.
* `crawl_state/frontier.sqlite` - frontier, seen set, per-URL outcome and the committed length of
  every WARC file; a rerun with the same out_dir resumes (see crawl.py for the crash-safety order).
"""
from .config import CrawlConfig, CrawlResult
from .crawl import Crawler, crawl, crawl_async

__all__ = ["CrawlConfig", "CrawlResult", "Crawler", "crawl", "crawl_async"]
