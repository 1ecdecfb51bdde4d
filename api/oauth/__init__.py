"""OAuth 2.0 authorization server (RFC 6749, 7009, 7636, 7662, 8414; RFC 9700 hardening)."""

from __future__ import annotations

from flask import Flask

from api.oauth.server import create_server


def init_oauth(app: Flask) -> None:
    from api.oauth.views import bp

    app.extensions["credit.oauth"] = create_server(app)
    app.register_blueprint(bp)
