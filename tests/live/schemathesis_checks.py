"""Checks that ``schemathesis run`` loads (``SCHEMATHESIS_HOOKS=tests.live.schemathesis_checks``)
when it fuzzes the live server: every error answer is RFC 9457 problem+json, and no header
value is anything but ASCII."""

from __future__ import annotations

import schemathesis


@schemathesis.check
def problem_json_errors(ctx, response, case) -> None:
    """A 4xx or 5xx answer is ``application/problem+json`` with its status in the body."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{response.status_code} answered as {content_type!r}")
    body = response.json()
    if body.get("status") != response.status_code:
        raise AssertionError(f"problem status {body.get('status')} != {response.status_code}")


@schemathesis.check
def ascii_headers(ctx, response, case) -> None:
    """RFC 9110 §5.5: field values are ASCII (gunicorn refuses anything else)."""
    for name, values in response.headers.items():
        for value in values:
            if not value.isascii():
                raise AssertionError(f"non-ASCII value in header {name}: {value!r}")
