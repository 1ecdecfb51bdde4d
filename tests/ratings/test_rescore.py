"""Batch rescoring from the CLI, and replays under another published model version."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.extensions import db
from credit.ratings import catalog
from credit.ratings.batch import reader_engine
from credit.ratings.facts import Selection, load_facts
from credit.ratings.models import CurrentRating, RatingRecord
from credit.ratings.store import ROW_COLUMNS, compute
from tests.parties import make_violation


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["credit", *args])


@pytest.fixture
def two_models(tmp_path):
    """The packaged catalog plus a published 2027.1 that weighs violations less."""
    models = tmp_path / "models"
    shutil.copytree(catalog.PACKAGED, models)
    doc = json.loads((models / "2026.1.json").read_text(encoding="utf-8"))
    doc.update(
        version="2027.1",
        published_on="2027-01-01",
        changelog=["违法记录上限降为 450 分 / violations capped at 450 points"],
    )
    doc["signals"]["violations"]["cap"] = 450
    source = tmp_path / "2027.1.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    catalog.configure(models)
    catalog.publish(models, source, make_current=False)
    yield models
    catalog.configure(None)


def test_replay_under_each_published_model(app_ctx, client, parties, two_models) -> None:
    make_violation(parties, days_ago=10)
    url = f"/api/v1/enterprises/{parties.owner_uscc}/rating"
    old = client.get(url, query_string={"model": "2026.1"}).get_json()
    new = client.get(url, query_string={"model": "2027.1"}).get_json()
    assert (old["model_version"], new["model_version"]) == ("2026.1", "2027.1")
    assert new["score"] > old["score"]  # the smaller cap takes fewer points
    assert new["inputs_digest"] == old["inputs_digest"]  # same facts


def test_rescore_all_under_a_new_model_then_nothing_to_do(app_ctx, parties, two_models) -> None:
    make_violation(parties, days_ago=10)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RatingRecord))
    result = _cli(app_ctx, "rescore", "--all", "--model", "2027.1")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output.strip().splitlines()[-1])
    assert stats["rated"] == 2 and stats["written"] == 2
    assert set(db.session.scalars(sa.select(CurrentRating.model_version))) == {"2027.1"}
    newest = db.session.scalars(
        sa.select(RatingRecord).order_by(RatingRecord.id.desc()).limit(2)
    ).all()
    assert {r.trigger for r in newest} == {"rescore"}
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(RatingRecord)) == before + 2
    )  # history kept
    again = json.loads(
        _cli(app_ctx, "rescore", "--all", "--model", "2027.1").output.strip().splitlines()[-1]
    )
    assert (again["rated"], again["written"]) == (2, 0)  # unchanged results write nothing


def test_rescore_all_in_reader_processes_stores_what_this_process_computes(
    app_ctx, parties, two_models
) -> None:
    """The parallel path (reader processes, here one range per firm; results cross to the
    writer as tuples) stores each firm's result exactly as computed in one process, and
    its rating events with their instants in the stored form."""
    make_violation(parties, days_ago=10)
    model = catalog.catalog().get("2027.1")
    facts = load_facts(db.session, Selection())
    expected = {
        eid: (row, digest) for eid, row, digest in compute(facts.values(), model, clock.today())
    }
    head = db.session.scalar(sa.select(sa.func.max(ChangeEvent.id))) or 0
    db.session.rollback()
    result = _cli(
        app_ctx, "rescore", "--all", "--model", "2027.1", "--workers", "2", "--chunk", "1"
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output.strip().splitlines()[-1])
    assert stats["rated"] == stats["written"] == stats["events"] == len(expected) >= 2
    current = dict(
        db.session.execute(
            sa.select(CurrentRating.enterprise_id, CurrentRating.result_digest)
        ).all()
    )
    assert current == {eid: digest for eid, (_, digest) in expected.items()}
    for eid, (row, _) in expected.items():
        rec = db.session.scalars(
            sa.select(RatingRecord)
            .where(RatingRecord.enterprise_id == eid)
            .order_by(RatingRecord.id.desc())
            .limit(1)
        ).one()
        want = dict(zip(ROW_COLUMNS, row, strict=True))
        assert rec.trigger == "rescore" and rec.model_version == want["model_version"] == "2027.1"
        assert (rec.score, rec.grade, rec.tier, rec.inputs_digest) == (
            want["score"],
            want["grade"],
            want["tier"],
            want["inputs_digest"],
        )
        assert rec.as_of.isoformat() == want["as_of"]
        assert (rec.next_change.isoformat() if rec.next_change else None) == want["next_change"]
        assert rec.contributions == json.loads(want["contributions"])
        assert rec.hard_rules == json.loads(want["hard_rules"])
    events = db.session.scalars(
        sa.select(ChangeEvent).where(ChangeEvent.id > head, ChangeEvent.entity_type == "rating")
    ).all()
    assert sorted(e.entity_id for e in events) == sorted(expected)
    assert all(e.occurred_at.utcoffset() is not None for e in events)
    if db.engine.dialect.name == "sqlite":  # stored as SQLAlchemy stores a UtcDateTime
        raw = (
            db.session.connection()
            .exec_driver_sql("SELECT occurred_at FROM change_event WHERE id > ?", (head,))
            .fetchall()
        )
        assert raw and all(
            re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", at) for (at,) in raw
        )


def test_a_reader_maps_a_sqlite_database_into_memory(app_ctx) -> None:
    """Reader processes read SQLite through mmap, with the application's pragmas too."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("mmap is SQLite's")
    engine = reader_engine(db.engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA mmap_size").scalar() > 0
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_rescore_one_and_bad_arguments(app_ctx, parties) -> None:
    ok = _cli(app_ctx, "rescore", "--uscc", parties.owner_uscc)
    assert ok.exit_code == 0 and json.loads(ok.output.strip().splitlines()[-1])["rated"] == 1
    assert _cli(app_ctx, "rescore").exit_code != 0  # neither --all nor --uscc
    unknown = _cli(app_ctx, "rescore", "--uscc", "91320100MA1XXXXX0X")
    assert unknown.exit_code != 0 and "91320100MA1XXXXX0X" in unknown.output
    bad_model = _cli(app_ctx, "rescore", "--all", "--model", "1999.9")
    assert bad_model.exit_code != 0 and "1999.9" in bad_model.output


def test_models_command_lists_the_catalog(app_ctx, two_models) -> None:
    out = _cli(app_ctx, "ratings", "models").output
    assert f"* {catalog.catalog().current}" in out and "  2027.1" in out
