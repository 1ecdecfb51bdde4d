"""Over the real server (issue 14, item 1): far dates are refused with the field named,
and a poisoned event in the change feed no longer freezes every firm's rating."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.uow import unit_of_work
from tests.parties import make_parties, make_pledge, pledge_body, seed_templates

FAR = "9999-12-31"


@pytest.fixture
def parties(app_ctx):
    p = make_parties()
    p.templates = seed_templates()
    return p


def assert_refused(r, field: str) -> None:
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert all(v.isascii() for v in r.headers.values())
    errors = [e for e in r.json()["errors"] if e["field"] == field]
    assert errors, r.json()
    # In the request's language: Chinese by default, with no English sentence beside it.
    assert re.search(r"[\u4e00-\u9fff]", errors[0]["message"])
    assert not re.search(r"must be from", errors[0]["message"])


def test_a_pledge_valid_until_9999_is_refused(live, parties) -> None:
    body = pledge_body(parties.templates["ECOM-STD"], valid_until=FAR)
    r = live.post("/api/v1/pledges", json=body, headers=live.bearer(parties.clients["owner"]))
    assert_refused(r, "valid_until")


def test_a_commendation_valid_until_9999_is_refused(live, parties) -> None:
    today = clock.today()
    body = {
        "uscc": parties.owner_uscc,
        "title": "江苏省电子商务示范企业",
        "legal_basis": "省商务厅认定",
        "granted_on": today.isoformat(),
        "valid_until": FAR,
    }
    r = live.post(
        "/api/v1/commendations", json=body, headers=live.bearer(parties.clients["reg_in"])
    )
    assert_refused(r, "valid_until")


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_poisoned_event_no_longer_stops_the_ratings(live, parties) -> None:
    """A pledge of firm B whose validity no code can read (year 10000, written straight
    into the database with its change event) waits in the feed; a regulator then records
    a serious violation of firm A over HTTP. The server's consumers set B's event aside
    and A's rating changes (and the public log goes on); /readyz says degraded with the
    count, the log names B."""
    pledge_id = make_pledge(parties.other_uscc, publish=True).id
    with unit_of_work(run_hooks=False) as uow:  # as old data or a bug would
        uow.session.execute(
            sa.text("UPDATE pledge SET valid_until = '10000-01-01' WHERE id = :id"),
            {"id": pledge_id},
        )
        uow.record("pledge", pledge_id, 99)
    rating = f"/api/v1/enterprises/{parties.owner_uscc}/rating"
    before = live.get(rating).json()
    assert live.get("/readyz").json()["status"] == "ready"

    violation = {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "serious",
        "decision_number": "苏市监罚〔2026〕813号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 500000,
        "decision_date": (clock.today() - timedelta(days=2)).isoformat(),
    }
    r = live.post(
        "/api/v1/violations", json=violation, headers=live.bearer(parties.clients["reg_in"])
    )
    assert r.status_code == 201, r.text

    after = _until(
        lambda: (x := live.get(rating).json()) and "HARD_SERIOUS_VIOLATION" in x["hard_rules"] and x
    )
    assert after, live.server.log_tail()
    assert after["score"] < before["score"] and after["score"] <= 799

    # Set aside by each consumer that reads the pledge: ratings, search, the public log.
    ready = _until(lambda: (x := live.get("/readyz")).json()["checks"]["failed_events"] == 3 and x)
    assert ready, live.get("/readyz").text
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"

    other = live.get(f"/api/v1/enterprises/{parties.other_uscc}").json()
    log = live.server.log_text()
    aside = [line for line in log.splitlines() if " aside after " in line and pledge_id in line]
    assert {"consumer ratings", "consumer search-indexer", "consumer transparency-log"} <= {
        m.group(0) for line in aside if (m := re.search(r"consumer [a-z-]+", line))
    }
    assert all(other["uscc"] in line and other["name"] in line for line in aside)
