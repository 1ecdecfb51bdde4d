"""Fixtures for tests over the real server (gunicorn on loopback; see ``tests/server.py``).

``live`` starts from empty tables, like ``client``; the server (``gunicorn_server`` in
tests/conftest.py) is started once per session on the run's database and search index and
stays up across tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.server import GunicornServer


class Live:
    """A ``requests`` session against the live server: ``live.get("/path")``."""

    def __init__(self, server: GunicornServer) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        self.http.trust_env = False  # never route loopback through a configured proxy

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def bearer(self, client) -> dict[str, str]:
        """An Authorization header for ``client`` (a tests.parties client), from the
        server's own token endpoint (client credentials)."""
        r = self.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=client.basic()
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def live(clean_app, gunicorn_server: GunicornServer) -> Iterator[Live]:
    assert gunicorn_server.alive(), gunicorn_server.log_tail()
    session = Live(gunicorn_server)
    yield session
    session.http.close()
    assert gunicorn_server.alive(), (
        "the server died during the test:\n" + gunicorn_server.log_tail()
    )
