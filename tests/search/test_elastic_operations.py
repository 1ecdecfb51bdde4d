"""Operations on the real Elasticsearch: an outage (the server stopped and started again),
late writes from the indexer, a rebuild under concurrent writes with no gap in service,
and ``search check``."""

from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from credit import changes
from credit.extensions import db
from search.documents import ENTERPRISES, SPECS
from search.indexer import CONSUMER_NAME, check, index_enterprises, reindex
from tests.conftest import make_app
from tests.helpers import import_records, sample_records

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def es_app(es_url: str, tmp_path):
    app = make_app(
        {
            "ENV": "testing",
            "INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'credit.db'}",
            "SEARCH_URL": es_url,
            "SEARCH_INDEX_PREFIX": f"ops{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": "ops-test-secret",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for spec in SPECS.values():
        app.extensions["credit.search"].drop(spec)


def _names(app, client, q: str) -> set[str]:
    app.extensions["credit.search"].refresh(ENTERPRISES)
    body = client.get("/api/v1/search", query_string={"q": q, "size": 100}).get_json()
    return {i["uscc"] for i in body["items"]}


def _services(command: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), command],
        check=True,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )


def test_outage_writes_succeed_pages_serve_and_the_indexer_catches_up(es_app) -> None:
    client = es_app.test_client()
    first, *later = sample_records(6, seed=41)
    with es_app.app_context():
        import_records([first])
        assert _names(es_app, client, first["uscc"]) == {first["uscc"]}
    _services("es-stop")
    try:
        with es_app.app_context():
            import_records(later)  # commits although indexing fails
            assert changes.backlog(db.session, CONSUMER_NAME) > 0
        r = client.get("/api/v1/search", query_string={"q": first["name"][:4]})
        assert r.status_code == 503 and r.content_type == "application/problem+json"
        assert client.get(f"/api/v1/enterprises/{later[0]['uscc']}").status_code == 200
        assert client.get(f"/api/v1/enterprises/{later[0]['uscc']}/rating").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    finally:
        _services("es-start")
    with es_app.app_context():
        changes.run_all(db.session, raise_errors=True)  # what the poller does on its round
        assert changes.backlog(db.session, CONSUMER_NAME) == 0
        for rec in later:
            assert _names(es_app, client, rec["uscc"]) == {rec["uscc"]}


def test_a_late_write_never_overwrites_a_newer_document(es_app) -> None:
    from credit.enterprises.models import Enterprise

    client = es_app.test_client()
    rec = sample_records(1, seed=42)[0]
    with es_app.app_context():
        import_records([rec])
        backend = es_app.extensions["credit.search"]
        ent = db.session.scalar(sa.select(Enterprise))
        before = backend.get(ENTERPRISES, ent.id)  # what an indexer read before the rename
        import_records([{**rec, "name": "新名称" + rec["name"]}])
        after = backend.get(ENTERPRISES, ent.id)
        assert after.version > before.version
        # That indexer delivers late: its older document is skipped, not written.
        late = backend.write(ENTERPRISES, [before])
        assert (late.written, late.skipped_stale) == (0, 1)
        # Redelivering the rename (at-least-once) is harmless.
        index_enterprises(db.session, backend, [ent.id], version=after.version)
        assert _names(es_app, client, "新名称") == {rec["uscc"]}
        assert backend.get(ENTERPRISES, ent.id).source["name"].startswith("新名称")


def test_reindex_under_concurrent_writes_has_no_gap_and_loses_nothing(es_app) -> None:
    client = es_app.test_client()
    records = sample_records(300, seed=43)
    probe = records[0]
    with es_app.app_context():
        import_records(records)
        assert _names(es_app, client, probe["uscc"]) == {probe["uscc"]}  # (refreshed)
    stop = threading.Event()
    misses: list[str] = []
    renamed: list[str] = []

    def searcher() -> None:
        c = es_app.test_client()
        while not stop.is_set():
            r = c.get("/api/v1/search", query_string={"q": probe["uscc"]})
            if r.status_code != 200 or r.get_json()["total"] != 1:
                misses.append(f"{r.status_code} {r.get_data(as_text=True)[:200]}")

    def writer() -> None:
        with es_app.app_context():
            for i, rec in enumerate(records[1:60]):
                import_records([{**rec, "name": f"改名{i:03d}号{rec['name']}"}])
                renamed.append(rec["uscc"])
            db.session.remove()

    threads = [threading.Thread(target=searcher), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    with es_app.app_context():
        done = reindex(db.session, es_app.extensions["credit.search"], batch_size=50)
        changes.run_all(db.session, raise_errors=True)  # replay what changed meanwhile
    threads[1].join()
    stop.set()
    threads[0].join()
    with es_app.app_context():
        changes.run_all(db.session, raise_errors=True)
        reports = check(db.session, es_app.extensions["credit.search"], repair=False)
    assert done["enterprises"] == 300
    assert misses == []  # the alias always pointed at a complete index
    assert [(r.index, r.missing, r.extra, r.stale) for r in reports] == [
        (r.index, [], [], []) for r in reports
    ]
    assert len(renamed) == 59
    assert _names(es_app, client, "改名") == set(renamed)
    # The swapped-in generation serves with the serving settings, not the load's.
    backend = es_app.extensions["credit.search"]
    for spec in SPECS.values():
        live = backend.client.indices.get_settings(index=backend.alias(spec), flat_settings=True)
        (settings,) = (s["settings"] for s in live.values())
        assert settings["index.refresh_interval"] == "1s"
        assert settings["index.translog.durability"] == "request"
        assert "index.merge.scheduler.auto_throttle" not in settings  # the node's default


def test_check_reports_and_repairs(es_app) -> None:
    from credit.enterprises.models import Enterprise
    from search.backend import Document

    records = sample_records(20, seed=44)
    with es_app.app_context():
        import_records(records)
        backend = es_app.extensions["credit.search"]
        ids = sorted(db.session.scalars(sa.select(Enterprise.id)))
        doc = backend.get(ENTERPRISES, ids[1])
        gone = backend.get(ENTERPRISES, ids[0])
        backend.delete(ENTERPRISES, [(ids[0], gone.version)])
        backend.write(ENTERPRISES, [Document(ids[1], doc.version, {**doc.source, "grade": "AAA"})])
        backend.write(ENTERPRISES, [Document("not-in-db", 1, {**doc.source, "uscc": "X" * 18})])
        backend.refresh(ENTERPRISES)
        first = {r.index: r for r in check(db.session, backend, repair=True)}
        ent = first["enterprises"]
        assert (ent.missing, ent.stale, ent.extra) == ([ids[0]], [ids[1]], ["not-in-db"])
        assert ent.repaired
        backend.refresh(ENTERPRISES)
        second = check(db.session, backend, repair=False)
        assert all(not (r.missing or r.extra or r.stale) for r in second)
