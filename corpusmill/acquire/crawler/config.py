"""Settings of one crawl and the summary it returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Scope = Literal["same-domain", "same-host", "regex", "any"]
RenderMode = Literal["never", "auto", "always"]

DEFAULT_USER_AGENT = "corpusmill/0.1 (+https://github.com/corpusmill/corpusmill)"


@dataclass(slots=True)
class CrawlConfig:
    max_pages: int = 1000
    max_depth: int = 3
    scope: Scope = "same-domain"
    include: list[str] = field(default_factory=list)   # regexes; a URL must match one (if any given)
    exclude: list[str] = field(default_factory=list)   # regexes; a URL matching any is skipped
    render: RenderMode = "auto"
    allow_private: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 16                 # requests in flight over all hosts
    per_host_concurrency: int = 1         # connections per host
    delay: float = 1.0                    # seconds between request starts on one host
    max_crawl_delay: float = 30.0         # cap on a robots.txt Crawl-delay
    follow_sitemaps: bool = True
    robots_ttl: float = 24 * 3600.0       # refetch a host's robots.txt after this long (RFC 9309)
    # retries
    max_retries: int = 3
    retry_base_delay: float = 2.0         # backoff: base * 2**attempt, or Retry-After if larger
    max_retry_after: float = 300.0        # a longer Retry-After gives up on the URL
    max_redirects: int = 10
    # limits
    connect_timeout: float = 10.0
    request_timeout: float = 30.0         # whole request, headers and body
    max_response_bytes: int = 20 * 1024 * 1024        # bytes on the wire
    max_decoded_bytes: int = 50 * 1024 * 1024         # after Content-Encoding
    max_decompression_ratio: float = 100.0            # decoded / wire bytes
    max_pages_per_host: int = 0                       # 0: no limit
    max_sitemap_urls: int = 50_000
    max_sitemaps: int = 1000                          # sitemap files queued in one crawl, at most
    # rendering
    render_timeout: float = 15.0
    render_concurrency: int = 2
    render_min_text_chars: int = 200      # auto: static text shorter than this may need rendering
    chromium_path: str | None = None      # default: found on PATH / usual places
    # output
    warc_max_bytes: int = 1024**3         # rotate WARC files at about this size
    resolve: dict[str, str] = field(default_factory=dict)  # host -> IP, like curl --resolve
    progress_interval: float = 5.0
    quiet: bool = False


@dataclass(slots=True)
class CrawlResult:
    warc_files: list[Path]       # every WARC file of this crawl (all sessions), for the WARC job
    session_warc_files: list[Path]
    pages_archived: int          # URLs whose final response is in a WARC (this session)
    pages_failed: int            # gave up: network errors, limits (this session)
    pages_disallowed: int        # robots.txt said no (this session)
    pages_total_archived: int    # over all sessions of this crawl
    queued_left: int             # still in the frontier (page limit hit or interrupted)
    requests: int                # HTTP requests sent, robots.txt and sitemaps included
    rendered: int
    retries: int
    robots_fetched: int
    seconds: float
    state_dir: Path
    status_counts: dict[int, int] = field(default_factory=dict)
    pages_refused: int = 0       # refused for their address (private/loopback without allow_private)
    interrupted: bool = False    # stopped by SIGINT/SIGTERM: queued URLs wait for a rerun
