"""The ``Idempotency-Key`` header on POST routes (see ``credit.idempotency``).

Same key and same request: the first response is replayed (``Idempotent-Replayed: true``).
Same key, different request: 422. Same key while the first is still running: 409.
Keys are scoped per OAuth client (one client cannot see another's responses).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request

from api.auth import current_identity
from api.errors import problem
from credit import idempotency

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a POST view (inside ``require_scope``, so the caller is known)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _VALID.match(key):
            return problem(
                400,
                "Idempotency-Key 无效",
                "1-255 个可见 ASCII 字符",
                title_en="Bad Request",
                errors=[
                    {
                        "field": HEADER,
                        "location": "header",
                        "message": "应为 1-255 个可见 ASCII 字符 / 1-255 visible ASCII characters",
                        "code": "invalid",
                    }
                ],
            )
        scope = current_identity().subject
        fingerprint = idempotency.request_fingerprint(
            request.method, request.path, request.get_data()
        )
        claim = idempotency.claim(scope, key, fingerprint)
        if claim.outcome == "replay":
            rec = claim.record
            resp = Response(
                rec.response_body, status=rec.status_code, headers=rec.response_headers or {}
            )
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        if claim.outcome == "mismatch":
            return problem(
                422,
                "同一 Idempotency-Key 用于了不同的请求",
                "请为不同的请求使用不同的键",
                title_en="Unprocessable Content",
            )
        if claim.outcome == "in_flight":
            return problem(
                409,
                "相同 Idempotency-Key 的请求正在处理",
                "请稍后重试",
                title_en="Conflict",
                headers={"Retry-After": "1"},
            )
        if claim.outcome == "unknown_result":
            return problem(
                409,
                "该请求已执行，但其响应未能保存",
                "请查询资源的当前状态，不要重复提交",
                title_en="Conflict",
            )
        idempotency.attach(scope, key)
        try:
            resp = make_response(view(*args, **kwargs))
        except Exception:
            idempotency.detach()
            idempotency.release(scope, key)
            raise
        idempotency.detach()
        if 200 <= resp.status_code < 300:
            headers = {
                k: v for k, v in resp.headers.items() if k in {"Content-Type", "Location", "ETag"}
            }
            idempotency.complete(scope, key, resp.status_code, resp.get_data(as_text=True), headers)
        else:
            idempotency.release(scope, key)
        return resp

    return wrapper
