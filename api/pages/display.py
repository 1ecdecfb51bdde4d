"""The large-text, high-contrast mode (大字版) and the standard one (标准版).

MIIT's 《互联网网站适老化通用设计规范》 asks a site to offer a large-text screen of its own,
independent of the browser's zoom. Here it is one class on ``<html>`` (``large-text``) and
the rules for it in site.css. It is chosen like the language: a plain link with
``?display=large`` (or ``standard``) works without JavaScript, and the choice is remembered
in a cookie so every later page keeps it until the visitor goes back.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request

from api.pages.choices import remember, url_with

MODES = ("standard", "large")
COOKIE = "display"
#: Blueprints whose ``?display=`` is not remembered: the embeddable credit seal never sets
#: a cookie (as for the language).
NOT_REMEMBERED = frozenset({"seal"})


def select_display() -> str:
    """The mode of this request: ``?display=``, then the cookie, else standard."""
    asked = request.args.get(COOKIE, "")
    if asked in MODES:
        return asked
    kept = request.cookies.get(COOKIE, "")
    return kept if kept in MODES else "standard"


def display() -> str:
    """This page's mode: ``"standard"`` or ``"large"``."""
    return g.get("display") or "standard"


def url_display(mode: str) -> str:
    """This page in another mode (the header's switch link), keeping its query."""
    return url_with(COOKIE, mode)


def register(app: Flask) -> None:
    @app.before_request
    def _choose() -> None:
        g.display = select_display()

    @app.after_request
    def _remember(resp: Response) -> Response:
        remember(app, resp, COOKIE, MODES, kept_default="standard", not_remembered=NOT_REMEMBERED)
        return resp

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"display": display, "url_display": url_display}
