"""Idempotency-Key on POST: replay, mismatch, per-client scope, concurrent duplicates."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from credit.extensions import db
from credit.pledges.models import Pledge
from tests.parties import bearer, client_token, pledge_body


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))


def test_same_key_replays_the_first_response(client, owner, templates) -> None:
    body = pledge_body(templates["ECOM-STD"])
    headers = {**owner, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/pledges", json=body, headers=headers)
    second = client.post("/api/v1/pledges", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert _count() == 1


def test_same_key_different_body_is_422(client, owner, templates) -> None:
    headers = {**owner, "Idempotency-Key": "k1"}
    client.post("/api/v1/pledges", json=pledge_body(templates["ECOM-STD"]), headers=headers)
    r = client.post(
        "/api/v1/pledges",
        json=pledge_body(templates["ECOM-STD"], signer_title="董事长"),
        headers=headers,
    )
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert _count() == 1


def test_keys_are_scoped_per_client(client, owner, other, templates) -> None:
    body = pledge_body(templates["ECOM-STD"])
    a = client.post("/api/v1/pledges", json=body, headers={**owner, "Idempotency-Key": "same"})
    b = client.post("/api/v1/pledges", json=body, headers={**other, "Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert a.get_json()["id"] != b.get_json()["id"]
    assert b.get_json()["uscc"] != a.get_json()["uscc"]
    assert _count() == 2


def test_failed_request_releases_the_key(client, owner, templates) -> None:
    headers = {**owner, "Idempotency-Key": "retry-me"}
    bad = client.post(
        "/api/v1/pledges", json=pledge_body(templates["ECOM-STD"], clauses=["C01"]), headers=headers
    )
    assert bad.status_code == 400
    good = client.post(
        "/api/v1/pledges", json=pledge_body(templates["ECOM-STD"], clauses=["C01"]), headers=headers
    )
    assert good.status_code == 400  # same request, same answer; nothing was created
    assert _count() == 0


def test_invalid_key_is_400(client, owner, templates) -> None:
    r = client.post(
        "/api/v1/pledges",
        json=pledge_body(templates["ECOM-STD"]),
        headers={**owner, "Idempotency-Key": "x" * 300},
    )
    assert r.status_code == 400


def test_concurrent_duplicates_create_exactly_one_pledge(clean_app, parties, templates) -> None:
    with clean_app.test_client() as c:
        token = client_token(c, parties.clients["owner"])
    body = pledge_body(templates["ECOM-STD"])
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def post() -> None:
        client = clean_app.test_client()
        barrier.wait()
        r = client.post(
            "/api/v1/pledges", json=body, headers={**bearer(token), "Idempotency-Key": "burst"}
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count() == 1
    assert 201 in statuses and set(statuses) <= {201, 409}
