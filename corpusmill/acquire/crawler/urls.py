"""URL normalisation, registrable domains and scope rules.

Normalisation (applied to every URL before the seen-set check), chosen so that two spellings of
one resource collapse while no two resources ever do:
* scheme and host lower-cased, IDN hosts to punycode, trailing dot of the host dropped;
* default ports (:80 for http, :443 for https) dropped, empty path becomes "/";
* fragment dropped (never sent to the server);
* percent-escapes: unreserved characters decoded, hex digits upper-cased, characters that must
  be escaped are escaped (UTF-8), everything else left as written;
* the query is kept in its ORIGINAL order: sorting would merge URLs that servers may treat
  differently (order-sensitive parameters), and a crawler must never merge two resources.
Only http and https URLs are crawlable; anything else normalises to None.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from ...hosts import registrable_domain
from .config import CrawlConfig

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path / query (RFC 3986 reserved + unreserved + '%').
_PATH_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%")
_QUERY_SAFE = _PATH_SAFE | frozenset(b"?")
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")
_HOST_OK = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def _requote(part: str, safe: frozenset[int]) -> str:
    raw = part.encode("utf-8", "surrogatepass")

    def unescape(m: re.Match[bytes]) -> bytes:
        byte = int(m.group(1), 16)
        return bytes([byte]) if byte in _UNRESERVED else b"%" + m.group(1).upper()

    raw = _PCT.sub(unescape, raw)
    out = bytearray()
    for i, b in enumerate(raw):
        if b in safe and not (b == 0x25 and not _PCT.match(raw, i)):
            out.append(b)
        else:
            out += b"%%%02X" % b
    return out.decode("ascii")


def _norm_host(host: str) -> str | None:
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        if not host.isascii():
            return None
    return host if _HOST_OK.fullmatch(host) else None


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, so /a/./b/../c and /a/c are one URL."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
        elif seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
        else:
            out.append(seg)
    return "/".join(out) or "/"


@lru_cache(maxsize=65536)
def normalise_url(url: str) -> str | None:
    """The canonical form of an absolute http(s) URL, or None if it is not crawlable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = _norm_host(parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]")
    if host is None:
        return None
    netloc = host
    if port is not None and port != (80 if scheme == "http" else 443):
        netloc = f"{host}:{port}"
    path = _requote(_remove_dot_segments(parts.path or "/"), _PATH_SAFE)
    query = _requote(parts.query, _QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def join_url(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "data:", "tel:", "#")):
        return None
    try:
        return normalise_url(urljoin(base, href))
    except ValueError:
        return None


def host_key(url: str) -> str:
    """scheme://host[:port] - the unit of robots.txt and of politeness."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


class ScopeRules:
    """Which discovered URLs belong to the crawl, relative to the seeds."""

    def __init__(self, seeds: list[str], config: CrawlConfig) -> None:
        self.mode = config.scope
        self.include = [re.compile(r) for r in config.include]
        self.exclude = [re.compile(r) for r in config.exclude]
        self.hosts = {urlsplit(s).hostname or "" for s in seeds}
        self.domains = {registrable_domain(h) for h in self.hosts}
        if self.mode == "regex" and not self.include:
            raise ValueError("scope 'regex' needs at least one include pattern")

    def allows(self, url: str) -> bool:
        if any(r.search(url) for r in self.exclude):
            return False
        if self.include and not any(r.search(url) for r in self.include):
            return False
        host = urlsplit(url).hostname or ""
        if self.mode == "same-host":
            return host in self.hosts
        if self.mode == "same-domain":
            return host in self.hosts or registrable_domain(host) in self.domains
        return True  # regex (patterns checked above) or any
