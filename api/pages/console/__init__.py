"""The consoles: enterprise staff file and manage pledges, follow their rating and
records; regulator staff record violations, decide objections and repairs, commend.

Signed in through the platform's own OAuth 2.0 authorization-code flow with PKCE
(``api.pages.console.auth``); every action calls a service with the signed-in Identity.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.context_processor
def _field_names() -> dict:
    from api.pages.console.forms import FIELD_NAMES

    return {"FIELD_NAMES": FIELD_NAMES}


from api.pages.console import firm, regulator, signin  # noqa: E402, F401
