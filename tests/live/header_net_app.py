"""The real app plus one test-only route that sets non-ASCII header values, to prove the
safety net of ``api/headers.py`` over gunicorn (``tests/live/test_oauth_challenges.py``)."""

from __future__ import annotations

from flask import Response, redirect

from wsgi import app


@app.get("/_test/non-ascii-headers")
def non_ascii_headers() -> Response:
    resp = Response("正文 body", mimetype="text/plain")
    resp.headers["X-Note"] = "苏州"
    resp.headers["Content-Disposition"] = 'attachment; filename="信用报告.pdf"'
    resp.headers["X-Fine"] = "ascii"
    return resp


@app.get("/_test/non-ascii-location")
def non_ascii_location() -> Response:
    return redirect("/search?q=苏州")
