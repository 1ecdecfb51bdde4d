"""Public pages and the consoles: server-rendered HTML on the same services as the API.

Handlers here are as thin as the REST ones: they read the query or form, call a service
function with the caller's Identity, and render a template. Templates hold no logic beyond
loops and conditionals over what the service returned.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template

from api import errors
from api.pages import display, i18n, moments, security

#: The main navigation: (endpoint, Chinese, English); entries whose view is not registered
#: are left out.
NAV = [
    ("pages.search", "信用查询", "Search"),
    ("pages.key_enterprises", "重点企业", "Key enterprises"),
    ("pages.organisations", "行业组织", "Organisations"),
    ("pages.stats", "统计", "Statistics"),
    ("pages.uscc_check", "代码校验", "USCC check"),
    ("console.home", "企业与监管登录", "Sign in"),
]


def nav_links() -> list[tuple[str, str, str]]:
    return [n for n in NAV if n[0] in current_app.view_functions]


def render_error(
    status: int,
    title: str,
    detail: str | None,
    title_en: str | None,
    field_errors: list[dict[str, Any]] | None,
) -> Response:
    """An error as a page in the visitor's language (``api.errors`` calls this)."""
    shown = i18n.t(title, title_en or title)
    body = render_template(
        "error.html", title=shown, detail=detail or "", status=status, errors=field_errors or []
    )
    return Response(body, status=status, mimetype="text/html")


def register(app: Flask) -> None:
    from api.pages import (
        about,  # noqa: F401  (adds /about and the footer's site identity to public_bp)
        feeds,
        key_enterprises,  # noqa: F401  (adds /key-enterprises to public_bp)
        open_data,  # noqa: F401  (adds /data to public_bp)
        organisations,  # noqa: F401  (adds /organisations to public_bp)
        records,  # noqa: F401  (adds /violations/<id> and /about/rating to public_bp)
        seal,
        transparency,  # noqa: F401  (adds /transparency to public_bp)
    )
    from api.pages.console import bp as console_bp
    from api.pages.public import bp as public_bp

    i18n.register(app)
    display.register(app)
    moments.register(app)
    security.register(app)
    app.jinja_env.globals["nav_links"] = nav_links
    app.register_blueprint(public_bp)
    app.register_blueprint(console_bp)
    seal.register(app)
    feeds.register(app)
    errors.html_renderer = render_error
