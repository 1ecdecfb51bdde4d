"""The consoles: enterprise staff file and manage pledges, follow their rating and
records; regulator staff record violations, decide objections and repairs, commend.

Signed in through the platform's own OAuth 2.0 authorization-code flow with PKCE
(``api.pages.console.auth``); every action calls a service with the signed-in Identity.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request

from api import urls

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.before_request
def _on_the_console_host():
    """Reached under another host name than the configured one (``localhost`` for
    ``127.0.0.1`` under ``make run``)? Go to the configured base first: the sign-in
    cookie is per host, and the OAuth redirect URI names the configured host, so a
    sign-in begun elsewhere could never finish. The target comes from configuration
    only. Behind a proxy that does not pass the browser's host (no ``Host`` as the
    browser sent it, no ``X-Forwarded-Host``), nothing is redirected."""
    if request.method not in {"GET", "HEAD"}:
        return None
    seen = _browser_host()
    if seen is None or seen == urls.hostname(urls.console_base()):
        return None
    return redirect(urls.console_base() + request.full_path.rstrip("?"))


def _browser_host() -> str | None:
    forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    if forwarded:
        return urls.hostname(f"http://{forwarded}")
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return None
    return urls.hostname(f"http://{request.host}")


@bp.context_processor
def _field_names() -> dict:
    from api.pages.console.forms import FIELD_NAMES

    return {"FIELD_NAMES": FIELD_NAMES}


from api.pages.console import (  # noqa: E402, F401
    firm,
    firm_organisations,
    firm_shops,
    keyfirms,
    organisation,
    referrals,
    regulator,
    regulator_overview,
    regulator_preview,
    signin,
)
