"""Liveness and readiness."""

from __future__ import annotations


def test_healthz(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_when_everything_is_up(client, search_kind: str) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["checks"]["database"] == "ok" and body["checks"]["search"] == "ok"
    assert body["checks"]["search_backend"] == search_kind
    if search_kind == "elasticsearch":  # the cluster's health, for monitoring
        cluster = body["checks"]["search_cluster"]
        assert cluster["status"] in {"green", "yellow"} and cluster["nodes"] >= 1
    else:
        assert "search_cluster" not in body["checks"]


def test_readyz_is_degraded_when_search_is_unreachable(app_config: dict) -> None:
    from tests.conftest import make_app

    # A real client pointed at a port where nothing listens: a real connection failure.
    broken = make_app({**app_config, "SEARCH_URL": "http://127.0.0.1:9"})
    client = broken.test_client()
    r = client.get("/readyz")
    assert r.status_code == 200  # still serving everything but search
    assert r.get_json()["status"] == "degraded"
    assert r.get_json()["checks"]["search"] == "unreachable"
    s = client.get("/api/v1/search", query_string={"q": "苏州"})
    assert s.status_code == 503 and s.content_type == "application/problem+json"
    assert "Retry-After" in s.headers


def test_home_page_and_docs(client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "江苏省电子商务信用公共服务平台" in r.get_data(as_text=True)
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and "swagger-ui" in r.get_data(as_text=True)
    assert client.get("/api/v1/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/enterprises/{uscc}" in spec["paths"]
    assert "/api/v1/search" in spec["paths"]


def test_readyz_reports_how_far_the_log_checkpoint_is_behind(app_ctx, client) -> None:
    from credit.extensions import db
    from credit.translog import service
    from tests.parties import make_parties, make_violation

    make_violation(make_parties())
    log = client.get("/readyz").get_json()["checks"]["transparency_log"]
    assert log["size"] > 0 and log["checkpoint_size"] is None
    assert log["unsigned_entries"] == log["size"]
    service.sign_checkpoint(db.session, app_ctx.extensions["credit.log_signers"])
    db.session.commit()
    log = client.get("/readyz").get_json()["checks"]["transparency_log"]
    assert log["checkpoint_size"] == log["size"] and log["unsigned_entries"] == 0
    assert 0 <= log["checkpoint_age_seconds"] < 60
