"""Refuse to connect to private, loopback, link-local, multicast and reserved addresses.

The check sits in the resolver that the HTTP connector uses, so the address that was checked is
the address that is connected to (no DNS-rebinding gap between check and connect). aiohttp never
asks the resolver about IP-literal hosts, so those are checked by `check_literal_host` before each
request - every redirect hop is a new request and is checked again.
"""
from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver


class BlockedAddressError(OSError):
    """The target resolves only to addresses the crawler must not reach."""


def is_public_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def check_literal_host(host: str, allow_private: bool) -> None:
    """Raise BlockedAddressError for a non-public IP literal; host names pass (resolver checks)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not allow_private and not is_public_address(host.strip("[]")):
        raise BlockedAddressError(f"refusing non-public address {host}")


class GuardedResolver(AbstractResolver):
    """Resolves with the system resolver (or fixed overrides) and drops non-public addresses."""

    def __init__(self, allow_private: bool, overrides: dict[str, str] | None = None) -> None:
        self.allow_private = allow_private
        self.overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        fixed = self.overrides.get(host.lower())
        if fixed is not None:
            fam = socket.AF_INET6 if ":" in fixed else socket.AF_INET
            results: list[ResolveResult] = [ResolveResult(hostname=host, host=fixed, port=port, family=fam,
                                                          proto=0, flags=socket.AI_NUMERICHOST)]
        else:
            results = await self._inner.resolve(host, port, family)
        if self.allow_private:
            return results
        allowed = [r for r in results if is_public_address(r["host"])]
        if not allowed:
            addrs = ", ".join(r["host"] for r in results)
            raise BlockedAddressError(f"refusing {host}: resolves only to non-public addresses ({addrs})")
        return allowed

    async def close(self) -> None:
        await self._inner.close()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"GuardedResolver(allow_private={self.allow_private})"
