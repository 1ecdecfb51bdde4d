"""Ratings end to end: kept fresh by the change feed, explained, replayed, rescored."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from credit import changes, clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import SYSTEM
from credit.ratings.catalog import catalog
from credit.ratings.models import CurrentRating, RatingRecord
from credit.ratings.service import sweep_stale_ratings
from search.documents import ENTERPRISES
from tests.parties import make_pledge, make_violation, seed_templates, valid_code_like


def _rating(client, uscc, headers=None, **query):
    r = client.get(f"/api/v1/enterprises/{uscc}/rating", headers=headers or {}, query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _search_hit(app, client, uscc):
    app.extensions["credit.search"].refresh(ENTERPRISES)
    items = client.get("/api/v1/search", query_string={"q": uscc}).get_json()["items"]
    assert [i["uscc"] for i in items] == [uscc]
    return items[0]


def _violation_body(parties, pledge_id=None, **overrides):
    body = {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕777号",
        "legal_basis": "《电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": clock.today().isoformat(),
    }
    if pledge_id:
        body["breached_clauses"] = [{"pledge_id": pledge_id, "clause": "C03"}]
    body.update(overrides)
    return body


def test_a_violation_is_in_the_rating_and_in_search_when_the_request_returns(
    app_ctx, client, parties, reg_in
) -> None:
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    before = _rating(client, parties.owner_uscc)
    assert before["stored"] is True
    assert "PLEDGE_IN_FORCE" in [f["code"] for f in before["raised"]]
    assert _search_hit(app_ctx, client, parties.owner_uscc)["credit_score"] == before["score"]

    r = client.post("/api/v1/violations", json=_violation_body(parties, pledge.id), headers=reg_in)
    assert r.status_code == 201, r.get_data(as_text=True)
    after = _rating(client, parties.owner_uscc)
    assert after["score"] < before["score"]
    lowered = {f["code"]: f for f in after["lowered"]}
    assert set(lowered) == {"VIOLATION", "PLEDGE_BREACHED"}
    assert lowered["VIOLATION"]["params"]["decision"] == "苏市监罚〔2026〕777号"
    assert "苏市监罚〔2026〕777号" in lowered["VIOLATION"]["text"]
    assert sum(f["points"] for f in after["factors"]) == after["score"]
    # ordered by weight, most important first
    assert [abs(f["points"]) for f in after["lowered"]] == sorted(
        (abs(f["points"]) for f in after["lowered"]), reverse=True
    )
    hit = _search_hit(app_ctx, client, parties.owner_uscc)
    assert (hit["grade"], hit["credit_score"]) == (after["grade"], after["score"])

    history = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating/history").get_json()
    assert [h["score"] for h in history["items"][:2]] == [after["score"], before["score"]]
    assert all(
        h["model_version"] == catalog().current and len(h["inputs_digest"]) == 64
        for h in history["items"]
    )


def test_repair_raises_it_and_a_replay_shows_the_past_redacted_for_the_public(
    app_ctx, client, parties, reg_in, owner
) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=120, decision_number="苏市监罚〔2026〕555号")
    with_record = _rating(client, parties.owner_uscc)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    applied = client.post(
        f"/api/v1/violations/{v.id}/repairs",
        headers=owner,
        json={"pledge_id": repair_pledge.id, "statement": "已整改并缴清罚款"},
    )
    assert applied.status_code == 201, applied.get_data(as_text=True)
    client.post(
        f"/api/v1/repairs/{applied.get_json()['id']}/decision",
        headers=reg_in,
        json={"accepted": True, "reason": "同意修复"},
    )
    repaired = _rating(client, parties.owner_uscc)
    assert repaired["score"] > with_record["score"]
    assert "VIOLATION" not in [f["code"] for f in repaired["factors"]]

    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    public = _rating(client, parties.owner_uscc, as_of=yesterday)
    assert public["stored"] is False and public["score"] == with_record["score"]
    record = next(f for f in public["lowered"] if f["code"] == "VIOLATION")
    assert record["ref"] is None and "decision" not in record["params"]  # no longer public
    assert "〔2026〕555号" not in json.dumps(public, ensure_ascii=False)
    own = _rating(client, parties.owner_uscc, headers=owner, as_of=yesterday)
    mine = next(f for f in own["lowered"] if f["code"] == "VIOLATION")
    assert mine["ref"] == v.id and mine["params"]["decision"] == "苏市监罚〔2026〕555号"
    # the history, too, names the repaired record only to those who may see it
    history = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating/history")
    assert "〔2026〕555号" not in history.get_data(as_text=True)


def test_explain_says_what_moves_the_grade(app_ctx, client, parties) -> None:
    v = make_violation(parties, days_ago=10)
    r = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating/explain")
    assert r.status_code == 200
    body = r.get_json()
    rating = body["rating"]
    assert body["next_grade"]["points_needed"] == body["next_grade"]["min_score"] - rating["score"]
    assert (
        body["grade_floor"]["points_margin"] == rating["score"] - body["grade_floor"]["min_score"]
    )
    repair = next(a for a in body["actions"] if a["code"] == "REPAIR")
    assert repair["ref"] == v.id and repair["available_from"] == v.repairable_from.isoformat()
    assert repair["points"] > 0 and repair["score"] > rating["score"]
    marks = {m["code"]: p["date"] for p in body["outlook"] for m in p["milestones"]}
    assert marks["VIOLATION_REPAIRABLE"] == v.repairable_from.isoformat()
    assert marks["VIOLATION_ENDS"] == (v.publish_until + timedelta(days=1)).isoformat()
    families = {f["family"]: f["points"] for f in rating["families"]}
    assert sum(families.values()) == rating["score"] and families["public"] < 0


def test_bad_replay_arguments_are_field_errors(client, parties) -> None:
    url = f"/api/v1/enterprises/{parties.owner_uscc}/rating"
    future = (clock.today() + timedelta(days=1)).isoformat()
    for query, field in (
        ({"as_of": future}, "as_of"),
        ({"model": "1999.9"}, "model"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"sort": "x"}, "sort"),
    ):
        r = client.get(url, query_string=query)
        assert r.status_code in {400, 422}, query
        assert r.content_type == "application/problem+json"
        assert field in [e["field"] for e in r.get_json()["errors"]], r.get_json()
    assert client.get("/api/v1/enterprises/91320100MA1XXXXX0X/rating").status_code == 400
    assert client.get(f"/api/v1/enterprises/{valid_code_like()}/rating").status_code == 404


def test_models_are_listed_with_their_changelog(client) -> None:
    models = client.get("/api/v1/rating-models").get_json()
    assert [m["version"] for m in models if m["current"]] == [catalog().current]
    assert all(m["changelog"] for m in models)


def test_a_consumer_that_was_down_catches_up(app_ctx, client, parties) -> None:
    from credit.uow import unit_of_work
    from credit.violations import service as violations

    before = _rating(client, parties.owner_uscc)
    regulator_v = make_violation(parties, days_ago=5)  # runs the hooks: rated already
    assert _rating(client, parties.owner_uscc)["score"] < before["score"]
    # A write from another process (no after-commit hooks) waits in the feed ...
    from credit.identity import Identity, IdentityKind

    ident = Identity(
        IdentityKind.REGULATOR,
        "r",
        authority_id=regulator_v.authority_id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset({parties.owner_city}),
    )
    mid = _rating(client, parties.owner_uscc)["score"]
    with unit_of_work(run_hooks=False) as uow:
        violations.revoke_violation(ident, uow, regulator_v.id, "复议撤销", regulator_v.version)
    assert changes.backlog(db.session, "ratings") > 0
    stored = db.session.scalar(
        sa.select(CurrentRating.score)
        .join(Enterprise, Enterprise.id == CurrentRating.enterprise_id)
        .where(Enterprise.uscc == parties.owner_uscc)
    )
    assert stored == mid
    # ... until the consumer runs (the poller, or `credit index catch-up`)
    changes.run_all(db.session, raise_errors=True)
    assert changes.backlog(db.session, "ratings") == 0
    assert _rating(client, parties.owner_uscc)["score"] == before["score"]


def test_sweep_rerates_when_time_alone_changes_the_score(
    app_ctx, client, parties, frozen_clock
) -> None:
    make_violation(parties, days_ago=3)
    first = _rating(client, parties.owner_uscc)
    due = clock.today()
    nxt = db.session.scalar(
        sa.select(CurrentRating.next_change)
        .join(Enterprise, Enterprise.id == CurrentRating.enterprise_id)
        .where(Enterprise.uscc == parties.owner_uscc)
    )
    assert nxt is not None and nxt > due
    assert sweep_stale_ratings(SYSTEM) == 0  # nothing due yet
    frozen_clock.advance((nxt - due).days * 86400)
    assert sweep_stale_ratings(SYSTEM) >= 1
    later = _rating(client, parties.owner_uscc)
    assert later["score"] > first["score"]  # the record weighs less a month on
    newest = db.session.scalar(sa.select(RatingRecord).order_by(RatingRecord.id.desc()))
    assert newest.trigger == "sweep"
    assert sweep_stale_ratings(SYSTEM) == 0  # idempotent
