"""The real server answers as deployed: gunicorn with deploy/gunicorn.conf.py."""

from __future__ import annotations


def test_server_serves_health_and_the_openapi_document(live) -> None:
    assert live.get("/healthz").json() == {"status": "ok"}
    doc = live.get("/api/v1/openapi.json")
    assert doc.status_code == 200 and doc.json()["openapi"].startswith("3.")


def test_each_worker_answers(live) -> None:
    """Both workers booted and serve (connections land on either)."""
    assert len(live.server.worker_pids()) == 2
    statuses = {
        live.get("/healthz", headers={"Connection": "close"}).status_code for _ in range(20)
    }
    assert statuses == {200}
