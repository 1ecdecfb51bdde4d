"""Where a webhook may go: public http(s) addresses only (SECURITY H10).

A subscriber names a URL; the platform then makes requests to it from inside its network.
So a URL is refused unless it is http or https, carries no credentials, and its host
resolves only to public addresses (``ipaddress``'s ``is_global``: no private, loopback,
link-local, shared, reserved or multicast address, IPv4-mapped IPv6 included). The check
is made at registration and again at every delivery, where the sender connects only to an
address it has just checked and checks the address the socket is connected to
(``credit.webhooks.sender``): a name whose address changed to a private one is refused then.
The only exception is the operator's allow-list (``CREDIT_WEBHOOK_ALLOW_HOSTS``): hosts
named there (exactly as written in the URL) are trusted, e.g. a receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 500

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """Why a URL may not be called: ``code`` for machines, the text in zh and en."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to, and what to tell the server."""

    scheme: str
    host: str  # as in the URL, lower case, without brackets (the Host header and SNI)
    port: int
    path: str  # path and query, never empty
    allow_listed: bool

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def parse_allow_hosts(value: str | Iterable[str]) -> frozenset[str]:
    """The allow-list setting: host names or addresses separated by commas or spaces."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return frozenset(h.strip().strip("[]").lower() for h in items if h.strip())


def parse_url(url: str, allow_hosts: frozenset[str]) -> Target:
    """Check the form of a webhook URL (nothing is resolved here)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise AddressRefused("invalid_url", f"URL 长度应为 1 至 {MAX_URL} / 1 to {MAX_URL} chars")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise AddressRefused("invalid_url", "URL 含空白或控制字符 / whitespace in the URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("invalid_url", "URL 无法解析 / not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise AddressRefused("scheme_not_allowed", "只接受 http 或 https / http(s) only")
    if "@" in parts.netloc:
        raise AddressRefused(
            "credentials_not_allowed", "URL 不得包含用户名或密码 / no credentials in the URL"
        )
    if parts.fragment:
        raise AddressRefused("invalid_url", "URL 不得包含片段 (#) / no fragment")
    host = (parts.hostname or "").lower()
    if not host:
        raise AddressRefused("invalid_url", "URL 缺少主机名 / no host")
    try:
        host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefused("invalid_url", "主机名无效 / invalid host name") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(
        scheme, host, port or (443 if scheme == "https" else 80), path, host in allow_hosts
    )


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 address as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses (an address literal is itself). Tests replace this function to
    play a name whose address changes; everything else calls it through this module."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(
            host.encode("idna").decode("ascii"), port, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        raise AddressRefused(
            "unresolvable_host", "主机名无法解析 / the host name does not resolve"
        ) from None
    out: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in out:
            out.append(address)
    return out


def check_address(target: Target, address: IPAddress) -> None:
    """Refuse ``address`` for ``target`` unless it is public or the host allow-listed."""
    if not target.allow_listed and not is_public(address):
        raise AddressRefused(
            "address_not_allowed",
            f"主机 {target.host} 指向非公网地址 {address}，不予推送 / {target.host} resolves "
            f"to a non-public address ({address}); refused",
        )


def checked_addresses(target: Target) -> list[IPAddress]:
    """Resolve ``target`` and check every address: one that is not public refuses the
    whole host (unless allow-listed), so a name cannot mix a public and a private one."""
    addresses = resolve(target.host, target.port)
    if not addresses:
        raise AddressRefused("unresolvable_host", "主机名无法解析 / the host does not resolve")
    for address in addresses:
        check_address(target, address)
    return addresses


def check_url(url: str, allow_hosts: frozenset[str]) -> Target:
    """The full check made at registration: form, then every resolved address."""
    target = parse_url(url, allow_hosts)
    checked_addresses(target)
    return target
