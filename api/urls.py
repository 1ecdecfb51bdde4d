"""Absolute URLs the platform prints, from configuration only (H8).

The request's ``Host`` (and ``X-Forwarded-Host``) is chosen by whoever sends the request:
an issuer, a report's verification link or its QR code built from it would point wherever
an attacker likes (a poisoned cache, a printed report whose QR code leads elsewhere). So
every absolute URL starts with a configured base: ``CREDIT_PUBLIC_URL``, or the more
specific ``CREDIT_ISSUER`` / ``CREDIT_CONSOLE_URL`` where those are set.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url() -> str:
    """The site's public base URL, without a trailing slash."""
    return current_app.config["CREDIT_PUBLIC_URL"].rstrip("/")


def issuer() -> str:
    """The OAuth issuer (RFC 8414): ``CREDIT_ISSUER``, else the public URL."""
    return (current_app.config["CREDIT_ISSUER"] or public_url()).rstrip("/")


def console_base() -> str:
    """Where the consoles are served: ``CREDIT_CONSOLE_URL``, else the public URL."""
    return (current_app.config["CREDIT_CONSOLE_URL"] or public_url()).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint)`` made absolute on the public URL (never on ``Host``)."""
    return public_url() + url_for(endpoint, **values)


def hostname(base: str) -> str:
    """The host name of a base URL, lower case, without the port ("" if unreadable)."""
    try:
        return (urlsplit(base).hostname or "").lower()
    except ValueError:  # e.g. an unbalanced "[" in a Host header
        return ""
