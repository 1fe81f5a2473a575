"""Per-host scheduling: which URL may be fetched next, and when.

Each host (scheme://host:port) has a queue, a number of requests in flight (at most
`per_host`, 1 by default) and the earliest time its next request may start. The delay is
counted from the END of the previous request to the host (and, with more than one connection
per host, also between request starts): by causality the server then never sees two requests
closer together than the delay, whatever the network or either side's event loop does. This is
Heritrix's convention; Scrapy's DOWNLOAD_DELAY counts start to start, which lets a server that
answered the first request late see the second one early. A host's delay is the larger of the
configured delay and its robots.txt Crawl-delay (capped). A retry or a 429/503 pushes the
host's next start further out (backoff, Retry-After). Ready hosts sit in a heap by ready time,
so a worker never waits on a busy host while another host is ready.
"""
from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .frontier import Item


@dataclass(slots=True)
class HostSlot:
    delay: float
    queue: deque[Item] = field(default_factory=deque)
    inflight: int = 0
    next_start: float = 0.0
    in_heap: bool = False
    pages: int = 0          # pages dispatched to this host (per-host page limit)


class HostScheduler:
    def __init__(self, per_host: int, default_delay: float,
                 refill: Callable[[], list[Item]], exhausted: Callable[[], bool],
                 low_water: int = 2000) -> None:
        self.per_host = per_host
        self.default_delay = default_delay
        self.hosts: dict[str, HostSlot] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._refill = refill
        self._low_water = low_water
        self._exhausted = exhausted   # page budget spent (counting requests in flight)
        self.queued = 0
        self.inflight = 0
        self._changed = asyncio.Event()
        self.closed = False

    def slot(self, host: str) -> HostSlot:
        s = self.hosts.get(host)
        if s is None:
            s = self.hosts[host] = HostSlot(self.default_delay)
        return s

    def _schedule(self, host: str, s: HostSlot) -> None:
        if s.queue and not s.in_heap and s.inflight < self.per_host:
            self._seq += 1
            heapq.heappush(self._heap, (s.next_start, self._seq, host))
            s.in_heap = True

    def _wake(self) -> None:
        self._changed.set()

    def push(self, item: Item, front: bool = False) -> None:
        s = self.slot(item.host)
        (s.queue.appendleft if front else s.queue.append)(item)
        self.queued += 1
        self._schedule(item.host, s)
        self._wake()

    def release(self, host: str, not_before: float = 0.0) -> None:
        """The request to `host` is over; `not_before` delays the host (backoff, Retry-After)."""
        s = self.hosts[host]
        s.inflight -= 1
        self.inflight -= 1
        s.next_start = max(s.next_start, not_before)
        self._schedule(host, s)
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    def touch(self, host: str) -> None:
        """A request to `host` just went out or just ended: the next may start `delay` from now."""
        s = self.hosts[host]
        s.next_start = max(s.next_start, time.monotonic() + s.delay)

    async def wait_until_ready(self, host: str) -> None:
        """For a second request inside a held slot (robots.txt, then the page)."""
        s = self.hosts[host]
        wait = s.next_start - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        s.next_start = time.monotonic() + s.delay

    async def next(self) -> Item | None:
        """The next item whose host is ready, or None when the crawl is over."""
        while not self.closed:
            wait: float | None = None
            if self._exhausted():
                if self.inflight == 0:
                    self._wake()
                    return None
                # a page in flight may still end without spending budget (robots): wait for it
            elif self.queued < self._low_water:
                for item in self._refill():
                    self.push(item)
            if self._heap and not self._exhausted():
                ready_at, _, host = self._heap[0]
                wait = ready_at - time.monotonic()
                if wait <= 0:
                    heapq.heappop(self._heap)
                    s = self.hosts[host]
                    s.in_heap = False
                    item = s.queue.popleft()
                    self.queued -= 1
                    s.inflight += 1
                    self.inflight += 1
                    s.next_start = time.monotonic() + s.delay
                    self._schedule(host, s)
                    return item
            elif self.inflight == 0:
                self._wake()  # let the other workers see the end too
                return None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except TimeoutError:
                pass
        return None
