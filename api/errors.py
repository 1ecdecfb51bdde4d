"""The one table from errors to RFC 9457 problem+json responses.

Domain errors map to a status here and nowhere else. HTTP errors raised by Flask, Werkzeug
and flask-smorest (unknown route, wrong method, oversized body, argument validation) are
turned into problem+json too, with a per-field ``errors`` list where there is one.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from api import messages as texts
from credit import errors as de
from search.backend import BackendUnavailable

log = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"

STATUS_OF: dict[type[de.DomainError], int] = {
    de.ValidationFailed: 400,
    de.Unauthenticated: 401,
    de.PermissionDenied: 403,
    de.NotFound: 404,
    de.Conflict: 409,
    de.PreconditionFailed: 412,
    de.PreconditionRequired: 428,
    de.ServiceUnavailable: 503,
}

#: Chinese titles for the HTTP errors users meet most (English titles: ``messages``).
HTTP_TITLES_ZH = {status: zh for status, (zh, _en) in texts.HTTP_TITLES.items()}


#: Set by ``api.pages``: renders an error as an HTML page for requests made by a browser
#: to a page (same status, same titles), instead of problem+json.
html_renderer: Any = None


def _wants_html() -> bool:
    if html_renderer is None or request.path.startswith(("/api/", "/oauth/")):
        return False
    if request.blueprint in {"pages", "console"}:
        return True
    accept = request.accept_mimetypes
    return (
        request.blueprint is None
        and accept.accept_html
        and accept.best_match(["application/json", "text/html"]) == "text/html"
    )


def request_lang() -> str:
    """The language of an error answer: a page's own language (``?lang=``, cookie, then
    Accept-Language); for the API and OAuth endpoints Accept-Language alone. Chinese by
    default."""
    if _wants_html() and g.get("lang") in texts.LANGS:
        return str(g.lang)
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "en" if best and best.startswith("en") else "zh"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    title_en: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    lang = request_lang()
    detail = texts.in_lang(detail, lang)
    if errors:
        errors = [{**e, "message": texts.in_lang(e["message"], lang)} for e in errors]
    if _wants_html():
        resp = html_renderer(status, title, detail, title_en, errors)
        for k, v in (headers or {}).items():
            resp.headers[k] = v
        return resp
    shown = title_en if lang == "en" and title_en else title
    body: dict[str, Any] = {"type": "about:blank", "title": shown, "status": status}
    if title_en:
        body["title_en"] = title_en
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    body["request_id"] = getattr(g, "request_id", None)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    resp.headers["Content-Language"] = "en" if lang == "en" else "zh-CN"
    resp.headers.add("Vary", "Accept-Language")
    return resp


def _flatten(messages: Any, location: str, prefix: str = "") -> list[dict[str, Any]]:
    """webargs/marshmallow messages ({"field": ["msg"]}, nested) -> a flat per-field list."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and all(isinstance(m, str) for m in value):
                out.extend({"field": path, "location": location, "message": m} for m in value)
            else:
                out.extend(_flatten(value, location, path))
    elif isinstance(messages, list):
        out.extend(
            {"field": prefix or "_", "location": location, "message": str(m)} for m in messages
        )
    return out


def status_of(exc: de.DomainError) -> int:
    return next((STATUS_OF[c] for c in type(exc).__mro__ if c in STATUS_OF), 400)


def handle_domain_error(exc: de.DomainError) -> Response:
    status = status_of(exc)
    errors = [
        {"field": e.field, "location": e.location, "message": e.message, "code": e.code}
        for e in exc.errors
    ] or None
    return problem(status, exc.title, exc.detail, title_en=exc.title_en, errors=errors)


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    errors = None
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        errors = []
        for location, msgs in messages.items():
            errors.extend(_flatten(msgs, location))
        if status == 422:
            status = 400
    # Keep what the exception says in headers (Allow on 405, Retry-After on 429 ...).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    title, title_en = texts.HTTP_TITLES.get(status, (exc.name, exc.name))
    if status == 400 and errors:
        detail = "请求参数未通过校验 / the request did not pass validation"
    elif exc.description != type(exc).description:
        detail = exc.description  # the application's own words (bilingual or Chinese)
    elif status in texts.HTTP_DETAILS:
        zh, en = texts.HTTP_DETAILS[status](request.method)
        detail = f"{zh} / {en}"
    else:
        detail = exc.description
    return problem(status, title, detail, title_en=title_en, errors=errors, headers=headers)


def handle_unavailable(exc: BackendUnavailable) -> Response:
    log.warning("search backend unavailable: %s", exc)
    return problem(
        503,
        "搜索服务暂不可用",
        "请稍后再试 / search is temporarily unavailable; try again later",
        title_en="Service Unavailable",
        headers={"Retry-After": "5"},
    )


#: The database could not be reached or did not answer in time: connection refused or
#: dropped (a restart), connect, pool or statement timeout. Pre-ping replaces the dead
#: connections on the next request, so the client is told to retry, not that it failed.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def handle_database_unavailable(exc: Exception) -> Response:
    first_line = (str(exc).splitlines() or [""])[0]
    log.warning("database unavailable: %s: %s", type(exc).__name__, first_line)
    return problem(
        503,
        "数据库暂不可用",
        "请稍后再试；写入请求可能未生效，请带同一 Idempotency-Key 重试 / the database is "
        "temporarily unavailable; try again later (repeat a write with the same "
        "Idempotency-Key: it is applied once)",
        title_en="Service Unavailable",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error")
    return problem(
        500,
        "服务器内部错误",
        "请稍后再试；如持续出现，请附上 request_id 联系我们 / "
        "please try again later; if it persists, contact us with the request_id",
        title_en="Internal Server Error",
    )


def register(app: Flask) -> None:
    app.register_error_handler(de.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(BackendUnavailable, handle_unavailable)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
