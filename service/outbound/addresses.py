"""Where outbound webhooks may go: only to the configured URL, and never, unless
SALDO_WEBHOOKS_ALLOW_PRIVATE is set (development, tests), over plain http or to a loopback,
private, link-local, shared, multicast or reserved address (a webhook URL must not become a way
into the network Saldo runs in).

The address is checked twice: when the URL is registered, and when it is called. At send time
the HTTP client connects only to the addresses `GuardedResolver` returned after checking them,
so a name that resolved to a public address at registration and to 127.0.0.1 now (DNS
rebinding) is refused; an IP literal, which aiohttp does not resolve, is checked by
`check_literal` before the request.
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from billing.errors import WebhookUrlRefused

RESOLVE_TIMEOUT_S = 5


class AddressRefused(OSError):
    """The URL's host is (or resolves to) an address outbound webhooks may not reach."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)     # aiohttp reports the strerror


def is_public(address: str) -> bool:
    """A globally routable unicast address (IPv4-mapped IPv6 judged as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal(host: str) -> str | None:
    """`host` when it is an IP address (brackets of IPv6 removed), else None."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%")[0])
        return bare
    except ValueError:
        return None


def parse_url(url: str, allow_private: bool) -> SplitResult:
    """The URL, if its form is one Saldo calls; WebhookUrlRefused (field `url`) otherwise."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise WebhookUrlRefused("The URL contains spaces or control characters", field="url")
    try:
        parts = urlsplit(url)
        parts.port                               # noqa: B018 (raises on a bad port)
    except ValueError:
        raise WebhookUrlRefused("Not a valid URL", field="url") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise WebhookUrlRefused("The URL must use https", field="url")
    if not parts.hostname:
        raise WebhookUrlRefused("The URL has no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("Put no credentials in the URL (use the signature)", field="url")
    return parts


async def check_url(url: str, allow_private: bool) -> None:
    """Registration: the URL's form, and (unless `allow_private`) every address its host
    resolves to must be public."""
    parts = parse_url(url, allow_private)
    if allow_private:
        return
    try:
        addresses = await resolve(parts.hostname, parts.port or 443)
    except OSError:
        raise WebhookUrlRefused(f"The host {parts.hostname!r} does not resolve",
                                field="url") from None
    if not addresses or not all(is_public(a) for a in addresses):
        raise WebhookUrlRefused("The URL's host is a loopback, private, link-local or reserved "
                                "address", field="url")


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` (itself for an IP literal)."""
    if (bare := literal(host)) is not None:
        return [bare]
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    return sorted({info[4][0] for info in infos})


def check_literal(host: str, allow_private: bool) -> None:
    """Send time, for an IP literal host (aiohttp connects to it without resolving)."""
    bare = literal(host)
    if bare is not None and not allow_private and not is_public(bare):
        raise AddressRefused(f"{bare} is not a public address")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the addresses outbound webhooks may reach."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await asyncio.wait_for(self._inner.resolve(host, port, family),
                                       RESOLVE_TIMEOUT_S)
        kept = [r for r in found if self._allow_private or is_public(r["host"])]
        if not kept:
            raise AddressRefused(f"{host} resolves to no public address")
        return kept

    async def close(self) -> None:
        await self._inner.close()
