"""Every error is RFC 9457 problem+json, with a request id the log line carries too."""

from __future__ import annotations

import logging

import pytest


def _is_problem(r, status: int) -> dict:
    assert r.status_code == status
    assert r.content_type == "application/problem+json"
    body = r.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert body["request_id"] == r.headers["X-Request-ID"]
    return body


def test_unknown_route(client) -> None:
    _is_problem(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_method(client) -> None:
    r = client.delete("/api/v1/vocabularies")
    _is_problem(r, 405)
    assert "GET" in r.headers["Allow"]


def test_non_json_body(client) -> None:
    r = client.post(
        "/api/v1/uscc/batch-check", data="codes=1", content_type="application/x-www-form-urlencoded"
    )
    _is_problem(r, 415)


def test_malformed_json_body(client) -> None:
    r = client.post("/api/v1/uscc/batch-check", data="{not json", content_type="application/json")
    _is_problem(r, 400)


def test_oversized_body(client, clean_app) -> None:
    big = '{"codes": ["' + "9" * (clean_app.config["MAX_CONTENT_LENGTH"] + 10) + '"]}'
    r = client.post("/api/v1/uscc/batch-check", data=big, content_type="application/json")
    _is_problem(r, 413)


def test_unknown_body_field_is_listed(client) -> None:
    r = client.post("/api/v1/uscc/batch-check", json={"codes": ["1"], "enterprise_id": "x"})
    body = _is_problem(r, 400)
    assert {"field": "enterprise_id", "location": "json", "message": "不接受此字段"} in body[
        "errors"
    ]
    english = client.post(
        "/api/v1/uscc/batch-check",
        json={"codes": ["1"], "enterprise_id": "x"},
        headers={"Accept-Language": "en"},
    )
    assert {"field": "enterprise_id", "location": "json", "message": "Unknown field."} in (
        _is_problem(english, 400)["errors"]
    )


def test_missing_field_is_listed(client) -> None:
    body = _is_problem(client.post("/api/v1/uscc/batch-check", json={}), 400)
    assert body["errors"][0]["field"] == "codes"


def test_request_id_is_echoed_and_logged(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="credit.access")
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    assert any(getattr(rec, "request_id", None) == "abc-123" for rec in caplog.records)
    # Unsafe incoming ids are replaced, not echoed (log injection).
    r = client.get("/healthz", headers={"X-Request-ID": "x <script>Injected</script>"})
    assert "Injected" not in r.headers["X-Request-ID"]
    assert len(r.headers["X-Request-ID"]) == 32


def test_server_error_is_problem_without_internals(app_config: dict) -> None:
    from tests.conftest import make_app

    other = make_app(app_config)

    @other.get("/__boom")
    def boom():
        raise RuntimeError("secret internal detail")

    r = other.test_client().get("/__boom")
    body = _is_problem(r, 500)
    assert "secret" not in r.get_data(as_text=True)
    assert body["detail"]
