"""Host names to the domain a person registered, from the public-suffix list bundled with tldextract.

Shared by the crawler's scope rules and HTML extraction's on-site/off-site link test; the list is the
snapshot inside the wheel and is never fetched at run time.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """example.co.uk for www.a.example.co.uk; an IP address or single label stays as it is."""
    host = host.split(":")[0] if not host.startswith("[") else host
    if _ip(host):
        return host
    return _EXTRACT(host).top_domain_under_public_suffix or host


@lru_cache(maxsize=65536)
def site_name(host: str) -> str:
    """The registered name without its public suffix: "bbc" for www.bbc.co.uk and for bbc.com, so a
    site's links to its other country domains count as its own. An IP address stays as it is."""
    if _ip(host):
        return host
    ext = _EXTRACT(host)
    return ext.domain or ext.suffix or host
