"""The crawl loop: frontier -> politeness -> robots -> fetch (+redirects, retries) -> render -> WARC.

Order of effects for one URL, which is what makes `kill -9` + rerun safe:
1. all of the URL's records (redirect hops, request/response pairs, rendered DOM) are appended
   to the session's WARC file in one write;
2. one sqlite transaction marks the URL done, inserts its out-links and stores the offset the
   WARC file is committed up to.
On start, every WARC file is cut back to its committed offset and files that never got a
commit are deleted, so the archive holds each URL exactly once. Files are registered in the
frontier before they are created, by their path relative to the output folder: recovery touches
only files this crawl wrote, and a crawl folder that was moved resumes as it was. URLs that were in flight at
the kill are fetched again (they are the only ones a server can see twice); no URL is lost.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from corpusmill.acquire.media_type import resolve_media_type
from corpusmill.output_folder import claim
from corpusmill.retry_after import parse_retry_after

from .config import CrawlConfig, CrawlResult
from .fetcher import Exchange, Fetcher, FetchError
from .frontier import REFUSED_NOTE, Frontier, Item, Kind, State
from .links import decode_page, extract_links
from .politeness import HostScheduler
from .render import Renderer, needs_render
from .robots import RobotsRules, product_token, rules_from_response
from .sitemaps import parse_sitemap
from .urls import ScopeRules, host_key, join_url, normalise_url
from .warc_writer import WarcRecord, WarcWriter, truncate_to, warc_date

log = logging.getLogger("corpusmill.crawl")

_REDIRECTS = {301, 302, 303, 307, 308}
_RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_REFILL_BATCH = 5000
# Sitemap indexes should not nest (sitemaps.org); a few levels are tolerated, no endless chain.
_MAX_SITEMAP_NESTING = 3


def _is_html(ex: Exchange) -> bool:
    # The same media type the WARC job will give the page: header checked against the bytes.
    return resolve_media_type(ex.content_type, ex.payload)[0] in _HTML_TYPES


class _Retry(Exception):
    def __init__(self, reason: str, wait: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _retry_after(ex: Exchange) -> float | None:
    return parse_retry_after(ex.header("retry-after"))


class Crawler:
    def __init__(self, seeds: list[str], out_dir: Path, config: CrawlConfig) -> None:
        self.config = config
        self.out_dir = out_dir
        self.state_dir = out_dir / "crawl_state"
        self.warc_dir = out_dir / "warc"
        self.seeds = [u for u in (normalise_url(s) for s in seeds) if u]
        self.scope = ScopeRules(self.seeds, config)
        self.ua_token = product_token(config.user_agent)
        self.robots: dict[str, RobotsRules] = {}
        self._robots_loading: dict[str, asyncio.Future[RobotsRules]] = {}
        self.stats: dict[str, int] = {"archived": 0, "failed": 0, "disallowed": 0, "rendered": 0,
                                      "robots": 0, "retries": 0, "refused": 0}
        self.status_counts: dict[int, int] = {}
        self._pages_used = 0
        self._inflight_pages = 0
        self._sitemaps = 0          # sitemap URLs ever queued in this crawl (all sessions)
        self._loaded_upto = 0
        self._max_id = 0

    # -- setup ----------------------------------------------------------------------------
    def _recover(self) -> None:
        """Cut every WARC file back to its committed offset; delete those that never got a commit.

        Only files the frontier registered (before creating them) are touched: a file in warc/
        that we did not write is never cut or deleted.
        """
        for name, offset in self.frontier.committed_warcs():
            path = self.out_dir / name
            if offset == 0:
                log.info("resume: removing %s (nothing in it was committed)", path.name)
                path.unlink(missing_ok=True)
                self.frontier.forget_warc(name)
                continue
            cut = truncate_to(path, offset)
            if cut:
                log.info("resume: cut %d uncommitted bytes from %s", cut, path.name)

    def _refill(self) -> list[Item]:
        if self._loaded_upto >= self._max_id:
            return []   # everything queued is already in memory: skip the query
        items = self.frontier.load_queued(self._loaded_upto, _REFILL_BATCH)
        if items:
            self._loaded_upto = items[-1].id
        return items

    def _exhausted(self) -> bool:
        return 0 < self.config.max_pages <= self._pages_used + self._inflight_pages

    def _enqueue(self, new: list[Item]) -> None:
        """Hand newly inserted rows to the scheduler if everything before them is loaded."""
        if not new:
            return
        if self._loaded_upto >= self._max_id and self.sched.queued < _REFILL_BATCH:
            for it in new:
                self.sched.push(it)
            self._loaded_upto = new[-1].id
        self._max_id = max(self._max_id, new[-1].id)

    # -- WARC -----------------------------------------------------------------------------
    def _records(self, ex: Exchange) -> tuple[WarcRecord, WarcRecord]:
        common = [("WARC-Date", warc_date(ex.started)), ("WARC-Target-URI", ex.url)]
        if ex.ip:
            common.append(("WARC-IP-Address", ex.ip))
        block, offset = ex.response_block()
        resp_headers = common + [("Content-Type", "application/http;msgtype=response")]
        if ex.truncated:
            resp_headers.append(("WARC-Truncated", ex.truncated))
        response = WarcRecord("response", resp_headers, block, payload_offset=offset)
        request = WarcRecord("request", common + [("WARC-Concurrent-To", response.record_id),
                                                  ("Content-Type", "application/http;msgtype=request")],
                             ex.request_head, payload_offset=len(ex.request_head))
        return request, response

    def _write(self, records: list[WarcRecord]) -> tuple[Path, int] | None:
        if not records:
            return None
        path, offset = self.writer.write_group(records)
        return path.relative_to(self.out_dir), offset

    # -- robots.txt -----------------------------------------------------------------------
    async def _fetch_chain_simple(self, url: str, max_hops: int, host: str) -> list[Exchange]:
        """The robots.txt fetch: redirects followed to any host (RFC 9309, 5 hops), retries inline."""
        hops: list[Exchange] = []
        waited = 0.0
        for _ in range(max_hops + 1):
            for attempt in range(self.config.max_retries + 1):
                try:
                    ex = await self._fetch(url, host)
                except FetchError as e:
                    wait = self.config.retry_base_delay * 2 ** attempt
                    if not e.retryable or attempt == self.config.max_retries or \
                            waited + wait > self.config.max_retry_after:
                        raise
                    waited += wait
                    await asyncio.sleep(wait)
                    continue
                if ex.status in _RETRY_STATUSES and attempt < self.config.max_retries:
                    wait = max(self.config.retry_base_delay * 2 ** attempt, _retry_after(ex) or 0)
                    # All waits together stay within max_retry_after; a server asking for more
                    # gets its answer kept (429/5xx: robots.txt unreachable, the host disallowed).
                    if waited + wait <= self.config.max_retry_after:
                        waited += wait
                        await asyncio.sleep(wait)
                        continue
                break
            hops.append(ex)
            loc = ex.header("location") if ex.status in _REDIRECTS else None
            nxt = join_url(url, loc) if loc else None
            if nxt is None or nxt in {h.url for h in hops}:
                break
            url = nxt
        return hops

    async def _robots_for(self, host: str) -> RobotsRules:
        cached = self.robots.get(host)
        if cached is not None and time.monotonic() - cached.fetched < self.config.robots_ttl:
            return cached
        pending = self._robots_loading.get(host)
        if pending is not None:
            return await pending
        fut: asyncio.Future[RobotsRules] = asyncio.get_running_loop().create_future()
        self._robots_loading[host] = fut
        try:
            try:
                hops = await self._fetch_chain_simple(host + "/robots.txt", 5, host)
                final = hops[-1]
                rules = rules_from_response(final.status, final.payload)
                records = [r for ex in hops for r in self._records(ex)]
                written = self._write(records)
                if written:
                    self.frontier.register_warc(*written)
            except FetchError as e:
                rules = rules_from_response(None, b"")
                rules.note = f"robots.txt: {e}"
                rules.blocked = e.blocked
            self.stats["robots"] += 1
            rules.fetched = time.monotonic()
            slot = self.sched.slot(host)
            delay = rules.crawl_delay(self.ua_token)
            if delay is not None:
                slot.delay = max(self.config.delay, min(delay, self.config.max_crawl_delay))
            self.sched.touch(host)   # the robots.txt request just ended: its delay counts from now
            self.robots[host] = rules
            if self.config.follow_sitemaps and rules.sitemaps:
                rows = []
                for sm in rules.sitemaps:
                    u = normalise_url(sm)
                    if u and self.scope.allows(u):
                        rows.append((u, host_key(u), 0, Kind.SITEMAP))
                self.frontier.db.execute("BEGIN")
                new = self.frontier.add(self._sitemap_budget(rows))
                self.frontier.db.execute("COMMIT")
                self._queued(new)
            fut.set_result(rules)
            return rules
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # marks it retrieved when no other worker was waiting
            raise
        finally:
            self._robots_loading.pop(host, None)

    # -- one URL --------------------------------------------------------------------------
    async def _fetch_page(self, item: Item, rules: RobotsRules) -> tuple[list[Exchange], list[str], str | None]:
        """The redirect chain from item.url; (hops, cross-host redirect targets, note)."""
        c = self.config
        hops: list[Exchange] = []
        url = item.url
        for hop in range(c.max_redirects + 1):
            if hop:
                await self.sched.wait_until_ready(item.host)
            try:
                ex = await self._fetch(url, item.host)
            except FetchError as e:
                if e.retryable:
                    raise _Retry(str(e), c.retry_base_delay * 2 ** item.attempt) from e
                raise
            if ex.status in _RETRY_STATUSES:
                after = _retry_after(ex)
                if item.attempt < c.max_retries and (after is None or after <= c.max_retry_after):
                    raise _Retry(f"http {ex.status}", max(c.retry_base_delay * 2 ** item.attempt, after or 0))
            hops.append(ex)
            self.status_counts[ex.status] = self.status_counts.get(ex.status, 0) + 1
            loc = ex.header("location") if ex.status in _REDIRECTS else None
            if not loc:
                return hops, [], None
            nxt = join_url(url, loc)
            if nxt is None:
                return hops, [], "redirect-unusable-location"
            if nxt in {h.url for h in hops}:
                return hops, [], "redirect-loop"
            if hop == c.max_redirects:
                return hops, [], "too-many-redirects"
            if not self.scope.allows(nxt):
                return hops, [], "redirect-out-of-scope"
            if self.frontier.seen(nxt):
                return hops, [], "redirect-to-seen"
            if host_key(nxt) != item.host:
                # Another host has its own robots.txt and politeness: queue it, don't follow here.
                return hops, [nxt], "redirect-cross-host"
            if not rules.allowed(nxt, self.config.user_agent):
                return hops, [], "redirect-disallowed"
            url = nxt
        return hops, [], "too-many-redirects"

    async def _fetch(self, url: str, host: str) -> Exchange:
        """A request that counts for the host's politeness: from its send and from its end."""
        try:
            return await self.fetcher.fetch(url, lambda: self.sched.touch(host))
        finally:
            self.sched.touch(host)

    async def _sub_fetch(self, rules: RobotsRules, url: str) -> Exchange | None:
        if not rules.allowed(url, self.config.user_agent):
            return None
        try:
            return await self.fetcher.fetch(url)
        except FetchError:
            return None

    async def _process(self, item: Item) -> float:
        """Handle one dispatched item; returns the earliest next start for its host."""
        c = self.config
        cached = self.robots.get(item.host)
        rules = await self._robots_for(item.host)
        if rules is not cached:
            # robots.txt was just fetched: the page request keeps the host's delay after it
            await self.sched.wait_until_ready(item.host)
        if rules.blocked:
            self.stats["refused"] += 1
            self._finish(item, State.FAILED, None, REFUSED_NOTE, [], [], None)
            return 0.0
        if not rules.allowed(item.url, c.user_agent):
            self._finish(item, State.DISALLOWED, None, "robots.txt" + (f" ({rules.note})" if rules.note else ""),
                         [], [], None)
            return 0.0
        try:
            hops, cross, note = await self._fetch_page(item, rules)
        except _Retry as r:
            if item.attempt >= c.max_retries:
                self._finish(item, State.FAILED, None, f"retries exhausted: {r.reason}", [], [], None)
                return 0.0
            self.stats["retries"] += 1
            item.attempt += 1
            self.sched.push(item, front=True)
            return time.monotonic() + r.wait
        except FetchError as e:
            self._finish(item, State.FAILED, None, str(e), [], [], None)
            return 0.0

        final = hops[-1]
        records = [r for ex in hops for r in self._records(ex)]
        links: list[str] = list(cross)
        if item.kind == Kind.SITEMAP:
            pages, children = (parse_sitemap(final.payload, c.max_sitemap_urls, c.max_decompression_ratio)
                               if final.status == 200 else ([], []))
            if item.depth >= _MAX_SITEMAP_NESTING:
                children = []   # an index of indexes of ...: a chain ends here
            rows = [(u, Kind.SITEMAP) for u in children] + [(u, Kind.PAGE) for u in pages]
            self._finish_with_links(item, final, note, records, hops, rows, sitemap=True)
            return 0.0
        if 200 <= final.status < 300 and _is_html(final) and "decompression-ratio" not in final.notes:
            html = decode_page(final.payload, final.charset)
            found = extract_links(html, final.url, [v for k, v in final.headers if k.lower() == "x-robots-tag"],
                                  self.ua_token)
            links += found.links
            rendered = await self._maybe_render(item, final, rules, records, found.nofollow)
            links += rendered
        self._finish_with_links(item, final, note, records, hops, [(u, Kind.PAGE) for u in links])
        return 0.0

    async def _maybe_render(self, item: Item, final: Exchange, rules: RobotsRules,
                            records: list[WarcRecord], nofollow: bool) -> list[str]:
        c = self.config
        if c.render == "never" or not self.renderer.available:   # 'always' checked at start
            return []
        if c.render == "always":
            why = "always"
        else:
            want, why = needs_render(final.payload, final.charset, c.render_min_text_chars)
            if not want:
                return []
        try:
            dom = await self.renderer.render(final.url, final, lambda u: self._sub_fetch(rules, u))
        except Exception as e:  # noqa: BLE001 - a page that breaks the browser keeps its static copy
            log.warning("render failed for %s: %s", final.url, e)
            return []
        self.stats["rendered"] += 1
        response = records[-1]
        records.append(WarcRecord("conversion", [
            ("WARC-Date", warc_date()), ("WARC-Target-URI", final.url),
            ("WARC-Refers-To", response.record_id), ("WARC-Resource-Type", "rendered-dom"),
            ("WARC-Render-Reason", why), ("Content-Type", "text/html; charset=utf-8")],
            dom.encode("utf-8"), payload_offset=0))
        if nofollow:
            return []
        found = extract_links(dom, final.url, [], self.ua_token)
        return found.links

    def _finish_with_links(self, item: Item, final: Exchange, note: str | None, records: list[WarcRecord],
                           hops: list[Exchange], found: list[tuple[str, Kind]], sitemap: bool = False) -> None:
        c = self.config
        rows: list[tuple[str, str, int, Kind]] = []
        for url, kind in found:
            # A sitemap's depth is how deep it sits in sitemap indexes; its pages are one link deep.
            depth = 1 if (sitemap and kind == Kind.PAGE) else item.depth + 1
            if kind == Kind.PAGE and depth > c.max_depth:
                continue
            if self.scope.allows(url):
                rows.append((url, host_key(url), depth, kind))
        rows = self._sitemap_budget(rows)
        redirected = [(h.url, item.host) for h in hops[1:]]
        written = self._write(records)
        self._finish(item, State.ARCHIVED, final.status, note, rows, redirected, written)

    def _sitemap_budget(self, rows: list[tuple[str, str, int, Kind]]) -> list[tuple[str, str, int, Kind]]:
        """`rows` less the sitemaps beyond the crawl's total of `max_sitemaps`."""
        room = self.config.max_sitemaps - self._sitemaps
        out = []
        for row in rows:
            if row[3] == Kind.SITEMAP:
                if room <= 0:
                    continue
                room -= 1
            out.append(row)
        return out

    def _queued(self, new: list[Item]) -> None:
        self._sitemaps += sum(1 for it in new if it.kind == Kind.SITEMAP)
        self._enqueue(new)

    def _finish(self, item: Item, state: State, status: int | None, note: str | None,
                rows: list[tuple[str, str, int, Kind]], redirected: list[tuple[str, str]],
                written: tuple[Path, int] | None) -> None:
        new = self.frontier.finish(item, state, status, note, rows, redirected, written)
        self._queued(new)
        key = {State.ARCHIVED: "archived", State.FAILED: "failed", State.DISALLOWED: "disallowed"}[state]
        self.stats[key] += 1
        # Sitemaps count against --max-pages like pages: each is a request the budget pays for.
        self._inflight_pages -= 1
        if state != State.DISALLOWED:
            self._pages_used += 1
        if note and state != State.ARCHIVED:
            log.debug("%s %s: %s", key, item.url, note)

    # -- workers and the run --------------------------------------------------------------
    async def _worker(self) -> None:
        while (item := await self.sched.next()) is not None:
            slot = self.sched.slot(item.host)
            if item.attempt == 0:
                self._inflight_pages += 1
                if item.kind == Kind.PAGE:
                    slot.pages += 1
                    if 0 < self.config.max_pages_per_host < slot.pages:
                        # Left QUEUED in the frontier: a later run with a higher limit picks it up.
                        self._inflight_pages -= 1
                        self.sched.release(item.host)
                        continue
            not_before = 0.0
            try:
                not_before = await self._process(item)
            except Exception:
                log.exception("crawl: unexpected error on %s", item.url)
                try:
                    self._finish(item, State.FAILED, None, "internal error", [], [], None)
                except Exception:
                    log.exception("crawl: could not record failure of %s", item.url)
            finally:
                self.sched.release(item.host, not_before)

    async def _progress(self, t0: float) -> None:
        last = 0
        while True:
            await asyncio.sleep(self.config.progress_interval)
            done = self.stats["archived"]
            rate = (done - last) / self.config.progress_interval
            last = done
            log.info("crawl: %d archived (%.1f/s), %d failed, %d disallowed, %d queued, %d in flight, "
                     "%d hosts, %.0fs", done, rate, self.stats["failed"], self.stats["disallowed"],
                     self.sched.queued, self.sched.inflight, len(self.sched.hosts), time.monotonic() - t0)

    async def run(self) -> CrawlResult:
        # One run per output folder at a time (resume would cut the other's uncommitted WARC tail);
        # the claim also refuses a folder holding files we did not write.
        with claim(self.out_dir, "crawl") as folder:
            folder.own("warc", "crawl_state")
            self.frontier = Frontier(self.state_dir)
            try:
                return await self._run()
            finally:
                self.frontier.close()

    async def _run(self) -> CrawlResult:
        c = self.config
        t0 = time.monotonic()
        self._recover()
        requeued = self.frontier.requeue_refused()
        if requeued:
            log.info("crawl: %d URLs refused for their address before are judged again", requeued)
        session = self.frontier.start_session()
        self._pages_used = self.frontier.pages_used()
        self._sitemaps = self.frontier.count_kind(Kind.SITEMAP)
        self._max_id = self.frontier.max_id()
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.writer = WarcWriter(self.warc_dir, f"crawl-{stamp}-s{session:04d}", c.warc_max_bytes, {
            "software": "corpusmill crawler", "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": c.user_agent, "robots": "obey",
            "payload-encoding": "decoded; original framing headers renamed X-Crawler-*",
            "rendered-dom": "conversion records with WARC-Resource-Type: rendered-dom"},
            # Registered (committed offset 0) before it exists, so a kill leaves no file unaccounted for.
            on_open=lambda path: self.frontier.register_warc(path.relative_to(self.out_dir), 0))
        self.sched = HostScheduler(c.per_host_concurrency, c.delay, self._refill, self._exhausted)
        self.frontier.db.execute("BEGIN")
        self.frontier.add([(s, host_key(s), 0, Kind.PAGE) for s in self.seeds])
        self.frontier.db.execute("COMMIT")
        self._max_id = self.frontier.max_id()
        self.renderer = Renderer(c.chromium_path, c.render_timeout, c.render_concurrency, c.user_agent)
        if c.render != "never" and not self.renderer.available:
            if c.render == "always":
                raise RuntimeError("--render always needs chromium (apt-get install chromium)")
            log.warning("crawl: no chromium found (apt-get install chromium): --render auto renders nothing")
        loop = asyncio.get_running_loop()
        stoppable = []
        interrupted = False

        def stop() -> None:
            nonlocal interrupted
            interrupted = True
            self.sched.close()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop)
                stoppable.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        progress = asyncio.create_task(self._progress(t0)) if not c.quiet else None
        try:
            async with Fetcher(c) as self.fetcher:
                await asyncio.gather(*(self._worker() for _ in range(max(1, c.concurrency))))
        finally:
            if progress is not None:
                progress.cancel()
            for sig in stoppable:
                loop.remove_signal_handler(sig)
            await self.renderer.close()
            self.writer.close()
            self.frontier.finish_session(session)
        counts = self.frontier.counts()
        result = CrawlResult(
            warc_files=sorted(self.warc_dir.glob("*.warc.gz")), session_warc_files=list(self.writer.files),
            pages_archived=self.stats["archived"], pages_failed=self.stats["failed"],
            pages_disallowed=self.stats["disallowed"], pages_total_archived=counts[State.ARCHIVED],
            queued_left=counts[State.QUEUED], requests=self.fetcher.requests, rendered=self.stats["rendered"],
            robots_fetched=self.stats["robots"], retries=self.stats["retries"],
            seconds=time.monotonic() - t0, state_dir=self.state_dir, status_counts=dict(self.status_counts),
            interrupted=interrupted, pages_refused=self.stats["refused"])
        if not c.quiet:
            log.info("crawl done: %d archived, %d failed, %d disallowed, %d rendered, %d requests, "
                     "%d left queued, %.1fs, %d WARC files", result.pages_archived, result.pages_failed,
                     result.pages_disallowed, result.rendered, result.requests, result.queued_left,
                     result.seconds, len(result.session_warc_files))
        return result


async def crawl_async(seeds: list[str], out_dir: Path, config: CrawlConfig | None = None) -> CrawlResult:
    return await Crawler(seeds, Path(out_dir), config or CrawlConfig()).run()


def crawl(seeds: list[str], out_dir: Path, config: CrawlConfig | None = None) -> CrawlResult:
    """Crawl from `seeds` into out_dir/warc/*.warc.gz, with resumable state in out_dir/crawl_state/."""
    return asyncio.run(crawl_async(seeds, out_dir, config))
