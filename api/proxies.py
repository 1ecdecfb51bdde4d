"""The client's address and scheme behind trusted reverse proxies.

With ``CREDIT_TRUSTED_PROXIES = N > 0`` the app is wrapped in Werkzeug's ``ProxyFix``: the
client address is the N-th entry from the right of ``X-Forwarded-For`` (the one the
outermost trusted proxy saw connect; entries further left were sent by the client and
are ignored), and the scheme comes from ``X-Forwarded-Proto`` likewise. ``Host`` is never
taken from ``X-Forwarded-Host``. With 0 (the default) nothing is trusted: the connecting
address is the client, and a forged ``X-Forwarded-For`` changes nothing.

Gunicorn trusts no forwarded header itself (``deploy/gunicorn.conf.py``), so this is the
one place that decides. Rate-limit keys (``api.limits``) and the audit log read the
result as ``request.remote_addr``.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = app.config["CREDIT_TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )
