"""robots.txt per host (RFC 9309), parsed with protego and cached for the crawl.

Fetch outcomes: 2xx -> parsed rules; 4xx -> no rules (allow all); 5xx, 429 or unreachable
after retries -> disallow all (RFC 9309 2.3.1.4: the crawler must assume complete disallow; a
429 is "slow down", never "no rules", as Google also reads it).
Redirects of robots.txt are followed (up to 5 hops, as the RFC asks) by the caller's fetch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego


@dataclass(slots=True)
class RobotsRules:
    parser: Protego | None          # None: no rules
    disallow_all: bool = False
    sitemaps: list[str] = field(default_factory=list)
    note: str = ""
    blocked: bool = False           # the host's address is refused by the SSRF guard
    fetched: float = 0.0            # time.monotonic() of the fetch, for the cache's expiry

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        d = self.parser.crawl_delay(user_agent)
        if d is None:
            # Request-rate: n requests per m seconds, the older spelling of a delay.
            rate = self.parser.request_rate(user_agent)
            if rate is not None and rate.requests:
                return rate.seconds / rate.requests
            return None
        return float(d)


def rules_from_response(status: int | None, body: bytes) -> RobotsRules:
    if status is None or status >= 500 or status == 429:
        return RobotsRules(None, disallow_all=True, note=f"unreachable ({status})")
    if status >= 400 or status < 200 or status >= 300:
        return RobotsRules(None, note=f"none ({status})")
    # RFC 9309: at least 500 KiB must be parsed; more is ignored.
    text = body[:512 * 1024].decode("utf-8", "replace")
    parser = Protego.parse(text)
    return RobotsRules(parser, sitemaps=list(parser.sitemaps))


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: 'corpusmill' for 'corpusmill/0.1 (...)'."""
    return user_agent.split("/")[0].split()[0] if user_agent.strip() else "*"
