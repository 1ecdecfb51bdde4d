"""Test fixtures with real services: SQLite or PostgreSQL, embedded search or Elasticsearch.

``pytest --db=sqlite|postgresql --search=embedded|elasticsearch`` picks the app's backends
(``make test`` runs both combinations). PostgreSQL, Elasticsearch and Redis come from
``scripts/services.sh`` through ``CREDIT_TEST_DATABASE_URL``, ``CREDIT_TEST_SEARCH_URL`` and
``CREDIT_TEST_REDIS_URL``. With ``CI=true`` a service that cannot be reached fails the run;
elsewhere its tests skip with a loud reason. Rate-limit counters live in that Redis when it
is set (keys under a per-run prefix), so the in-process app and the live servers share them
and every test starts with none; without it each process counts in memory.

Isolation: every test starts from empty tables, a zero change-feed cursor and a fresh search
index (per-run index prefix). Tests exercise real commits (the unit of work and the change
feed are what they check), so they truncate rather than roll back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

REQUIRE_SERVICES = (
    os.environ.get("CI") == "true" or os.environ.get("CREDIT_TEST_REQUIRE_SERVICES") == "true"
)
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    """Passwords hashed and checked in this process use argon2's cheapest parameters: the
    production ones (``secrets.PASSWORD_PARAMETERS``, about 0.2 s a hash, on purpose) cost
    a third of a second in every test that creates the console users, and as much again at
    each sign-in. What a hash protects is not under test here; the parameters are
    (tests/unit/test_password_hashing.py), and the live servers keep them."""
    from argon2 import PasswordHasher, profiles

    from credit.accounts import secrets, store

    secrets._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    secrets.DUMMY_PASSWORD_HASH = store.DUMMY_PASSWORD_HASH = secrets._hasher.hash("unknown")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database the app under test uses",
    )
    parser.addoption(
        "--search",
        choices=["embedded", "elasticsearch"],
        default=None,
        help="search backend the app under test uses (default: embedded with "
        "sqlite, elasticsearch with postgresql)",
    )


def unavailable(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {message}", pytrace=False)
    pytest.skip(f"service unavailable: {message}")


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("CREDIT_TEST_SEARCH_URL", "")
    if not url:
        unavailable("CREDIT_TEST_SEARCH_URL is not set (run `make test`)")
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=10)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="30s")
    except Exception as exc:
        unavailable(f"Elasticsearch at {url} does not answer: {exc}")
    finally:
        client.close()
    return url


def reachable_redis_url() -> str:
    """``CREDIT_TEST_REDIS_URL`` when set and answering, else ``""`` (with CI=true, a
    failure: the suite must run on shared counters there)."""
    url = os.environ.get("CREDIT_TEST_REDIS_URL", "")
    if not url:
        if REQUIRE_SERVICES:
            unavailable("CREDIT_TEST_REDIS_URL is not set (run `make test`)")
        return ""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            unavailable(f"Redis at {url} does not answer: {exc}")
        return ""
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, for tests that need shared counters (skip or fail without it)."""
    url = reachable_redis_url()
    if not url:
        unavailable("Redis: CREDIT_TEST_REDIS_URL is not set or does not answer")
    return url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get("CREDIT_TEST_DATABASE_URL", "")
    if not url:
        unavailable("CREDIT_TEST_DATABASE_URL is not set (run `make test`)")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"credit_t_{RUN_ID}"
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        unavailable(f"PostgreSQL at {url}: {exc.orig}")
    test_url = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    yield test_url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def search_kind(request: pytest.FixtureRequest, db_kind: str) -> str:
    chosen = request.config.getoption("--search")
    return chosen or ("elasticsearch" if db_kind == "postgresql" else "embedded")


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    if db_kind == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'credit.db'}"


@pytest.fixture(scope="session")
def app_config(
    request: pytest.FixtureRequest,
    database_url: str,
    search_kind: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    search_url = request.getfixturevalue("es_url") if search_kind == "elasticsearch" else ""
    return {
        "ENV": "testing",
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": database_url,
        "SEARCH_URL": search_url,
        "SEARCH_INDEX_PREFIX": f"t{RUN_ID}",
        "EMBEDDED_SEARCH_PATH": str(instance / "search-index"),
        "SECRET_KEY": "test-secret-key-" + RUN_ID,
        "RATELIMIT_STORAGE_URL": reachable_redis_url() or "memory://",
        "RATELIMIT_KEY_PREFIX": f"t{RUN_ID}",
        # The host the test client names (Flask's default); a live server serves on its
        # own URL instead (tests/server.py).
        "PUBLIC_URL": "http://localhost",
    }


def make_app(config: dict):
    """A migrated app for ``config`` (also used by tests that need a second app)."""
    from flask_migrate import upgrade

    from api import create_app

    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def app(app_config: dict):
    app = make_app(app_config)
    yield app
    from api import limits
    from credit.extensions import db
    from search.documents import SPECS

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for spec in SPECS.values():  # leave no per-run index behind in the shared server
        app.extensions["credit.search"].drop(spec)
    limits.reset(app)  # nor any per-run rate-limit key in the shared Redis


def reset_state(app) -> None:
    """Empty every table, recreate the search index and clear this run's rate-limit
    counters (only this run's keys in the shared Redis)."""
    from api import limits
    from credit.extensions import db
    from credit.ratings import catalog
    from search.documents import SPECS

    catalog.forget_labels()  # its labels were read from the tables emptied here
    with app.app_context():
        limits.reset(app)
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        backend = app.extensions["credit.search"]
        untouched = _untouched_indexes(backend, list(SPECS.values()))
        for spec in SPECS.values():
            if spec.name in untouched:
                continue
            backend.drop(spec)
            backend.ensure_index(spec)


def _untouched_indexes(backend, specs: list) -> set[str]:
    """The Elasticsearch indexes that are as ``ensure_index`` made them: one generation,
    under its alias, never written to or deleted from since it was created (its shards'
    indexing counters are 0, whichever process wrote). Dropping and recreating the three
    indexes costs about half a second a test on Elasticsearch; most tests leave some
    untouched. Other backends: none (dropping an embedded index costs milliseconds)."""
    if backend.name != "elasticsearch":
        return set()
    aliases = {backend.alias(spec): spec.name for spec in specs}
    stats = backend.client.indices.stats(
        index=",".join(f"{a}-g*" for a in aliases), metric="indexing,docs"
    )["indices"]
    held = backend.client.indices.get_alias(
        index=",".join(f"{a}-g*" for a in aliases), ignore_unavailable=True
    )
    untouched = set()
    for alias, name in aliases.items():
        generations = [g for g in stats if g.startswith(f"{alias}-g")]
        if len(generations) != 1 or alias not in held.get(generations[0], {}).get("aliases", {}):
            continue
        total = stats[generations[0]]["total"]
        if (
            total["indexing"]["index_total"] == 0
            and total["indexing"]["delete_total"] == 0
            and total["docs"]["count"] == 0
            and total["docs"]["deleted"] == 0
        ):
            untouched.add(name)
    return untouched


@pytest.fixture
def clean_app(app):
    reset_state(app)
    return app


@pytest.fixture
def client(clean_app):
    return clean_app.test_client()


@pytest.fixture(scope="session")
def gunicorn_server(app, app_config: dict, tmp_path_factory: pytest.TempPathFactory):
    """The app as deployed: gunicorn with ``deploy/gunicorn.conf.py``, 2 workers, on a free
    loopback port, on this run's database and search index (``app`` migrated it first)."""
    from tests.server import GunicornServer

    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    server = GunicornServer(app_config, log, workers=2).start()
    yield server
    server.stop()


@pytest.fixture(params=["test-client", "gunicorn"])
def any_client(request: pytest.FixtureRequest, clean_app):
    """Flask's test client, then the same calls over HTTP to the real server (a test taking
    this runs twice: what holds in-process must hold as deployed)."""
    if request.param == "test-client":
        yield clean_app.test_client()
        return
    from tests.server import HttpClient

    server = request.getfixturevalue("gunicorn_server")
    http = HttpClient(server.url)
    yield http
    http.close()
    assert server.alive(), "the server died during the test:\n" + server.log_tail()


@pytest.fixture
def app_ctx(clean_app):
    with clean_app.app_context():
        yield clean_app


DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture
def frozen_clock():
    """Move time by hand: ``frozen_clock.advance(seconds)``."""
    from datetime import UTC, datetime, timedelta

    from credit import clock

    class Clock:
        def __init__(self) -> None:
            self.now = datetime.now(UTC)

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    c = Clock()
    clock.set_clock(lambda: c.now)
    yield c
    clock.set_clock(None)
