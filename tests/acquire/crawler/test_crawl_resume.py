"""Resume after a real `kill -9`: no page archived twice, none lost, the WARCs still valid."""
from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from crawl_site import Site
from warc_check import read_warcs

from corpusmill.acquire.crawler import CrawlConfig, crawl

PAGES_PER_HOST = 60
HOSTS = 4
CONCURRENCY = 8
ROOT = Path(__file__).resolve().parents[3]

CHILD = f"""
import sys
from pathlib import Path
from corpusmill.acquire.crawler import CrawlConfig, crawl
crawl(sys.argv[2:], Path(sys.argv[1]), CrawlConfig(max_pages=10000, max_depth=1000, allow_private=True,
      delay=0.02, concurrency={CONCURRENCY}, render="never", quiet=True, scope="same-domain"))
"""


def _build(site: Site) -> list[str]:
    hosts = [site.add_host() for _ in range(HOSTS)]
    for i, h in enumerate(hosts):
        site.page(h, "/robots.txt", "", "text/plain")
        for n in range(PAGES_PER_HOST):
            nxt = [f"/p{m}" for m in (n + 1, n + 2) if m < PAGES_PER_HOST]
            other = hosts[(i + 1) % HOSTS]
            body = f"<p>host {i} page {n}</p>" + "".join(f'<a href="{p}">x</a>' for p in nxt)
            body += f'<a href="http://{other}/p{n}">other</a>'
            site.page(h, f"/p{n}", body, delay=0.02)
    site.start()
    return hosts


def _archived(state: Path) -> int:
    db = state / "crawl_state" / "frontier.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM urls WHERE state=1").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_kill9_and_resume(site: Site, tmp_path: Path) -> None:
    hosts = _build(site)
    seeds = [f"http://{h}/p0" for h in hosts]
    out = tmp_path / "crawl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(out), *seeds], env=env)
    deadline = time.monotonic() + 60
    while _archived(out) < 60 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    assert child.poll() is None, "the crawl ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    done_before = _archived(out)
    assert 60 <= done_before < HOSTS * PAGES_PER_HOST
    hits_before = len(site.hits)
    # Whether or not the kill landed inside a write, make the killed file end in half a record
    # (half a gzip member of a real response record): resume must cut it off.
    killed = max((out / "warc").glob("*.warc.gz"))
    with open(killed, "rb") as f:
        head = f.read()
    member = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 5000)
    with open(killed, "ab") as f:
        f.write(member[: len(member) // 2])
    assert killed.stat().st_size > len(head)

    result = crawl(seeds, out, CrawlConfig(max_pages=10000, max_depth=1000, allow_private=True, delay=0.02,
                                           concurrency=CONCURRENCY, render="never", quiet=True))
    assert len(result.warc_files) == 2                        # one per session
    recs = read_warcs(result.warc_files)                      # digests + parse to the end of every file
    pages = Counter(r.uri for r in recs if r.type == "response" and not r.uri.endswith("/robots.txt"))
    expected = {f"http://{h}/p{n}" for h in hosts for n in range(PAGES_PER_HOST)}
    assert set(pages) == expected                             # none lost
    assert max(pages.values()) == 1                           # none archived twice
    assert result.pages_total_archived == len(expected)
    # Server side: only the requests in flight at the kill can have been repeated.
    fetched = Counter((h.host, h.path) for h in site.hits if h.path != "/robots.txt")
    repeated = [k for k, n in fetched.items() if n > 1]
    assert len(repeated) <= CONCURRENCY, repeated
    assert all(n <= 2 for n in fetched.values())
    # and the second session did only the rest
    assert len(site.hits) - hits_before <= len(expected) - done_before + CONCURRENCY + HOSTS
