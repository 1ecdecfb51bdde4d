"""Records under the publicity rules through the API: the minor-publication flag (validated,
stored, shown), the regime of each kind of authority (SAMR's for market regulators), the
deadlines each record carries, early repair refused where SAMR excludes it, the withdrawal
deadline on revocation, the published rules, and bringing records in line after a change.

Dates are fixed (decided 2026-04-01, recorded 2026-04-10) so every expected date is written
out by hand from the rules.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from credit.extensions import db
from credit.violations.models import Violation
from tests.parties import bearer, client_token, make_pledge, seed_templates

DECIDED = date(2026, 4, 1)
TODAY = date(2026, 4, 10)


def _at(frozen_clock, day: date) -> None:
    frozen_clock.now = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)


@pytest.fixture
def on_day(frozen_clock):
    _at(frozen_clock, TODAY)
    return frozen_clock


def _body(parties, number: str = "苏市监罚〔2026〕501号", **overrides) -> dict:
    body = {
        "uscc": parties.owner_uscc,
        "category": "false_advertising",
        "severity": "general",
        "decision_number": number,
        "legal_basis": "《反不正当竞争法》第八条",
        "facts": "在商品详情页作虚假宣传",
        "penalty_type": "fine",
        "penalty_amount": 20000,
        "decision_date": DECIDED.isoformat(),
    }
    body.update(overrides)
    return body


def _fields(r) -> dict[str, str]:
    return {e["field"]: e.get("code") for e in r.get_json().get("errors", [])}


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["credit", *args])


def _changed(output: str) -> list[dict]:
    """The records a ``publicity recompute`` printed (one JSON line each)."""
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [r for r in rows if "id" in r]


def _market_regulator(app) -> None:
    """The regulator over the owner's city is a market regulator from now on."""
    result = _cli(app, "authorities", "set-kind", "--code", "IN", "--kind", "market_regulation")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["regime"] == "SAMR"


# -- the minor-publication flag (NDRC Order 36) -------------------------------------------
def test_a_minor_record_is_published_on_request_for_3_months(client, reg_in, parties, on_day):
    reason = "涉及婴幼儿食品，确有必要公示"
    body = _body(
        parties, severity="minor", penalty_type="warning", penalty_amount=None, publish_minor=True
    )
    r = client.post(
        "/api/v1/violations", json={**body, "publish_minor_reason": reason}, headers=reg_in
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    v = r.get_json()
    assert (v["publish_minor"], v["publish_minor_reason"], v["status"]) == (
        True,
        reason,
        "published",
    )
    assert v["regime"] == "NDRC" and v["rule_version"] == "NDRC-36-2026"
    assert v["publish_until"] == "2026-07-01"  # 3 months after the decision day
    assert v["repairable_from"] == "2026-04-01"  # no minimum: repairable once duties are met
    public = client.get(f"/api/v1/violations/{v['id']}").get_json()  # anyone sees it
    assert public["publish_minor_reason"] == reason
    plain = client.post(
        "/api/v1/violations",
        json=_body(
            parties,
            "苏市监罚〔2026〕502号",
            severity="minor",
            penalty_type="warning",
            penalty_amount=None,
        ),
        headers=reg_in,
    ).get_json()
    assert plain["status"] == "not_published" and plain["publish_minor"] is False
    assert client.get(f"/api/v1/violations/{plain['id']}").status_code == 404


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"publish_minor": True}, "publish_minor_reason", None),  # no reason
        ({"publish_minor_reason": "确有必要"}, "publish_minor_reason", None),  # no flag
        (
            {"severity": "general", "publish_minor": True, "publish_minor_reason": "确有必要"},
            "publish_minor",
            "not_minor",
        ),
        (
            {
                "decision_date": "2026-03-31",
                "publish_minor": True,
                "publish_minor_reason": "确有必要",
            },
            "publish_minor",
            "not_available",  # Order 58 has no such rule
        ),
        ({"published_on": "2026-03-30"}, "published_on", "too_early"),  # before the decision
        ({"published_on": "2026-04-11"}, "published_on", None),  # after today
    ],
)
def test_the_flag_and_the_publication_date_are_checked(
    client, reg_in, parties, on_day, extra, field, code
):
    body = {
        **_body(parties, severity="minor", penalty_type="warning", penalty_amount=None),
        **extra,
    }
    r = client.post("/api/v1/violations", json=body, headers=reg_in)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert field in _fields(r)
    if code:
        assert _fields(r)[field] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Violation)) == 0


# -- the regime of each kind of authority -------------------------------------------------
def test_a_market_regulator_follows_samr_rules(app, client, reg_in, parties, on_day):
    _market_regulator(app)
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, penalty_amount=2000, published_on="2026-04-08"),
        headers=reg_in,
    )
    v = r.get_json()
    assert r.status_code == 201 and v["regime"] == "SAMR", v
    assert v["published_on"] == v["public_from"] == "2026-04-08"
    assert v["publish_until"] == "2026-07-08"  # a lower fine: 3 months from publication
    assert v["publish_by"] == "2026-04-30"  # 20 working days after the decision
    assert v["repairable_from"] == "2026-07-02" and v["repairable"] is True
    warning = client.post(
        "/api/v1/violations",
        json=_body(parties, "苏市监罚〔2026〕503号", penalty_type="warning", penalty_amount=None),
        headers=reg_in,
    ).get_json()
    assert warning["status"] == "not_published" and warning["publish_by"] is None


def test_other_authorities_follow_the_national_rules(client, reg_in, parties, on_day):
    v = client.post(
        "/api/v1/violations", json=_body(parties, penalty_amount=2000), headers=reg_in
    ).get_json()
    assert v["regime"] == "NDRC"
    assert v["public_from"] == "2026-04-01" and v["published_on"] == "2026-04-10"
    assert v["publish_until"] == "2027-04-01"  # Order 36, general: 1 year
    assert v["publish_by"] == "2026-04-13"  # 7 working days (Qingming 4-6 April off)


def test_samr_excludes_early_repair_and_gives_7_working_days(
    app, client, reg_in, parties, frozen_clock
):
    _at(frozen_clock, TODAY)
    seed_templates()
    _market_regulator(app)
    excluded = client.post(
        "/api/v1/violations",
        json=_body(parties, severity="serious", penalty_type="revocation", penalty_amount=None),
        headers=reg_in,
    ).get_json()
    assert excluded["repairable"] is False and excluded["repairable_from"] == "2029-04-02"
    fine = client.post(
        "/api/v1/violations", json=_body(parties, "苏市监罚〔2026〕504号"), headers=reg_in
    ).get_json()
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    _at(frozen_clock, date(2026, 7, 2))  # the general record's first repairable day
    owner = bearer(client_token(client, parties.clients["owner"]))
    body = {"pledge_id": repair_pledge.id, "statement": "已停止违法行为并完成整改"}
    refused = client.post(f"/api/v1/violations/{excluded['id']}/repairs", headers=owner, json=body)
    assert refused.status_code == 400 and _fields(refused) == {"violation": "repair_excluded"}
    ok = client.post(f"/api/v1/violations/{fine['id']}/repairs", headers=owner, json=body)
    assert ok.status_code == 201, ok.get_data(as_text=True)
    # Applied on Thu 2 Jul 2026: 7 working days are 3, 6, 7, 8, 9, 10, 13 July.
    assert ok.get_json()["due_date"] == "2026-07-13"


# -- revocation: the withdrawal deadline --------------------------------------------------
def test_revocation_records_the_withdrawal_deadline(client, reg_in, parties, on_day):
    r = client.post("/api/v1/violations", json=_body(parties), headers=reg_in)
    url = f"/api/v1/violations/{r.get_json()['id']}/revocation"
    too_early = client.post(
        url,
        json={"reason": "复议撤销", "decision_revoked_on": "2026-03-31"},
        headers={**reg_in, "If-Match": r.headers["ETag"]},
    )
    assert too_early.status_code == 400 and "decision_revoked_on" in _fields(too_early)
    ok = client.post(
        url,
        json={"reason": "复议撤销", "decision_revoked_on": "2026-04-03"},
        headers={**reg_in, "If-Match": r.headers["ETag"]},
    )
    v = ok.get_json()
    assert ok.status_code == 200 and v["status"] == "revoked"
    # Revoked on Fri 3 Apr; Qingming 4-6 April off: Tue 7, Wed 8, Thu 9.
    assert (v["decision_revoked_on"], v["withdraw_by"]) == ("2026-04-03", "2026-04-09")


# -- the published rules ------------------------------------------------------------------
def test_the_rules_are_published_with_their_citations(client):
    r = client.get("/api/v1/publicity-rules")
    assert r.status_code == 200
    rules = r.get_json()
    assert [v["code"] for v in rules["versions"]] == ["NDRC-58-2023", "NDRC-36-2026"]
    assert rules["authority_kinds"]["market_regulation"]["regime"] == "SAMR"
    assert rules["regimes"]["SAMR"]["deadlines"]["publish_workdays"]["cite"]["article"] == "Art. 9"
    for v in rules["versions"]:
        for row in v["severities"].values():
            assert row["cite"]["source"] in rules["sources"]


def test_authority_kinds_are_checked(app, app_ctx):
    bad = _cli(
        app,
        "authorities",
        "create",
        "--code",
        "X",
        "--name",
        "某局",
        "--jurisdiction",
        "320500",
        "--kind",
        "police",
    )
    assert bad.exit_code != 0 and "kind" in bad.output
    ok = _cli(
        app,
        "authorities",
        "create",
        "--code",
        "JS-COM-3205",
        "--name",
        "苏州市商务局",
        "--jurisdiction",
        "320500",
        "--kind",
        "commerce",
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["regime"] == "NDRC"


# -- bringing records in line -------------------------------------------------------------
def test_recompute_brings_records_in_line_as_change_events(app, client, reg_in, parties, on_day):
    from credit.changes import ChangeEvent

    v = client.post(
        "/api/v1/violations", json=_body(parties, penalty_amount=2000), headers=reg_in
    ).get_json()
    assert v["regime"] == "NDRC" and v["publish_until"] == "2027-04-01"
    _market_regulator(app)
    dry = _cli(app, "publicity", "recompute", "--dry-run")
    assert dry.exit_code == 0, dry.output
    [line] = _changed(dry.output)
    assert line["id"] == v["id"]
    assert line["changed"]["regime"] == ["NDRC", "SAMR"]
    assert line["changed"]["publish_until"] == ["2027-04-01", "2026-07-10"]
    db.session.expire_all()
    assert db.session.get(Violation, v["id"]).regime == "NDRC"  # a dry run changes nothing
    events = db.session.scalar(sa.select(sa.func.count()).select_from(ChangeEvent))
    assert _cli(app, "publicity", "recompute").exit_code == 0
    db.session.expire_all()
    after = client.get(f"/api/v1/violations/{v['id']}").get_json()
    assert (after["regime"], after["publish_until"], after["version"]) == (
        "SAMR",
        "2026-07-10",
        v["version"] + 1,
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeEvent)) > events
    again = _cli(app, "publicity", "recompute")
    assert again.exit_code == 0 and _changed(again.output) == []  # nothing left to change


def test_publicity_show_prints_every_rule_with_its_citation(app):
    result = _cli(app, "publicity", "show")
    assert result.exit_code == 0, result.output
    assert "kind market_regulation" in result.output and "-> SAMR" in result.output
    assert "NDRC-58-2023 2023-05-01..2026-03-31" in result.output
    assert "《市场监督管理行政处罚信息公示规定》Art. 9" in result.output
    assert "no early repair: ['restriction', 'revocation', 'suspension']" in result.output


# -- deadlines: the day of is in time, the day after is late ------------------------------
@pytest.mark.parametrize(
    ("kind", "published_on", "late"),
    [
        ("other", "2026-04-13", False),  # NDRC: 7 working days after Wed 1 Apr (Qingming off)
        ("other", "2026-04-14", True),
        ("market_regulation", "2026-04-30", False),  # SAMR Order 45 Art. 9: 20 working days
        ("market_regulation", "2026-05-01", True),
    ],
)
def test_publication_on_the_last_day_is_in_time(
    app, client, reg_in, parties, frozen_clock, kind, published_on, late
):
    _at(frozen_clock, date(2026, 5, 6))
    if kind != "other":
        _market_regulator(app)
    v = client.post(
        "/api/v1/violations", json=_body(parties, published_on=published_on), headers=reg_in
    ).get_json()
    assert v["published_on"] == published_on and v["published_late"] is late, v


@pytest.mark.parametrize(
    ("revoked_on", "late"), [(date(2026, 4, 9), False), (date(2026, 4, 10), True)]
)
def test_withdrawal_on_the_last_day_is_in_time(
    client, reg_in, parties, frozen_clock, revoked_on, late
):
    _at(frozen_clock, date(2026, 4, 3))
    r = client.post("/api/v1/violations", json=_body(parties), headers=reg_in)
    assert r.get_json()["withdrawn_late"] is None
    _at(frozen_clock, revoked_on)
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    v = client.post(
        f"/api/v1/violations/{r.get_json()['id']}/revocation",
        json={"reason": "复议撤销", "decision_revoked_on": "2026-04-03"},
        headers={**reg, "If-Match": r.headers["ETag"]},
    ).get_json()
    # Decision revoked Fri 3 Apr: withdraw by Thu 9 Apr (Qingming 4-6 April off).
    assert v["withdraw_by"] == "2026-04-09" and v["withdrawn_late"] is late
