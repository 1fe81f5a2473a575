"""IPv4 and IPv6 addresses, validated with the standard library's `ipaddress`."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import regex

from corpusmill.curate.pii.span import PiiSpan

# A dotted quad not inside a longer dotted run (1.2.3.4.5 is a version or an OID).
_IPV4 = regex.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\w)")
# Groups of up to 4 hex digits joined by colons, optionally ending in a dotted quad.
_IPV6 = regex.compile(
    r"(?<![\w:.])"
    r"(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4}|:)?"
    r"(?![\w:]|\.\w)"
)
_NETWORK_BEFORE = regex.compile(
    r"(?:\bfrom|\bto|\bip|\bclient|\bhost|\bsrc|\bdst|\bpeer|\bremote|\baddr|\baddress|\bgateway)\s?[=:]?\s?$", regex.I
)
_PREFIX_AFTER = regex.compile(r"/(\d{1,2})(?!\d)")
# "version 1.2.3.4", "v10.0.0.1", "build 4.1.0.12": a dotted quad that is a software version.
_VERSION_BEFORE = regex.compile(r"(?:\bv|\bversion|\bver\.?|\bbuild|\brelease|\bupdate)\s*$", regex.I)


def find_ip_addresses(text: str) -> Iterator[PiiSpan]:
    if "." in text:
        for m in _IPV4.finditer(text):
            try:
                ip = ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            if _not_personal(ip):
                continue
            # "from 10.0.4.21 port 40122", "ip=10.1.2.3": a log's network words say it is an address.
            if _looks_like_version(m.group()) and not _NETWORK_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            if _VERSION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            if _is_network(ip, _PREFIX_AFTER.match(text, m.end())):
                continue
            yield PiiSpan("IP_ADDRESS", m.start(), m.end())
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            s = m.group()
            # At least three non-empty groups: "::" or "a::b" in code are not addresses.
            if sum(1 for g in s.split(":") if g) < 3:
                continue
            try:
                ip6 = ipaddress.IPv6Address(s)
            except ValueError:
                continue
            if _not_personal(ip6):
                continue
            yield PiiSpan("IP_ADDRESS", m.start(), m.end())


def _is_network(ip: ipaddress.IPv4Address, prefix: regex.Match[str] | None) -> bool:
    """"10.20.0.0/16": a network's own address, its host bits all zero, names a range, not a host."""
    if prefix is None or not 0 < int(prefix.group(1)) < 32:
        return False
    host_bits = 32 - int(prefix.group(1))
    return int(ip) & ((1 << host_bits) - 1) == 0


def _not_personal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Addresses that name no host of a person: loopback, unspecified, multicast, link-local.

    (Not `is_reserved`: for IPv6 it covers every block outside 2000::/3, which
    is where addresses seen in the wild, and in test data, also fall.)
    """
    return ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local or _is_netmask(ip)


def _is_netmask(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """"255.255.255.0", "255.255.0.0": a subnet mask (ones, then zeros) names no host."""
    if ip.version != 4 or not str(ip).startswith("255."):
        return False
    bits = int(ip)
    inverted = ~bits & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


def _looks_like_version(quad: str) -> bool:
    """"Firefox 2.0.0.16", "Stinger 12.2.0.79": a small major number and single-digit parts.

    Public addresses rarely have a first octet below 30 and two octets below 10
    (about 0.3% of them); four-part version numbers nearly always do.
    """
    octets = [int(o) for o in quad.split(".")]
    return octets[0] < 30 and sum(o < 10 for o in octets[1:]) >= 2
