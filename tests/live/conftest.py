"""Fixtures for tests over the real server (gunicorn on loopback; see ``tests/server.py``).

``live`` starts from empty tables, like ``client``; the server itself is started once per
session on the run's database and search index and stays up across tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.server import GunicornServer


@pytest.fixture(scope="session")
def gunicorn_server(
    app, app_config: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GunicornServer]:
    """The app under ``deploy/gunicorn.conf.py`` with 2 workers (``app`` has migrated the
    database first)."""
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    server = GunicornServer(app_config, log, workers=2).start()
    yield server
    server.stop()


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


@pytest.fixture
def live(clean_app, gunicorn_server: GunicornServer) -> Iterator[Live]:
    assert gunicorn_server.alive(), gunicorn_server.log_tail()
    session = Live(gunicorn_server)
    yield session
    session.http.close()
    assert gunicorn_server.alive(), (
        "the server died during the test:\n" + gunicorn_server.log_tail()
    )
