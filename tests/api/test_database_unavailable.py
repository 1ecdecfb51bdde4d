"""A database that cannot be reached answers 503, never 500 (issue 18).

The app here points at a PostgreSQL port nobody listens on (no server is needed, so this
runs in both passes): the API answers 503 problem+json with ``Retry-After``, a page 503 as
HTML, ``/readyz`` 503, each at once (connection refused). The restart of a real server under
load, with recovery, is tests/deploy/test_postgres_restart.py (``make test-deploy``).
"""

from __future__ import annotations

import pytest

from api import create_app
from tests.server import free_port

USCC = "91320585KKFFU1CL4X"


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory):
    instance = tmp_path_factory.mktemp("unreachable")
    app = create_app(
        {
            "ENV": "testing",
            "INSTANCE_DIR": str(instance),
            "SECRET_KEY": "unreachable-database-test-key-0123456789",
            "DATABASE_URL": f"postgresql+psycopg://credit@127.0.0.1:{free_port()}/credit",
            "SEARCH_URL": "",
            "EMBEDDED_SEARCH_PATH": str(instance / "search-index"),
            "PUBLIC_URL": "http://localhost",
        }
    )
    return app.test_client()


def test_the_api_answers_503_problem_json_with_retry_after(unreachable) -> None:
    r = unreachable.get(f"/api/v1/enterprises/{USCC}", headers={"Accept-Language": "en"})
    assert r.status_code == 503
    assert r.content_type == "application/problem+json"
    assert r.headers["Retry-After"] == "5"
    body = r.get_json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert "Idempotency-Key" in body["detail"]
    assert all(ord(c) < 128 for _, v in r.headers.items() for c in v)


def test_a_page_answers_503_as_html_and_readyz_is_not_ready(unreachable) -> None:
    page = unreachable.get(f"/enterprises/{USCC}", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert page.content_type.startswith("text/html")
    assert "数据库暂不可用" in page.get_data(as_text=True)
    ready = unreachable.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("error: OperationalError")
