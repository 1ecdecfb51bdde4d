"""A visitor's page choice made with a query parameter and remembered in a cookie.

The language (``?lang=``) and the display mode (``?display=``, 大字版) are chosen the same
way: a plain link, so it works without JavaScript, and the choice kept for a year in an
HttpOnly cookie of the same name. Blueprints in ``not_remembered`` (the embeddable credit
seal) answer in the asked choice but never set a cookie.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, Response, request, url_for

_YEAR = 365 * 24 * 3600


def url_with(name: str, value: str) -> str:
    """This page with ``?name=value``, keeping the rest of its query (the switch links)."""
    args = request.args.to_dict(flat=False)
    args[name] = [value]
    return url_for(request.endpoint or "pages.home", **(request.view_args or {}), **args)


def remember(
    app: Flask,
    resp: Response,
    name: str,
    values: Collection[str],
    *,
    kept_default: str | None,
    not_remembered: Collection[str],
) -> None:
    """Set the cookie ``name`` when the request asked a value of it that is not kept yet
    (a missing cookie counts as ``kept_default``)."""
    asked = request.args.get(name, "")
    if (
        asked in values
        and request.cookies.get(name, kept_default) != asked
        and request.blueprint not in not_remembered
    ):
        resp.set_cookie(
            name,
            asked,
            max_age=_YEAR,
            samesite="Lax",
            httponly=True,
            secure=app.config.get("SESSION_COOKIE_SECURE", False),
        )
