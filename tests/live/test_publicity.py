"""Over the real server (issue 15, publicity rules): a minor record its authority decides to
publish is shown with its reason everywhere the public looks (API, search, the firm's page,
its credit report), and one recorded without the flag nowhere; a refused flag is a
problem+json naming the field with the Chinese text in the body, never in a header; a
market regulator's records follow SAMR's rules; the rules themselves are published.

The server's clock is the real one, so dates here are relative to today and checked with
month arithmetic written out in the test (the exact edges are tests/unit/
test_publicity_rules.py and tests/violations/test_publicity_agreement.py).
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.accounts.models import Authority
from credit.extensions import db
from credit.uow import unit_of_work
from tests.parties import make_parties

REASON = "涉及婴幼儿用品安全，确有必要公示"


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def months_after(day: date, n: int) -> date:
    """The same day n months later, or that month's last day (Civil Code Art. 202)."""
    m = day.month - 1 + n
    year, month = day.year + m // 12, m % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def body(parties, number: str, **overrides) -> dict:
    out = {
        "uscc": parties.owner_uscc,
        "category": "consumer_rights",
        "severity": "minor",
        "decision_number": number,
        "legal_basis": "《中华人民共和国消费者权益保护法》第二十五条",
        "facts": "未按规定履行七日无理由退货义务",
        "penalty_type": "warning",
        "penalty_amount": None,
        "decision_date": (clock.today() - timedelta(days=5)).isoformat(),
    }
    out.update(overrides)
    return out


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_minor_record_published_on_request_is_shown_with_its_reason(live, parties) -> None:
    reg = live.bearer(parties.clients["reg_in"])
    flagged = body(
        parties, "苏市监罚〔2026〕7001号", publish_minor=True, publish_minor_reason=REASON
    )
    r = live.post("/api/v1/violations", json=flagged, headers=reg)
    assert r.status_code == 201, r.text
    v = r.json()
    decided = date.fromisoformat(v["decision_date"])
    assert v["status"] == "published" and v["publish_minor"] is True
    assert v["publish_until"] == months_after(decided, 3).isoformat()  # at most 3 months
    assert v["repairable_from"] == decided.isoformat()
    plain = live.post(
        "/api/v1/violations", json=body(parties, "苏市监罚〔2026〕7002号"), headers=reg
    ).json()
    assert plain["status"] == "not_published"

    # The public API: the flagged record with its reason; the other one not at all.
    shown = live.get(f"/api/v1/violations/{v['id']}")
    assert shown.status_code == 200 and shown.json()["publish_minor_reason"] == REASON
    assert live.get(f"/api/v1/violations/{plain['id']}").status_code == 404
    listed = live.get(f"/api/v1/enterprises/{parties.owner_uscc}/violations").json()["items"]
    assert [x["id"] for x in listed] == [v["id"]]

    # Search (the server's indexer runs after the commit) finds the flagged one only.
    def found() -> list[str]:
        r = live.get("/api/v1/search", params={"type": "violation", "q": parties.owner_uscc})
        return [h["id"] for h in r.json().get("items", [])] if r.ok else []

    assert _until(found) == [v["id"]]

    # The firm's public page says the authority decided to publish it.
    page = live.get(f"/enterprises/{parties.owner_uscc}")
    assert page.status_code == 200
    assert "苏市监罚〔2026〕7001号" in page.text and "苏市监罚〔2026〕7002号" not in page.text
    assert "经作出决定机关决定公示" in page.text


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"publish_minor": True}, "publish_minor_reason"),
        (
            {"severity": "general", "publish_minor": True, "publish_minor_reason": REASON},
            "publish_minor",
        ),
    ],
)
def test_a_refused_flag_names_the_field(live, parties, extra, field) -> None:
    r = live.post(
        "/api/v1/violations",
        json=body(parties, "苏市监罚〔2026〕7003号", **extra),
        headers=live.bearer(parties.clients["reg_in"]),
    )
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert all(value.isascii() for value in r.headers.values())
    errors = [e for e in r.json()["errors"] if e["field"] == field]
    assert errors and re.search(r"[\u4e00-\u9fff]", errors[0]["message"]), r.json()


def test_a_market_regulators_records_follow_samr(live, parties) -> None:
    with unit_of_work() as uow:
        authority = uow.session.scalar(sa.select(Authority).where(Authority.code == "IN"))
        authority.kind = "market_regulation"
    reg = live.bearer(parties.clients["reg_in"])
    published = (clock.today() - timedelta(days=2)).isoformat()
    lower_fine = body(
        parties,
        "苏市监罚〔2026〕7004号",
        severity="general",
        penalty_type="fine",
        penalty_amount=2000,
        published_on=published,
    )
    r = live.post("/api/v1/violations", json=lower_fine, headers=reg)
    assert r.status_code == 201, r.text
    v = r.json()
    # SAMR Order 45 Art. 13: a lower fine is public 3 months from its publication.
    assert (v["regime"], v["public_from"]) == ("SAMR", published)
    assert v["publish_until"] == months_after(date.fromisoformat(published), 3).isoformat()
    assert v["publish_by"] > v["decision_date"]  # 20 working days after the decision
    warning = live.post(
        "/api/v1/violations",
        json=body(parties, "苏市监罚〔2026〕7005号", severity="general"),
        headers=reg,
    ).json()
    assert (warning["regime"], warning["status"]) == ("SAMR", "not_published")  # Art. 2(2)
    assert live.get(f"/api/v1/violations/{warning['id']}").status_code == 404
    db.session.expire_all()


def test_the_rules_are_published(live) -> None:
    r = live.get("/api/v1/publicity-rules")
    assert r.status_code == 200, r.text
    rules = r.json()
    assert rules["authority_kinds"]["market_regulation"]["regime"] == "SAMR"
    samr = rules["regimes"]["SAMR"]
    assert samr["deadlines"]["withdraw_workdays"]["workdays"] == 3
    assert samr["deadlines"]["withdraw_workdays"]["cite"]["article"] == "Art. 11"
    assert rules["counting"]["first_day_counted"] is False
