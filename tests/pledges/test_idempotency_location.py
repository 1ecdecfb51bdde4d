"""Idempotency-Key and a lost response (issue 14, item 7): the commit that applies a request
stores which resource it created or changed, and a retry that finds the key applied but
without a response gets 409 with that resource's location instead of a dead end."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from credit import idempotency
from credit.extensions import db
from credit.idempotency import IdempotencyRecord
from tests.parties import bearer, client_token, make_pledge, make_violation, pledge_body


def _record(key: str) -> Any:
    """The key's row as plain values (no ORM instance left in the shared session)."""
    db.session.rollback()
    table = IdempotencyRecord.__table__
    return db.session.execute(sa.select(table).where(table.c.key == key)).one()


def test_a_retry_after_the_response_was_not_stored_gets_the_location(
    client, owner, templates, monkeypatch
) -> None:
    """Storing the response fails once (the crash window between the domain commit and
    ``complete``): the client still gets its 201, and the retry is pointed at the pledge."""
    real_complete = idempotency.complete
    calls: list[int] = []

    def fail_once(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away while storing the response")
        real_complete(*args, **kwargs)

    monkeypatch.setattr(idempotency, "complete", fail_once)
    headers = {**owner, "Idempotency-Key": "lost-42"}
    body = pledge_body(templates["ECOM-STD"])
    first = client.post("/api/v1/pledges", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    created = first.get_json()
    stored = _record("lost-42")
    assert (stored.state, stored.response_body) == ("applied", None)
    assert (stored.resource_type, stored.resource_id) == ("pledge", created["id"])

    retry = client.post("/api/v1/pledges", json=body, headers=headers)
    assert retry.status_code == 409 and retry.content_type == "application/problem+json"
    problem = retry.get_json()
    assert retry.headers["Location"] == problem["location"] == created["url"]
    assert problem["resource"] == {"type": "pledge", "id": created["id"]}
    assert "location" in problem["detail"]
    fetched = client.get(retry.headers["Location"], headers=owner)
    assert fetched.status_code == 200 and fetched.get_json()["id"] == created["id"]
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT count(*) FROM pledge")) == 1


def _post(client, url: str, headers: dict, key: str, body: dict | None = None, etag=None):
    h = {**headers, "Idempotency-Key": key}
    if etag is not None:
        h["If-Match"] = etag
    r = client.post(url, json=body or {}, headers=h)
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    return r.get_json()


def test_each_request_stores_the_resource_it_is_about(client, parties, owner, templates) -> None:
    """Where a request also touches other rows (a violation marks the pledges it breaches
    and a revocation lifts those marks), the stored resource is still the request's own."""
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    pledge = make_pledge(parties.owner_uscc, publish=True)
    draft = _post(client, "/api/v1/pledges", owner, "k1", pledge_body(templates["ECOM-STD"]))
    published = _post(
        client, f"/api/v1/pledges/{draft['id']}/publish", owner, "k2", etag=f'"{draft["version"]}"'
    )
    amendment = _post(client, f"/api/v1/pledges/{pledge.id}/amendments", owner, "k3")
    v = make_violation(parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}])
    objection = _post(
        client, f"/api/v1/violations/{v.id}/objections", owner, "k4", {"reasons": "订单真实有效"}
    )
    decided = _post(
        client,
        f"/api/v1/objections/{objection['id']}/decision",
        reg,
        "k5",
        {"accepted": True, "reason": "经核查异议成立"},
    )
    other = make_violation(
        parties, days_ago=0, breached=[{"pledge_id": draft["id"], "clause": "C03"}]
    )
    revoked = _post(
        client,
        f"/api/v1/violations/{other.id}/revocation",
        reg,
        "k6",
        {"reason": "复议撤销"},
        etag=f'"{other.version}"',
    )
    expected = {
        "k1": ("pledge", draft["id"]),
        "k2": ("pledge", published["id"]),
        "k3": ("pledge", amendment["id"]),
        "k4": ("objection", objection["id"]),
        "k5": ("objection", decided["id"]),
        "k6": ("violation", revoked["id"]),
    }
    for key, resource in expected.items():
        record = _record(key)
        assert record.state == "done"
        assert (record.resource_type, record.resource_id) == resource, key
