"""Statement budgets of the two writes an enterprise makes most: filing a pledge and
publishing it, as deployed with a worker process (``INDEX_AFTER_COMMIT=false``: the
request runs no consumer). Counts, not times: a repeated load, an N+1 or a read-back
after the commit shows up here as a number that grew."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from credit.extensions import db
from tests.conftest import make_app
from tests.parties import bearer, client_token, make_parties, pledge_body, seed_templates

#: Statements of each request: the token with its client (1, one join: api/auth.py), then for
#: a create the template,
#: the enterprise, the pledge INSERT and its change event; for a publish the pledge (with
#: enterprise and template joined), its breaches, the UPDATE and the change event.
#: On PostgreSQL the change event's INSERT also takes the advisory lock that orders outbox
#: appends and wakes the workers (one statement, credit/uow.py ``_PG_APPEND_EVENTS``, sent
#: with the COMMIT in one round trip).
CREATE_BUDGET = 5
PUBLISH_BUDGET = 5


@pytest.fixture
def web_app(clean_app, app_config: dict) -> Iterator:
    """The app as a web host runs next to a worker: no consumer in the request."""
    app = make_app({**app_config, "INDEX_AFTER_COMMIT": False, "INDEXER_POLL_SECONDS": 0})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Statements:
    def __init__(self, engine) -> None:
        self.seen: list[str] = []
        self.engine = engine

    def __call__(self, conn, cursor, statement, params, context, executemany) -> None:
        self.seen.append(" ".join(statement.split())[:120])

    def during(self, call):
        self.seen.clear()
        event.listen(self.engine, "before_cursor_execute", self)
        try:
            return call()
        finally:
            event.remove(self.engine, "before_cursor_execute", self)

    def count(self) -> int:
        return len(self.seen)


def test_pledge_create_and_publish_stay_within_their_statement_budgets(web_app):
    client = web_app.test_client()
    with web_app.app_context():
        parties = make_parties()
        template = seed_templates()["ECOM-STD"]
        body = pledge_body(template)
        token = client_token(client, parties.clients["owner"])
        engine = db.engine
    statements = Statements(engine)
    for _ in range(2):  # the second round runs on warm caches, as a busy server does
        created = statements.during(
            lambda: client.post("/api/v1/pledges", json=body, headers=bearer(token))
        )
        assert created.status_code == 201, created.get_data(as_text=True)
        assert statements.count() <= CREATE_BUDGET, "\n".join(statements.seen)
        url = f"/api/v1/pledges/{created.get_json()['id']}/publish"
        match = {**bearer(token), "If-Match": created.headers["ETag"]}
        published = statements.during(lambda: client.post(url, json={}, headers=match))  # noqa: B023
        assert published.status_code == 200, published.get_data(as_text=True)
        assert statements.count() <= PUBLISH_BUDGET, "\n".join(statements.seen)
        assert not any(s.startswith("SELECT shop") for s in statements.seen)


#: SQLAlchemy cache keys a warm server still computes for one create + publish: the ORM's
#: pledge INSERT and the breaches' lazy load, whose keys SQLAlchemy computes each time.
#: Every lookup the code writes itself is a statement built once (credit/pledges/service.py
#: ``_..._BY_ID``, credit/accounts/store.py ``_BEARER``, credit/uow.py's events: driver-level SQL
#: on SQLite, ``_PG_APPEND_EVENTS`` on PostgreSQL).
CACHE_KEYS_PER_ROUND = 2


def test_warm_writes_build_no_new_statements(web_app, monkeypatch):
    """Computing a statement's cache key walks the whole statement (with its loader
    options): it was a tenth of a write's CPU while the lookups were built per request."""
    from sqlalchemy.sql.cache_key import HasCacheKey

    client = web_app.test_client()
    with web_app.app_context():
        parties = make_parties()
        body = pledge_body(seed_templates()["ECOM-STD"])
        token = client_token(client, parties.clients["owner"])
    computed: list[str] = []
    generate = HasCacheKey._generate_cache_key

    def counting(self):
        computed.append(" ".join(str(self).split())[:100])
        return generate(self)

    def one_round() -> None:
        created = client.post("/api/v1/pledges", json=body, headers=bearer(token))
        assert created.status_code == 201, created.get_data(as_text=True)
        url = f"/api/v1/pledges/{created.get_json()['id']}/publish"
        match = {**bearer(token), "If-Match": created.headers["ETag"]}
        assert client.post(url, json={}, headers=match).status_code == 200

    one_round()  # warm
    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", counting)
    one_round()
    assert len(computed) <= CACHE_KEYS_PER_ROUND, "\n".join(computed)


def test_write_answers_are_what_was_committed(web_app):
    """The answers are written from the objects as flushed, without reading them back
    after the commit (credit.uow ``keep_loaded``): each must equal a fresh read."""
    client = web_app.test_client()
    with web_app.app_context():
        parties = make_parties()
        body = pledge_body(seed_templates()["ECOM-STD"])
        token = client_token(client, parties.clients["owner"])
    created = client.post("/api/v1/pledges", json=body, headers=bearer(token))
    assert created.status_code == 201
    url = f"/api/v1/pledges/{created.get_json()['id']}"
    read = client.get(url, headers=bearer(token))
    assert read.get_json() == created.get_json()
    assert read.headers["ETag"] == created.headers["ETag"]
    published = client.post(
        f"{url}/publish", json={}, headers={**bearer(token), "If-Match": created.headers["ETag"]}
    )
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"
    read = client.get(url)
    assert read.get_json() == published.get_json()
    assert read.headers["ETag"] == published.headers["ETag"]
    # an amendment's publication still supersedes the first version (the earlier version
    # is looked up only from the second version on)
    amended = client.post(
        f"{url}/amendments", json={}, headers={**bearer(token), "If-Match": read.headers["ETag"]}
    )
    assert amended.status_code == 201, amended.get_data(as_text=True)
    second = client.post(
        f"/api/v1/pledges/{amended.get_json()['id']}/publish",
        json={},
        headers={**bearer(token), "If-Match": amended.headers["ETag"]},
    )
    assert second.status_code == 200, second.get_data(as_text=True)
    first = client.get(url).get_json()
    assert first["status"] == "superseded"
    assert first["superseded_by_id"] == amended.get_json()["id"]


def _violation(uscc: str) -> dict:
    from credit import clock

    return {
        "uscc": uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕8101号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": clock.today().isoformat(),
    }


def test_violation_answer_is_what_was_committed_and_read_once(web_app):
    """A regulator's violation POST answers from what it flushed (``keep_loaded``): the
    answer equals a fresh read, and the record is not read back after the commit."""
    client = web_app.test_client()
    with web_app.app_context():
        parties = make_parties()
        token = client_token(client, parties.clients["reg_in"])
        engine = db.engine
    statements = Statements(engine)
    posted = statements.during(
        lambda: client.post(
            "/api/v1/violations", json=_violation(parties.owner_uscc), headers=bearer(token)
        )
    )
    assert posted.status_code == 201, posted.get_data(as_text=True)
    reads = [s for s in statements.seen if s.startswith("SELECT violation.")]
    assert len(reads) <= 1, "\n".join(statements.seen)
    read = client.get(f"/api/v1/violations/{posted.get_json()['id']}", headers=bearer(token))
    assert read.status_code == 200
    assert read.get_json() == posted.get_json()
    assert read.headers["ETag"] == posted.headers["ETag"]


def test_keep_loaded_is_for_one_commit_only(app_ctx):
    """``keep_loaded`` leaves that commit's objects loaded; the session's next commit
    expires them as usual (a later read in the request sees the database again)."""
    from sqlalchemy import inspect

    from credit.enterprises.service import get_enterprise
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work

    parties = make_parties()
    firm = get_enterprise(SYSTEM, parties.owner_uscc)
    # run_hooks=False: the consumers this app runs after a commit commit again themselves
    with unit_of_work(keep_loaded=True, run_hooks=False):
        firm.name = firm.name  # a no-op write inside the commit
    assert "name" not in inspect(firm).expired_attributes
    assert db.session().expire_on_commit is True
    with unit_of_work(run_hooks=False):
        pass
    assert "name" in inspect(firm).expired_attributes
