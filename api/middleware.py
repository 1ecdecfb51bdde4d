"""Per-request plumbing: request ids, JSON-only bodies, the access log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import UnsupportedMediaType

from api.inputs import UPLOAD_PATHS

log = logging.getLogger("credit.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def register(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.pop("identity", None)  # set again only by a valid token (api/auth.py)
        g.started = time.perf_counter()
        if (
            request.method in {"POST", "PUT", "PATCH"}
            and request.path.startswith("/api/")
            and (request.content_length or request.headers.get("Transfer-Encoding"))
            and not request.is_json
            and request.path not in UPLOAD_PATHS  # files: the view says which types
        ):
            raise UnsupportedMediaType("请求体必须是 JSON（Content-Type: application/json）")

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        # No page of ours may be framed (the sign-in and consent pages above all).
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if app.config["CREDIT_SERVER_TIMING"]:
            # Time spent in the application (benchmarks read it; so can browsers' dev
            # tools). Off in production: a fast answer tells anyone that someone else
            # just made the same search (a cache of the search engine answered it).
            resp.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        # Path and user agent are the client's: the log record factory escapes them.
        log.info(
            '%s %s %s %.1fms ua="%s"',
            request.method,
            request.path,
            resp.status_code,
            elapsed,
            (request.user_agent.string or "-")[:200],
        )
        return resp
