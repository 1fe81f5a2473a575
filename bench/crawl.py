"""Crawl throughput: corpusmill's crawler vs Scrapy on one local multi-host site, same settings.

    .venv/bin/python bench/crawl.py [--hosts 16] [--pages 250] [--concurrency 32] [--delay 0.05]

A site of hosts x pages HTML pages (10-20 KB each, 12 same-host and 2 cross-host links per
page, 20-100 ms latency per response, deterministic) is served by aiohttp from its own
process on 127.0.0.2 ... 127.0.0.N (one IP per virtual host, so both crawlers see separate
hosts). Every robots.txt disallows /private/, and every page links into /private/: the server
counts requests there (robots violations) and the smallest gap between two request starts on
one host (politeness). Both crawlers run as separate processes with the same global
concurrency, one connection per host, the same delay (no randomisation), robots.txt obeyed and
no page limit; each reports its own CPU time and peak RSS (getrusage). corpusmill also writes
gzipped WARC/1.1 with digests; Scrapy only parses pages and follows links (no storage).
Scrapy runs from bench/.venv-scrapy (created on first use).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRAPY_VENV = ROOT / "bench" / ".venv-scrapy"
RESULTS = ROOT / "bench" / "results" / "crawl.md"
WORDS = ["crawl", "archive", "corpus", "token", "model", "shard", "record", "filter", "language", "quality", "page", "link", "host", "robots", "delay", "polite", "server", "latency", "network", "document", "paragraph", "sentence", "table", "header", "footer"]


# ---------------------------------------------------------------------------------- server
def serve(hosts: int, pages: int, port: int, control_port: int) -> None:
    from aiohttp import web

    hits: dict[str, list[float]] = {}
    violations: list[str] = []

    def page(host_i: int, n: int) -> bytes:
        rnd = random.Random(host_i * 100003 + n)
        paras = "".join("<p>" + " ".join(rnd.choices(WORDS, k=rnd.randint(150, 300))) + ".</p>"
                        for _ in range(rnd.randint(4, 6)))
        links = "".join(f'<li><a href="/page/{rnd.randrange(pages)}">related {k}</a></li>' for k in range(12))
        other = [f'<a href="http://127.0.0.{2 + rnd.randrange(hosts)}:{port}/page/{rnd.randrange(pages)}">x</a>'
                 for _ in range(2)]
        nxt = f'<a href="/page/{(n + 1) % pages}">next</a>'
        return (f"<!doctype html><html><head><title>Host {host_i} page {n}</title></head><body><nav>{nxt}"
                f'<a href="/private/{n}">account</a></nav><article><h1>Page {n}</h1>{paras}</article>'
                f"<ul>{links}</ul>{''.join(other)}</body></html>").encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        now = time.monotonic()
        path = request.path
        if path != "/robots.txt":
            hits.setdefault(host, []).append(now)
        if path.startswith("/private/"):
            violations.append(host + path)
        if path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        if not path.startswith("/page/"):
            return web.Response(status=404)
        try:
            n = int(path.rsplit("/", 1)[1])
        except ValueError:
            return web.Response(status=404)
        if not 0 <= n < pages:
            return web.Response(status=404)
        host_i = int(host.rsplit(".", 1)[1]) - 2
        await asyncio.sleep(random.Random(f"{host}{n}").uniform(0.02, 0.1))
        return web.Response(body=page(host_i, n), content_type="text/html", charset="utf-8")

    async def stats(request: web.Request) -> web.Response:
        delay = float(request.query.get("delay", "0"))
        gaps = sorted(b - a for ts in hits.values() for a, b in itertools.pairwise(ts))
        return web.json_response({"requests": sum(len(v) for v in hits.values()), "violations": len(violations),
                                  "min_gap": gaps[0] if gaps else None,
                                  "gaps_below_delay": sum(1 for g in gaps if g < delay),
                                  "gaps": len(gaps)})

    async def reset(_: web.Request) -> web.Response:
        hits.clear()
        violations.clear()
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handler)
        control = web.Application()
        control.router.add_get("/stats", stats)
        control.router.add_get("/reset", reset)
        for app_, ips, p in [(app, [f"127.0.0.{2 + i}" for i in range(hosts)], port), (control, ["127.0.0.1"],
                                                                                        control_port)]:
            runner = web.AppRunner(app_, access_log=None)
            await runner.setup()
            for ip in ips:
                await web.TCPSite(runner, ip, p, backlog=1024).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ------------------------------------------------------------------------------- crawlers
def _usage() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}


def run_corpusmill(seeds: list[str], concurrency: int, delay: float) -> None:
    sys.path.insert(0, str(ROOT))
    from corpusmill.acquire.crawler import CrawlConfig, crawl
    out = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    t0 = time.monotonic()
    r = crawl(seeds, out, CrawlConfig(max_pages=0, max_depth=10_000, scope="regex", include=[r"^http://127\.0\.0\."],
                                      allow_private=True, concurrency=concurrency, delay=delay, render="never",
                                      quiet=True))
    wall = time.monotonic() - t0
    size = sum(p.stat().st_size for p in r.warc_files)
    shutil.rmtree(out)
    print(json.dumps({"pages": r.pages_archived, "wall": wall, "warc_mb": size / 1e6,
                      **_usage()}))


SCRAPY_CHILD = r"""
import json, resource, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

seeds, conc, delay = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
count = [0]

class Site(scrapy.Spider):
    name = "site"
    start_urls = seeds
    links = LinkExtractor(allow=[r"^http://127\.0\.0\."])
    def parse(self, response):
        count[0] += 1
        for link in self.links.extract_links(response):
            yield scrapy.Request(link.url, callback=self.parse)

proc = CrawlerProcess(settings={
    "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": conc, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_DELAY": delay, "RANDOMIZE_DOWNLOAD_DELAY": False, "LOG_LEVEL": "WARNING",
    "DEPTH_LIMIT": 0, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "RETRY_TIMES": 3,
    "USER_AGENT": "corpusmill-bench", "DNS_TIMEOUT": 10, "REACTOR_THREADPOOL_MAXSIZE": 10})
t0 = time.monotonic()
proc.crawl(Site)
proc.start()
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"pages": count[0], "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}))
"""


def ensure_scrapy() -> Path:
    py = SCRAPY_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SCRAPY_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "scrapy"], check=True)
    return py


# ---------------------------------------------------------------------------------- driver
def _free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _run(name: str, cmd: list[str], control: str, delay: float) -> dict:
    urllib.request.urlopen(control + "/reset", timeout=10).read()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(_get(control + f"/stats?delay={delay}"))
    res["name"] = name
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=16)
    ap.add_argument("--pages", type=int, default=250)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--serve", nargs=2, type=int, metavar=("PORT", "CONTROL_PORT"), help=argparse.SUPPRESS)
    ap.add_argument("--corpusmill", metavar="SEEDS_JSON", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.hosts, args.pages, *args.serve)
        return
    if args.corpusmill:
        run_corpusmill(json.loads(args.corpusmill), args.concurrency, args.delay)
        return

    scrapy_py = ensure_scrapy()
    args.load = os.getloadavg()[0]
    port, control_port = _free_port("127.0.0.2"), _free_port("127.0.0.1")
    server = subprocess.Popen([sys.executable, __file__, "--hosts", str(args.hosts), "--pages", str(args.pages),
                               "--serve", str(port), str(control_port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        control = f"http://127.0.0.1:{control_port}"
        seeds = [f"http://127.0.0.{2 + i}:{port}/page/0" for i in range(args.hosts)]
        common = ["--hosts", str(args.hosts), "--pages", str(args.pages), "--concurrency", str(args.concurrency),
                  "--delay", str(args.delay)]
        # Scrapy reads its callbacks' source (inspect.getsource): the spider must be a real file.
        spider = Path(tempfile.mkdtemp(prefix="bench-scrapy-")) / "spider.py"
        spider.write_text(SCRAPY_CHILD)
        results = [
            _run("corpusmill", [sys.executable, __file__, *common, "--corpusmill", json.dumps(seeds)], control, args.delay),
            _run("scrapy", [str(scrapy_py), str(spider), json.dumps(seeds), str(args.concurrency),
                            str(args.delay)], control, args.delay),
        ]
        shutil.rmtree(spider.parent)
    finally:
        server.terminate()
        server.wait()
    report(results, args)


def report(results: list[dict], args: argparse.Namespace) -> None:
    rows = []
    for r in results:
        r["pps"] = r["pages"] / r["wall"]
        r["cpu_ms"] = 1000 * r["cpu"] / max(1, r["pages"])
    scrapy = next(r for r in results if r["name"] == "scrapy")
    header = "| crawler | pages | wall s | pages/s | vs Scrapy | CPU ms/page | peak RSS MB | robots violations | min gap per host s | gaps < delay |"
    rows.append(header)
    rows.append("|" + "---|" * 10)
    for r in results:
        gap = f"{r['min_gap']:.3f}" if r["min_gap"] is not None else "-"
        rows.append(f"| {r['name']} | {r['pages']} | {r['wall']:.1f} | {r['pps']:.1f} | {r['pps'] / scrapy['pps']:.2f}x "
                    f"| {r['cpu_ms']:.2f} | {r['rss_mb']:.0f} | {r['violations']} | {gap} "
                    f"| {r['gaps_below_delay']} of {r['gaps']} |")
    table = "\n".join(rows)
    print(table)
    cm = next(r for r in results if r["name"] == "corpusmill")
    md = (f"## Crawl throughput ({dt.date.today().isoformat()})\n\n"
          f"Machine: {os.cpu_count()} cores {platform.machine()}, Python {platform.python_version()}, "
          f"shared with other jobs (load average {args.load:.1f} at the start). Site: {args.hosts} hosts x {args.pages} pages (127.0.0.2-{args.hosts + 1}), "
          f"10-20 KB HTML, 20-100 ms latency, robots.txt disallowing /private/ (linked from every page). "
          f"Both: concurrency {args.concurrency}, 1 connection per host, delay {args.delay}s (not randomised), "
          f"robots.txt obeyed, no page limit. corpusmill also wrote {cm.get('warc_mb', 0):.1f} MB of "
          f"gzipped WARC/1.1 (request+response records, digests); Scrapy only parsed and followed links.\n\n"
          f"{table}\n\n"
          f"`min gap per host` / `gaps < delay`: time between two successive requests arriving at one "
          f"host, measured by the server. corpusmill counts the delay from the end of the previous "
          f"request (Heritrix's convention), so by causality the server never sees a shorter gap; "
          f"Scrapy counts it start to start (DOWNLOAD_DELAY), which lets a request that the server "
          f"handled late be followed early - the stricter rule costs corpusmill throughput per host, "
          f"not violations. `CPU ms/page`: user+system CPU of the crawler process over pages "
          f"fetched. Load on the shared machine varies between runs; both crawlers ran back to "
          f"back against the same server process.\n\n"
          f"Command: `.venv/bin/python bench/crawl.py` (defaults: --hosts 16 --pages 250 "
          f"--concurrency 32 --delay 0.05)\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(md)


if __name__ == "__main__":
    main()
