"""Links a firm publishes on its profile (its shops): http(s) URLs to a real domain name.

A shop link is printed on a public page and followed by consumers, so it must lead where
it says: only ``http``/``https`` (never ``javascript:`` or ``data:``), no user name or
password before the host (``https://tmall.com@evil.example`` goes to evil.example), no IP
address, no ``localhost`` or other names that only mean something on one network, and a
host that is a domain name (letters, digits and hyphens in dot-separated labels, an
alphabetic top-level label). Internationalised names are accepted and stored in their
ASCII (punycode) form, which is also what the profile shows beside the Unicode one, so a
look-alike name cannot pass for another. One function answers "is this a publishable shop
URL?"; the API, the console and imports all call it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna

MAX_URL = 500
MAX_HOST = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
#: Names that resolve only on one machine or network (RFC 6761, RFC 6762, RFC 8375 ...).
_LOCAL_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home.arpa",
    "arpa",
    "test",
    "invalid",
    "example",
    "onion",
)


class LinkError(ValueError):
    """Why a URL cannot be published: ``code`` for machines, ``str()`` in zh and en."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ShopLink:
    """A checked link: the URL as stored, its host (ASCII) and the host as people read it."""

    url: str
    host: str
    host_unicode: str


def display_host(host: str) -> str:
    """The Unicode form of an ASCII host (``xn--fiqs8s.cn`` -> ``中国.cn``), else itself."""
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host


def _ascii_host(host: str) -> str:
    if any(ord(c) > 127 for c in host):
        try:
            return idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise LinkError(
                "not_domain",
                "网址的域名不是有效的国际化域名 / the host is not a valid internationalised "
                f"domain name ({exc})",
            ) from None
    return host.lower()


def check_shop_url(value: str) -> ShopLink:
    """A URL a firm may publish as its shop's address, normalised; else ``LinkError``."""
    text = value.strip()
    if not text:
        raise LinkError("required", "请填写网址 / enter the address")
    if len(text) > MAX_URL:
        raise LinkError("too_long", f"网址最长 {MAX_URL} 个字符 / at most {MAX_URL} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise LinkError(
            "control_character",
            "网址不能包含空格或控制字符 / no spaces or control characters in an address",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise LinkError("malformed", "网址格式不正确 / not a valid address") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise LinkError(
            "scheme",
            "网址只能以 http:// 或 https:// 开头 / only http:// and https:// addresses",
        )
    netloc = parts.netloc
    if "@" in netloc:
        raise LinkError(
            "userinfo",
            "网址中不能含用户名或密码（@ 之前的部分）/ no user name or password before the "
            "host (the part before @)",
        )
    host = parts.hostname or ""
    if not host:
        raise LinkError("not_domain", "网址缺少域名 / the address has no host")
    if netloc.startswith("[") or _is_ip(host):
        raise LinkError(
            "ip_literal",
            "网址须使用域名，不能是 IP 地址 / use the domain name, not an IP address",
        )
    if port is not None and port not in (80, 443):
        raise LinkError(
            "port", "网址不能指定端口 / no port in a shop address (only the default ones)"
        )
    host = _ascii_host(host.rstrip("."))
    labels = host.split(".")
    if (
        host in _LOCAL_SUFFIXES
        or labels[-1] in _LOCAL_SUFFIXES
        or (".".join(labels[-2:]) in _LOCAL_SUFFIXES)
    ):
        raise LinkError(
            "local_host",
            "网址须是公网域名，不能是 localhost 或内网名称 / the host must be a public domain "
            "name, not localhost or a local network name",
        )
    if (
        len(host) > MAX_HOST
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TLD.match(labels[-1])
    ):
        raise LinkError(
            "not_domain",
            "网址的域名不正确（应如 shop.example.com）/ the host is not a domain name "
            "(like shop.example.com)",
        )
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    if len(url) > MAX_URL:
        raise LinkError("too_long", f"网址最长 {MAX_URL} 个字符 / at most {MAX_URL} characters")
    return ShopLink(url=url, host=host, host_unicode=display_host(host))


def _is_ip(host: str) -> bool:
    """An IP literal in any spelling a browser accepts (``127.1``, ``0x7f.0.0.1``,
    ``2130706433``): a host whose last label is numeric is never a domain name."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    last = host.rstrip(".").split(".")[-1].lower()
    return bool(re.fullmatch(r"(?:0x[0-9a-f]*|[0-9]+)", last))
