"""What a client sends is checked here once, for every route, before any view runs.

* JSON bodies are parsed by ``CreditRequest`` under a bounded nesting depth
  (``MAX_JSON_DEPTH``): Python's parser raises ``RecursionError`` on very deep input, and
  input deep enough to parse can still exhaust the recursion of marshmallow or
  ``json.dumps`` later. Too deep, not UTF-8 or not JSON at all is a 400 naming the body.
  webargs (``api.v1.common.StrictParser``) reads the same parsed, cached value.
* HTTP Basic credentials of the OAuth endpoints must be base64 of UTF-8 (authlib's
  parser raised on anything else: a 500); otherwise ``invalid_client`` (401).
* Every text in a JSON body, the query string, the path parameters and form fields is
  refused with a per-field 400 when it holds NUL, another control character or a lone
  surrogate (``credit.text``): PostgreSQL cannot store NUL, and no such character is ever
  meant. Values other than path parameters may hold tab, CR and LF (text areas, text
  pasted into the search box); the input schemas' ``Text`` fields refuse those too where
  a value is a single line.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Flask, Request, Response, current_app, request

from credit import text
from credit.errors import FieldError, ValidationFailed

#: Deepest nesting of arrays and objects a JSON body may have (the API needs 4).
MAX_JSON_DEPTH = 32
#: At most this many per-field errors are listed for one request.
MAX_ERRORS = 20

_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class BodyError(ValueError):
    """A JSON body that parsed, or could not, and is refused; ``errors`` say where."""

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def _too_deep() -> BodyError:
    return BodyError(
        f"请求体 JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）",
        [
            FieldError(
                "body",
                f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层 / nested deeper than {MAX_JSON_DEPTH} levels",
                "too_deep",
                "body",
            )
        ],
    )


def _join(path: str, key: Any) -> str:
    key = text.printable(key)
    return f"{path}.{key}" if path else key


def inspect_json(value: Any) -> list[FieldError]:
    """Problems of a parsed JSON value: nesting deeper than ``MAX_JSON_DEPTH`` (alone,
    the walk stops there) or refused characters in strings and keys (per JSON path).
    Iterative, so it never recurses itself."""
    errors: list[FieldError] = []
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            found = text.bad_character(item, multiline=True)
            if found and len(errors) < MAX_ERRORS:
                errors.append(
                    FieldError(path or "body", text.message(found), "control_character", "body")
                )
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                found = text.bad_character(key, multiline=False)
                if found and len(errors) < MAX_ERRORS:
                    errors.append(
                        FieldError(
                            _join(path, key), text.message(found), "control_character", "body"
                        )
                    )
                stack.append((child, _join(path, key), depth + 1))
        else:
            stack.extend((child, _join(path, i), depth + 1) for i, child in enumerate(item))
    errors.sort(key=lambda e: e.field)
    return errors


def loads(data: bytes | str) -> Any:
    """Parse a request body: UTF-8 JSON (RFC 8259), bounded depth, no refused characters.
    Raises ``BodyError`` (or ``json.JSONDecodeError`` for what is not JSON at all)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyError(
                "请求体不是 UTF-8 编码",
                [
                    FieldError(
                        "body",
                        f"第 {exc.start + 1} 个字节不是有效的 UTF-8 / not UTF-8 at byte "
                        f"{exc.start + 1}",
                        "encoding",
                        "body",
                    )
                ],
            ) from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise _too_deep() from None
    errors = inspect_json(value)
    if errors:
        raise BodyError("请求体含有不允许的控制字符", errors)
    return value


class _BoundedJSON:
    """The ``json_module`` of ``CreditRequest`` (werkzeug's ``get_json`` uses ``loads``)."""

    loads = staticmethod(loads)


#: Uploads of whole files, allowed ``CREDIT_EXCHANGE_MAX_UPLOAD`` bytes instead of
#: ``CREDIT_MAX_CONTENT_LENGTH`` (POST only).
UPLOAD_PATHS = frozenset({"/api/v1/exchange/penalties"})


class CreditRequest(Request):
    """Flask's request, with JSON bodies parsed by ``loads`` and refused as problem+json."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self.method == "POST" and self.path in UPLOAD_PATHS and current_app:
            return current_app.config["CREDIT_EXCHANGE_MAX_UPLOAD"]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        Request.max_content_length.fset(self, value)  # type: ignore[attr-defined]

    @property
    def json_module(self) -> Any:  # type: ignore[override]
        return _BoundedJSON

    @json_module.setter
    def json_module(self, _: Any) -> None:
        """Flask hands each request the app's JSON provider; request bodies keep the
        bounded parser (responses and everything else keep the provider)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not a JSON content type: Flask's 415
            return super().on_json_loading_failed(e)
        if isinstance(e, BodyError):
            raise ValidationFailed(e.detail, e.errors)
        raise ValidationFailed(
            "请求体不是有效的 JSON / the body is not valid JSON",
            [FieldError("body", f"无法解析的 JSON / invalid JSON: {e}", "malformed", "body")],
        )


def has_json_body(req: Request) -> bool:
    """A JSON content type with a body that is not empty."""
    return req.is_json and bool(req.get_data(cache=True).strip())


def _texts(location: str, items: Any, multiline: bool) -> list[FieldError]:
    """Refused characters in (name, value) pairs: names are one line, values may be
    several where ``multiline``."""
    errors = []
    for name, value in items:
        found = text.bad_character(str(name)) or (
            text.bad_character(value, multiline) if isinstance(value, str) else None
        )
        if found:
            errors.append(
                FieldError(text.printable(name), text.message(found), "control_character", location)
            )
    return errors


def malformed_basic(header: str) -> bool:
    """``Authorization: Basic ...`` whose credentials are not base64 of UTF-8 text."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # non-ASCII text, bad base64 (binascii.Error), not UTF-8
        return True
    return False


def _invalid_client() -> Response:
    body = {"error": "invalid_client", "error_description": "malformed Basic credentials"}
    return Response(
        json.dumps(body),
        401,
        mimetype="application/json",
        headers={"WWW-Authenticate": 'Basic realm="credit"', "Cache-Control": "no-store"},
    )


def check_request() -> Response | None:
    """Refuse malformed client credentials, and control characters in path parameters,
    the query, form fields and the JSON body of this request (``before_request`` of
    every route)."""
    if request.path.startswith("/oauth/") and malformed_basic(
        request.headers.get("Authorization", "")
    ):
        return _invalid_client()
    errors = _texts("path", (request.view_args or {}).items(), multiline=False)
    # Query values may carry tab, CR or LF (text pasted into the search box); the schema
    # field decides whether it takes them. NUL and the other controls never pass.
    errors += _texts("query", request.args.items(multi=True), multiline=True)
    # A file upload's body is read by its view, after authentication, and its cells are
    # checked as the fields they become: never parsed here for anyone who sends one.
    upload = request.method == "POST" and request.path in UPLOAD_PATHS
    if request.mimetype in _FORM_TYPES and not upload:
        errors += _texts("form", request.form.items(multi=True), multiline=True)
    if errors:
        raise ValidationFailed(
            "请求含有不允许的控制字符 / the request holds control characters", errors[:MAX_ERRORS]
        )
    if not upload and has_json_body(request):
        request.get_json()  # parsed once, checked, cached for the view
    return None


def register(app: Flask) -> None:
    app.request_class = CreditRequest
    app.before_request(check_request)
