"""Batch rescoring from the CLI, and replays under another published model version."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa

from credit.extensions import db
from credit.ratings import catalog
from credit.ratings.models import CurrentRating, RatingRecord
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
