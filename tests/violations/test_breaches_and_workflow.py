"""Issue 15: breaches that make sense, and the workflow gaps.

- the breach table: which categories can breach which clause; anything else needs a reason;
- the pledge named must be the version in force on the day of the conduct;
- a warning or 通报批评 carries no amount (行政处罚法 Art. 9);
- no second listing on the same basis, no second commendation of the same title, while one
  is in force; no future listing or grant dates;
- early removal from the serious list (移出), and removal when its basis is revoked;
- revoking a record closes its pending objection or repair application;
- one open objection or repair application per record.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from credit.pledges import service as pledges
from credit.pledges.vocab import SEED_TEMPLATES
from credit.uow import unit_of_work
from credit.violations import breaches
from credit.violations.vocab import CATEGORIES
from tests.parties import (
    bearer,
    client_token,
    make_pledge,
    make_violation,
    owner_identity,
    pledge_body,
    seed_templates,
)

TODAY = clock.today


def _body(parties, **overrides) -> dict:
    body = {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕7001号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": TODAY().isoformat(),
    }
    body.update(overrides)
    return body


def _errors(r) -> dict[str, str]:
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.content_type.startswith("application/problem+json")
    return {e["field"]: e.get("code") for e in r.get_json()["errors"]}


def _pledge_from(uscc: str, valid_from: date):
    """A published standard pledge whose validity began on ``valid_from``."""
    template = seed_templates()["ECOM-STD"]
    data = pledge_body(template)
    data["valid_from"] = valid_from
    data["valid_until"] = TODAY() + timedelta(days=300)
    identity = owner_identity(uscc)
    with unit_of_work() as uow:
        p = pledges.create_pledge(identity, uow, data)
    with unit_of_work() as uow:
        return pledges.publish_pledge(identity, uow, p.id, p.version)


def _amend_and_publish(uscc: str, pledge_id: str):
    identity = owner_identity(uscc)
    with unit_of_work() as uow:
        draft = pledges.amend_pledge(identity, uow, pledge_id)
    with unit_of_work() as uow:
        return pledges.publish_pledge(identity, uow, draft.id, draft.version)


# -- the breach table ---------------------------------------------------------------------
def test_the_breach_table_covers_every_seed_clause_with_a_reason() -> None:
    table = breaches.table()
    seeded = {c[0] for t in SEED_TEMPLATES for c in t["clauses"]}
    assert seeded <= set(table)
    for rule in table.values():
        assert rule.categories <= set(CATEGORIES)
        assert rule.reason and rule.citation
    # the rows the issue names
    assert breaches.may_breach("pricing", "C05")
    assert not breaches.may_breach("pricing", "C07")
    assert breaches.may_breach("personal_information", "C07")
    assert breaches.categories_for("C11") == []  # a consent: no conduct breaches it


def test_templates_show_the_tables_categories(app_ctx, client) -> None:
    seed_templates()
    body = client.get("/api/v1/pledge-templates").get_json()
    items = body["items"] if isinstance(body, dict) else body
    std = next(t for t in items if t["code"] == "ECOM-STD")
    by_code = {c["code"]: c["breaking_categories"] for c in std["clauses"]}
    assert by_code["C05"] == ["pricing", "tying"] and by_code["C12"] == []


def test_a_category_outside_the_table_needs_a_reason(client, parties, reg_in) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    named = [
        {"pledge_id": pledge.id, "clause": "C05"},
        {"pledge_id": pledge.id, "clause": "C07"},
    ]
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, category="pricing", breached_clauses=named),
        headers=reg_in,
    )
    assert _errors(r) == {"breached_clauses.1": "category_cannot_breach"}
    named[1]["breach_reason"] = "虚构原价活动中违规收集消费者手机号码"
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, category="pricing", breached_clauses=named),
        headers=reg_in,
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    shown = client.get(f"/api/v1/violations/{r.get_json()['id']}").get_json()["breached_clauses"]
    assert shown == [
        {"pledge_id": pledge.id, "clause": "C05", "breach_reason": None},
        {"pledge_id": pledge.id, "clause": "C07", "breach_reason": named[1]["breach_reason"]},
    ]
    assert client.get(f"/api/v1/pledges/{pledge.id}").get_json()["breached_clauses"] == [
        "C05",
        "C07",
    ]


def test_the_same_clause_twice_and_a_clause_the_pledge_lacks_are_field_errors(
    client, parties, reg_in
) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    named = [
        {"pledge_id": pledge.id, "clause": "C03"},
        {"pledge_id": pledge.id, "clause": "C03"},
        {"pledge_id": pledge.id, "clause": "C99"},
    ]
    r = client.post(
        "/api/v1/violations", json=_body(parties, breached_clauses=named), headers=reg_in
    )
    assert _errors(r) == {
        "breached_clauses.1": "duplicate",
        "breached_clauses.2": "invalid_clause",
    }


# -- the version in force on the day of the conduct ------------------------------------
def test_only_the_version_in_force_on_the_conduct_date_can_be_named(
    client, parties, reg_in
) -> None:
    first = _pledge_from(parties.owner_uscc, TODAY() - timedelta(days=30))
    second = _amend_and_publish(parties.owner_uscc, first.id)  # supersedes it today
    draft = make_pledge(parties.owner_uscc)
    yesterday = (TODAY() - timedelta(days=1)).isoformat()

    def record(number: str, pledge_id: str, conduct: str | None):
        extra = {"conduct_date": conduct} if conduct else {}
        return client.post(
            "/api/v1/violations",
            json=_body(
                parties,
                decision_number=number,
                breached_clauses=[{"pledge_id": pledge_id, "clause": "C03"}],
                **extra,
            ),
            headers=reg_in,
        )

    # conduct today (the default: the decision date): the amendment is in force, the
    # superseded version no longer, a draft never
    assert _errors(record("苏市监罚〔2026〕7101号", first.id, None)) == {
        "breached_clauses.0": "not_in_force"
    }
    assert _errors(record("苏市监罚〔2026〕7102号", draft.id, None)) == {
        "breached_clauses.0": "not_in_force"
    }
    ok = record("苏市监罚〔2026〕7103号", second.id, None)
    assert ok.status_code == 201 and ok.get_json()["conduct_date"] == TODAY().isoformat()
    # conduct yesterday: the first version was the one in force
    assert _errors(record("苏市监罚〔2026〕7104号", second.id, yesterday)) == {
        "breached_clauses.0": "not_in_force"
    }
    ok = record("苏市监罚〔2026〕7105号", first.id, yesterday)
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert ok.get_json()["conduct_date"] == yesterday
    # before the pledge's validity: nothing was in force
    before = (TODAY() - timedelta(days=31)).isoformat()
    assert _errors(record("苏市监罚〔2026〕7106号", first.id, before)) == {
        "breached_clauses.0": "not_in_force"
    }


@pytest.mark.parametrize(
    ("conduct", "code"),
    [(lambda: TODAY() + timedelta(days=1), "conduct_date"), (lambda: "2001-01-01", "conduct_date")],
)
def test_a_conduct_date_after_the_decision_or_out_of_bounds_is_refused(
    client, parties, reg_in, conduct, code
) -> None:
    value = conduct()
    r = client.post(
        "/api/v1/violations",
        json=_body(
            parties,
            decision_date=(TODAY() - timedelta(days=2)).isoformat(),
            conduct_date=value if isinstance(value, str) else value.isoformat(),
        ),
        headers=reg_in,
    )
    assert code in _errors(r)


def test_conduct_after_the_decision_is_refused(client, parties, reg_in) -> None:
    r = client.post(
        "/api/v1/violations",
        json=_body(
            parties,
            decision_date=(TODAY() - timedelta(days=5)).isoformat(),
            conduct_date=(TODAY() - timedelta(days=1)).isoformat(),
        ),
        headers=reg_in,
    )
    assert "conduct_date" in _errors(r)


# -- penalties and amounts ----------------------------------------------------------------
@pytest.mark.parametrize("penalty", ["warning", "criticism", "revocation"])
def test_a_penalty_that_is_not_of_money_carries_no_amount(client, parties, reg_in, penalty):
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, penalty_type=penalty, penalty_amount=5000),
        headers=reg_in,
    )
    assert _errors(r) == {"penalty_amount": None} or "penalty_amount" in _errors(r)
    ok = client.post(
        "/api/v1/violations",
        json=_body(parties, penalty_type=penalty, penalty_amount=None),
        headers=reg_in,
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)


def test_a_correction_cannot_give_a_warning_an_amount(client, parties, reg_in) -> None:
    r = client.post(
        "/api/v1/violations",
        json=_body(parties, penalty_type="warning", penalty_amount=None),
        headers=reg_in,
    )
    url = f"/api/v1/violations/{r.get_json()['id']}/corrections"
    etag = r.headers["ETag"]
    bad = client.post(
        url,
        json={"field": "penalty_amount", "new_value": 3000, "reason": "补录罚款金额"},
        headers={**reg_in, "If-Match": etag},
    )
    assert _errors(bad) == {"new_value": "inconsistent"}
    fine = make_violation(parties, decision_number="苏市监罚〔2026〕7201号")
    bad = client.post(
        f"/api/v1/violations/{fine.id}/corrections",
        json={"field": "penalty_type", "new_value": "warning", "reason": "处罚种类录入有误"},
        headers={**reg_in, "If-Match": f'"{fine.version}"'},
    )
    assert _errors(bad) == {"new_value": "inconsistent"}


def test_a_category_correction_must_fit_the_named_clauses(client, parties, reg_in) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}])
    r = client.post(
        f"/api/v1/violations/{v.id}/corrections",
        json={"field": "category", "new_value": "pricing", "reason": "类别录入有误"},
        headers={**reg_in, "If-Match": f'"{v.version}"'},
    )
    assert _errors(r) == {"new_value": "inconsistent"}


# -- the serious list and commendations --------------------------------------------------
def _listing(parties, **overrides) -> dict:
    today = TODAY()
    body = {
        "uscc": parties.owner_uscc,
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
        "reason": "一年内因刷单炒信两次受到较重行政处罚",
        "listed_on": today.isoformat(),
        "remove_on": (today + timedelta(days=3 * 365)).isoformat(),
    }
    body.update(overrides)
    return body


def test_no_second_listing_on_the_same_basis_while_one_is_in_force(client, parties, reg_in) -> None:
    v = make_violation(parties, severity="serious", decision_number="苏市监罚〔2026〕7301号")
    first = client.post(
        "/api/v1/serious-list", json=_listing(parties, violation_id=v.id), headers=reg_in
    )
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post(
        "/api/v1/serious-list", json=_listing(parties, violation_id=v.id), headers=reg_in
    )
    assert again.status_code == 409 and first.get_json()["id"] in again.get_json()["detail"]
    # on another record it is a listing of its own
    other = make_violation(parties, severity="serious", decision_number="苏市监罚〔2026〕7302号")
    assert (
        client.post(
            "/api/v1/serious-list", json=_listing(parties, violation_id=other.id), headers=reg_in
        ).status_code
        == 201
    )
    # without a record, the same authority and legal basis is the same basis
    plain = _listing(parties, legal_basis="《市场监督管理严重违法失信名单管理办法》第十条")
    assert client.post("/api/v1/serious-list", json=plain, headers=reg_in).status_code == 201
    assert client.post("/api/v1/serious-list", json=plain, headers=reg_in).status_code == 409
    # a basis that is not an active record of this firm is a field error
    bad = client.post(
        "/api/v1/serious-list", json=_listing(parties, violation_id="nope"), headers=reg_in
    )
    assert _errors(bad) == {"violation_id": "invalid_basis"}


def test_no_second_commendation_of_the_same_title_while_one_is_valid(
    client, parties, reg_in
) -> None:
    honour = {
        "uscc": parties.owner_uscc,
        "title": "江苏省电子商务示范企业",
        "legal_basis": "江苏省商务厅认定文件",
        "granted_on": TODAY().isoformat(),
        "valid_until": (TODAY() + timedelta(days=365)).isoformat(),
    }
    assert client.post("/api/v1/commendations", json=honour, headers=reg_in).status_code == 201
    assert client.post("/api/v1/commendations", json=honour, headers=reg_in).status_code == 409
    other = {**honour, "title": "江苏省跨境电子商务示范企业"}
    assert client.post("/api/v1/commendations", json=other, headers=reg_in).status_code == 201


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/v1/commendations", "granted_on"), ("/api/v1/serious-list", "listed_on")],
)
def test_grant_and_listing_dates_in_the_future_are_refused(client, parties, reg_in, path, field):
    tomorrow = (TODAY() + timedelta(days=1)).isoformat()
    body = (
        {
            "uscc": parties.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "江苏省商务厅认定文件",
            "granted_on": tomorrow,
            "valid_until": (TODAY() + timedelta(days=365)).isoformat(),
        }
        if field == "granted_on"
        else _listing(parties, listed_on=tomorrow)
    )
    assert field in _errors(client.post(path, json=body, headers=reg_in))


def _rating(client, uscc: str) -> dict:
    return client.get(f"/api/v1/enterprises/{uscc}/rating").get_json()


def _search_score(app, client, uscc: str) -> int:
    from search.documents import ENTERPRISES

    app.extensions["credit.search"].refresh(ENTERPRISES)
    items = client.get("/api/v1/search", query_string={"q": uscc}).get_json()["items"]
    return next(i["credit_score"] for i in items if i["uscc"] == uscc)


def test_early_removal_after_repair_needs_a_year_and_the_rating_follows(
    app_ctx, client, parties, reg_in, reg_out
) -> None:
    listed_on = TODAY() - timedelta(days=400)
    entry = client.post(
        "/api/v1/serious-list",
        json=_listing(parties, listed_on=listed_on.isoformat()),
        headers=reg_in,
    ).get_json()
    assert "HARD_SERIOUS_LIST" in _rating(client, parties.owner_uscc)["hard_rules"]
    url = f"/api/v1/serious-list/{entry['id']}/removal"
    body = {
        "ground": "credit_repair",
        "removed_on": (listed_on + timedelta(days=200)).isoformat(),
        "reason": "已履行处罚决定义务并完成整改，申请提前移出",
    }
    assert _errors(client.post(url, json=body, headers=reg_in)) == {"removed_on": "too_early"}
    assert client.post(url, json=body, headers=reg_out).status_code in (403, 404)
    body["removed_on"] = TODAY().isoformat()
    r = client.post(url, json=body, headers=reg_in)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["removal_ground"] == "credit_repair"
    assert r.get_json()["removed_on"] == TODAY().isoformat()
    assert client.post(url, json=body, headers=reg_in).status_code == 409
    after = _rating(client, parties.owner_uscc)
    assert "HARD_SERIOUS_LIST" not in after["hard_rules"]
    assert _search_score(app_ctx, client, parties.owner_uscc) == after["score"]  # search too
    standing = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/standing").get_json()
    assert standing["serious_list"] == []


def test_a_listing_whose_basis_is_not_revoked_cannot_be_removed_on_that_ground(
    client, parties, reg_in
) -> None:
    entry = client.post("/api/v1/serious-list", json=_listing(parties), headers=reg_in).get_json()
    r = client.post(
        f"/api/v1/serious-list/{entry['id']}/removal",
        json={"ground": "basis_revoked", "removed_on": TODAY().isoformat(), "reason": "撤销"},
        headers=reg_in,
    )
    assert _errors(r) == {"ground": "basis_not_revoked"}
    r = client.post(
        f"/api/v1/serious-list/{entry['id']}/removal",
        json={"ground": "error", "removed_on": TODAY().isoformat(), "reason": "列入对象错误"},
        headers=reg_in,
    )
    assert r.status_code == 200


def test_revoking_the_basis_removes_the_listing_at_once(client, parties, reg_in) -> None:
    from credit.violations.models import SeriousListEntry

    v = make_violation(parties, severity="serious", decision_number="苏市监罚〔2026〕7401号")
    client.post("/api/v1/serious-list", json=_listing(parties, violation_id=v.id), headers=reg_in)
    assert "HARD_SERIOUS_LIST" in _rating(client, parties.owner_uscc)["hard_rules"]
    r = client.post(
        f"/api/v1/violations/{v.id}/revocation",
        json={"reason": "行政复议决定撤销原处罚"},
        headers={**reg_in, "If-Match": f'"{v.version}"'},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    entry = db.session.scalar(sa.select(SeriousListEntry))
    db.session.refresh(entry)
    assert entry.removed_at is not None and entry.removal_ground == "basis_revoked"
    assert entry.removed_on == TODAY()
    assert _rating(client, parties.owner_uscc)["hard_rules"] == []


# -- objections and repairs ---------------------------------------------------------------
def _owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


def test_revoking_a_record_closes_its_pending_objection(client, parties, reg_in) -> None:
    v = make_violation(parties)
    owner = _owner(client, parties)
    objection = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "处罚对象认定错误，涉事店铺非本企业经营"},
    ).get_json()
    assert len(client.get("/api/v1/regulator/objections", headers=reg_in).get_json()["items"]) == 1
    etag = client.get(f"/api/v1/violations/{v.id}", headers=reg_in).headers["ETag"]
    r = client.post(
        f"/api/v1/violations/{v.id}/revocation",
        json={"reason": "发现处罚对象错误，主动撤销"},
        headers={**reg_in, "If-Match": etag},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert client.get("/api/v1/regulator/objections", headers=reg_in).get_json()["items"] == []
    closed = client.get(
        "/api/v1/regulator/objections", headers=reg_in, query_string={"status": "closed"}
    ).get_json()["items"]
    assert [c["id"] for c in closed] == [objection["id"]]
    shown = client.get(f"/api/v1/objections/{objection['id']}", headers=owner).get_json()
    assert shown["status"] == "closed" and "撤销" in shown["decision_reason"]
    assert shown["decided_at"] is not None


def test_revoking_a_record_closes_its_pending_repair(client, parties, reg_in) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=120)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    owner = _owner(client, parties)
    applied = client.post(
        f"/api/v1/violations/{v.id}/repairs",
        headers=owner,
        json={"pledge_id": repair_pledge.id, "statement": "已整改并缴清罚款"},
    ).get_json()
    etag = client.get(f"/api/v1/violations/{v.id}", headers=reg_in).headers["ETag"]
    client.post(
        f"/api/v1/violations/{v.id}/revocation",
        json={"reason": "行政复议决定撤销原处罚"},
        headers={**reg_in, "If-Match": etag},
    )
    assert client.get("/api/v1/regulator/repairs", headers=reg_in).get_json()["items"] == []
    shown = client.get(f"/api/v1/repairs/{applied['id']}", headers=owner).get_json()
    assert shown["status"] == "closed"
    decided = client.post(
        f"/api/v1/repairs/{applied['id']}/decision",
        headers=reg_in,
        json={"accepted": True, "reason": "同意修复"},
    )
    assert decided.status_code == 409


def test_an_objection_and_a_repair_are_never_open_at_once(client, parties, reg_in) -> None:
    seed_templates()
    v = make_violation(parties, days_ago=120)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    owner = _owner(client, parties)
    objection = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "处罚对象认定错误，涉事店铺非本企业经营"},
    ).get_json()
    repair = {"pledge_id": repair_pledge.id, "statement": "已整改并缴清罚款"}
    r = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=repair)
    assert r.status_code == 409 and objection["id"] in r.get_json()["detail"]
    client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        headers=reg_in,
        json={"accepted": False, "reason": "经核查，处罚对象无误"},
    )
    r = client.post(f"/api/v1/violations/{v.id}/repairs", headers=owner, json=repair)
    assert r.status_code == 201, r.get_data(as_text=True)
    again = client.post(
        f"/api/v1/violations/{v.id}/objections",
        headers=owner,
        json={"reasons": "再次对处罚事实提出异议"},
    )
    assert again.status_code == 409 and r.get_json()["id"] in again.get_json()["detail"]
