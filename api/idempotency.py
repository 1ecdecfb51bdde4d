"""The ``Idempotency-Key`` header on POST routes (see ``credit.idempotency``).

Same key and same request: the first response is replayed (``Idempotent-Replayed: true``).
Same key, different request: 422. Same key while the first is still running: 409.
Same key after the first was applied but its response was never stored (the process died
in between): 409 with the ``Location`` of the resource it created or changed, so the client
fetches the result instead of guessing. Keys are scoped per OAuth client (one client
cannot see another's responses).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request, url_for

from api.auth import current_identity
from api.errors import problem
from credit import idempotency

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")

#: Where a resource type lives in the API: (endpoint, its id argument). The domain stores
#: type and id only; types without a route of their own (serious-list entries,
#: commendations) are named without a location.
LOCATIONS = {
    "pledge": ("pledges.get_pledge", "pledge_id"),
    "pledge_template": ("pledges.get_template", "template_id"),
    "violation": ("violations.get_violation", "violation_id"),
    "objection": ("workflow.get_objection", "objection_id"),
    "repair": ("workflow.get_repair", "application_id"),
}


def location_of(resource_type: str | None, resource_id: str | None) -> str | None:
    """The API path of a stored resource, or None."""
    if resource_type not in LOCATIONS or not resource_id:
        return None
    endpoint, argument = LOCATIONS[resource_type]
    return url_for(endpoint, **{argument: resource_id})


def _already_applied(record: idempotency.IdempotencyRecord, locate: bool) -> Response:
    """The key's request was applied but its response is lost: say what it did."""
    location = location_of(record.resource_type, record.resource_id) if locate else None
    extra: dict = {}
    headers = {}
    if locate and record.resource_type and record.resource_id:
        extra["resource"] = {"type": record.resource_type, "id": record.resource_id}
    if location:
        extra["location"] = location
        headers["Location"] = location
    detail = (
        "该请求已经执行，其结果见 location，请读取该资源，不要重复提交 / the request was "
        "already carried out; fetch the resource at location instead of sending it again"
        if location
        else "该请求已经执行，请查询资源的当前状态，不要重复提交 / the request was already "
        "carried out; check the current state instead of sending it again"
    )
    return problem(
        409,
        "该请求已执行，但其响应未能保存",
        detail,
        title_en="Conflict",
        headers=headers,
        extra=extra,
    )


def idempotent(
    view: Callable[..., Any] | None = None, *, locate: bool = True
) -> Callable[..., Any]:
    """Wrap a POST view (inside ``require_scope``, so the caller is known).

    ``locate=False``: a view that is about many resources (a platform's batch), whose
    stored resource (the first one) must not be offered as *the* result."""
    if view is None:
        return functools.partial(idempotent, locate=locate)

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
            return _already_applied(claim.record, locate)
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
            try:
                idempotency.complete(
                    scope, key, resp.status_code, resp.get_data(as_text=True), headers
                )
            except Exception:
                # The change is committed: the client still gets its answer. A retry with
                # the key is told where the result is (the resource stored in the commit).
                log.exception("idempotency: the response could not be stored")
        else:
            idempotency.release(scope, key)
        return resp

    return wrapper
