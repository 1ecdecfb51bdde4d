"""As-of replays in two views (issue 15): ``legal`` (what the rules say applied on the day:
decision and validity dates) and ``recorded`` (what was known and public on the day: what
the platform had recorded by then). A record recorded after its decision, and a pledge
published after its validity began, are where they differ."""

from __future__ import annotations

from datetime import timedelta

from credit import clock
from credit.pledges import service as pledges
from credit.uow import unit_of_work
from tests.parties import make_violation, owner_identity, pledge_body, seed_templates


def _replay(client, uscc, **query):
    r = client.get(f"/api/v1/enterprises/{uscc}/rating", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def _codes(rating) -> set[str]:
    return {f["code"] for f in rating["factors"]}


def test_a_record_recorded_after_its_decision(app_ctx, client, parties) -> None:
    v = make_violation(parties, days_ago=10)  # decided 10 days ago, recorded today
    day = (clock.today() - timedelta(days=5)).isoformat()
    legal = _replay(client, parties.owner_uscc, as_of=day, view="legal")
    recorded = _replay(client, parties.owner_uscc, as_of=day, view="recorded")
    assert "VIOLATION" in _codes(legal) and "VIOLATION" not in _codes(recorded)
    assert recorded["score"] > legal["score"]
    assert (legal["view"], recorded["view"]) == ("legal", "recorded")
    assert "decision" in legal["view_note_en"] and "recorded" in recorded["view_note_en"]
    [as_legal] = [r for r in legal["records"] if r["kind"] == "violation"]
    [as_recorded] = [r for r in recorded["records"] if r["kind"] == "violation"]
    assert as_legal == {
        "kind": "violation",
        "ref": v.id,
        "legal_date": v.decision_date.isoformat(),
        "recorded_on": clock.today().isoformat(),
        "basis": "decision_date",
        "counted_from": v.decision_date.isoformat(),
        "known": True,
    }
    assert as_recorded["basis"] == "recorded_at" and as_recorded["known"] is False
    assert as_recorded["counted_from"] == clock.today().isoformat()
    # today both views know it
    today = clock.today().isoformat()
    assert "VIOLATION" in _codes(_replay(client, parties.owner_uscc, as_of=today, view="recorded"))
    # the default view is legal
    assert _replay(client, parties.owner_uscc, as_of=day)["view"] == "legal"


def test_a_pledge_published_after_its_validity_began(app_ctx, client, parties) -> None:
    template = seed_templates()["ECOM-STD"]
    data = pledge_body(template)
    data["valid_from"] = clock.today() - timedelta(days=30)
    data["valid_until"] = clock.today() + timedelta(days=300)
    identity = owner_identity(parties.owner_uscc)
    with unit_of_work() as uow:
        p = pledges.create_pledge(identity, uow, data)
    with unit_of_work() as uow:
        pledges.publish_pledge(identity, uow, p.id, p.version)
    day = (clock.today() - timedelta(days=10)).isoformat()
    legal = _replay(client, parties.owner_uscc, as_of=day, view="legal")
    recorded = _replay(client, parties.owner_uscc, as_of=day, view="recorded")
    assert "PLEDGE_IN_FORCE" in _codes(legal) and "PLEDGE_IN_FORCE" not in _codes(recorded)
    [basis] = [r for r in legal["records"] if r["kind"] == "pledge"]
    assert (
        basis["basis"] == "in_force_from"
        and basis["counted_from"] == data["valid_from"].isoformat()
    )
    [basis] = [r for r in recorded["records"] if r["kind"] == "pledge"]
    assert basis["basis"] == "published_at" and basis["known"] is False


def test_the_published_rating_says_so_and_a_bad_view_is_a_field_error(
    app_ctx, client, parties
) -> None:
    stored = _replay(client, parties.owner_uscc)
    assert stored["view"] == "published" and stored["records"] == []
    r = client.get(
        f"/api/v1/enterprises/{parties.owner_uscc}/rating", query_string={"view": "hindsight"}
    )
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "view"
    explained = client.get(
        f"/api/v1/enterprises/{parties.owner_uscc}/rating/explain",
        query_string={"view": "recorded"},
    ).get_json()
    assert explained["rating"]["view"] == "recorded"


def test_a_redacted_record_keeps_only_how_it_was_counted(app_ctx, client, parties, reg_in):
    v = make_violation(parties, days_ago=10, decision_number="苏市监罚〔2026〕6601号")
    client.post(
        f"/api/v1/violations/{v.id}/revocation",
        json={"reason": "行政复议决定撤销原处罚"},
        headers={**reg_in, "If-Match": f'"{v.version}"'},
    )
    day = (clock.today() - timedelta(days=5)).isoformat()
    public = _replay(client, parties.owner_uscc, as_of=day)
    [row] = [r for r in public["records"] if r["kind"] == "violation"]
    assert row["ref"] is None and row["legal_date"] is None and row["basis"] == "decision_date"
