"""Rate limits: what is limited, keyed on what, and where the counters live.

``RULES`` is the one table of limits (endpoint -> rules). Each rule reads its limit from a
``CREDIT_RATELIMIT_*`` setting and counts per key:

* ``/oauth/token`` and ``/oauth/revoke`` share a count per (client address, client id): an
  address guessing client A's secret is stopped at 30 a minute, while client A's own
  system, from its own address, is untouched. A looser count per address alone stops one
  address from escaping by naming a new client id each time.
* ``/login`` (POST) counts per (address, username) and, looser, per address.
* report pages count per address;
* credit seal images (``/seal/{uscc}.svg``) count per address, generously: every shopper
  who sees a seal asks from their own address.

The client address is ``request.remote_addr``: the connecting address, or the one the
configured number of trusted proxies put in ``X-Forwarded-For`` (``api.proxies``).

Counters live in ``CREDIT_RATELIMIT_STORAGE_URL``: Redis, shared by every worker process
and server (keys under ``CREDIT_RATELIMIT_KEY_PREFIX``), or ``memory://`` where each
worker process counts alone (development only; production refuses it). The strategy is a
moving window: "30 per minute" means at most 30 in any 60 seconds.

If Redis cannot be reached while answering a request, the limits fail *soft*: the same
limits are counted in the worker's own memory (per worker, as without Redis), a warning
is logged ("Rate limit storage unreachable - falling back to in-memory storage"), and the
shared counters are used again once Redis answers a ping (checked after 1, 2, 4 ... 32
seconds). Failing closed would stop every token and sign-in with Redis; failing fully open
would drop the limits exactly when someone may be provoking the outage.

Each app gets its own ``Limiter`` (tests build several apps in one process, each with its
own storage), and the table is applied to the app's view functions when it is built.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse as parse_limit
from werkzeug.exceptions import HTTPException

from api.messages import rate_limit_text

#: Longest client id or username that goes into a key (longer ones are cut there).
MAX_KEY_PART = 64
#: Longest HTTP Basic credential decoded for its client id (a real one is far shorter).
MAX_BASIC_CREDENTIAL = 1024
#: Redis connect and read timeout: with one retry, an unreachable Redis costs a request
#: at most about two seconds (then the in-memory fallback answers at once).
REDIS_TIMEOUT_SECONDS = 1.0


def client_address() -> str:
    """The client's address (the trusted proxies' view of it when there are any)."""
    return request.remote_addr or "unknown"


def _key_part(value: str) -> str:
    """A bounded, key-safe copy of client-supplied text (no separators, ASCII only)."""
    return quote(value[:MAX_KEY_PART], safe="") or "-"


def _form_value(name: str) -> str:
    # Reading the form must never raise here (an oversized body is the view's 413 to
    # give): Flask-Limiter takes any error of a key function for a storage outage.
    try:
        return request.form.get(name, "")
    except HTTPException:
        return ""


def request_client_id() -> str:
    """The client id a token or revocation request names, decoded the way authlib decodes
    it: the user part of HTTP Basic, else the form's ``client_id``. The secret after the
    colon is never looked at."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() == "basic" and 0 < len(credential) <= MAX_BASIC_CREDENTIAL:
        try:
            decoded = base64.b64decode(credential).decode("utf-8")
        except (binascii.Error, ValueError):
            decoded = ""
        if decoded:
            return unquote(decoded.partition(":")[0])
    return _form_value("client_id")


def client_key() -> str:
    """Token and revocation requests: one count per (address, client id)."""
    return f"{client_address()}|{_key_part(request_client_id())}"


def username_key() -> str:
    """Sign-in attempts: one count per (address, username)."""
    return f"{client_address()}|{_key_part(_form_value('username'))}"


@dataclass(frozen=True)
class Rule:
    """One limit of an endpoint: the setting holding it, the key it counts per, the
    bucket (``scope``: endpoints naming the same one share their count) and the methods
    it applies to (all when None)."""

    setting: str
    key: Callable[[], str]
    scope: str
    per: str
    methods: tuple[str, ...] | None = None


_TOKEN = Rule("CREDIT_RATELIMIT_TOKEN", client_key, "oauth-client", "client id and address")
_TOKEN_ADDRESS = Rule("CREDIT_RATELIMIT_TOKEN_ADDRESS", client_address, "oauth-addr", "address")
_POST = ("POST",)
_LOGIN = Rule("CREDIT_RATELIMIT_LOGIN", username_key, "login-user", "username and address", _POST)
_LOGIN_ADDR = Rule("CREDIT_RATELIMIT_LOGIN_ADDRESS", client_address, "login-addr", "address", _POST)

RULES: dict[str, tuple[Rule, ...]] = {
    "oauth.token": (_TOKEN, _TOKEN_ADDRESS),
    "oauth.revoke": (_TOKEN, _TOKEN_ADDRESS),
    "oauth.login": (_LOGIN, _LOGIN_ADDR),
    "pages.report": (Rule("CREDIT_RATELIMIT_REPORT", client_address, "report", "address"),),
    # Shown on shop pages: each shopper's browser asks from its own address, so only one
    # address asking far more often than any shopper would (a scraper) is stopped.
    "seal.svg": (Rule("CREDIT_RATELIMIT_SEAL", client_address, "seal", "address"),),
}


def _limit_of(rule: Rule) -> Callable[[], str]:
    # Read per request, so a test (or an operator's reload) can change it.
    return lambda: current_app.config[rule.setting]


def _message_of(rule: Rule) -> Callable[[], str]:
    """The 429's detail in words, both languages ("每分钟最多 20 次请求，请 N 秒后重试"), never
    the limit's notation ("20 per 1 minute"). Called while the breach is raised, when the
    limiter already knows when the window frees a request (what Retry-After will say)."""

    def message() -> str:
        item = parse_limit(current_app.config[rule.setting])
        current = limiter_of().current_limit
        wait = int(current.reset_at - time.time()) if current is not None else 0
        return rate_limit_text(
            item.amount, item.multiples, item.GRANULARITY.name, max(wait, 1), rule.per
        )

    return message


def storage_options(url: str, key_prefix: str) -> dict[str, Any]:
    """Options of the ``limits`` storage for ``url``: Redis gets this deployment's key
    prefix and short timeouts with one retry (a stale pooled connection), not redis-py's
    default of three retries with back-off, which would hold a request for seconds."""
    if url.startswith("memory:"):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "key_prefix": f"{key_prefix}-ratelimit",
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 1),
    }


def init_app(app: Flask) -> Limiter:
    """Give ``app`` its own limiter and apply ``RULES`` to its views (call after every
    blueprint is registered: a renamed endpoint stops start-up here, never goes unlimited)."""
    url = app.config["CREDIT_RATELIMIT_STORAGE_URL"]
    limiter = Limiter(
        key_func=client_address,
        default_limits=[],
        headers_enabled=True,
        strategy="moving-window",
        storage_uri=url,
        storage_options=storage_options(url, app.config["CREDIT_RATELIMIT_KEY_PREFIX"]),
        in_memory_fallback_enabled=not url.startswith("memory:"),
        swallow_errors=False,
    )
    limiter.init_app(app)
    for endpoint, rules in RULES.items():
        if endpoint not in app.view_functions:
            raise RuntimeError(f"rate limit for unknown endpoint {endpoint!r} (api/limits.py)")
        view = app.view_functions[endpoint]
        for rule in rules:
            view = limiter.shared_limit(
                _limit_of(rule),
                scope=rule.scope,
                key_func=rule.key,
                methods=list(rule.methods) if rule.methods else None,
                error_message=_message_of(rule),
            )(view)
        app.view_functions[endpoint] = view
    app.extensions["credit.limiter"] = limiter
    return limiter


def limiter_of(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions["credit.limiter"]


def reset(app: Flask) -> None:
    """Clear this app's counters (with Redis: only the keys under its prefix)."""
    limiter_of(app).reset()
