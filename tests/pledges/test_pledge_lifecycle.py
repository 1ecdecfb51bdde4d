"""The pledge state machine: every allowed transition, and the refused ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.extensions import db
from tests.parties import pledge_body


def _create(client, owner, templates, **overrides):
    r = client.post(
        "/api/v1/pledges", json=pledge_body(templates["ECOM-STD"], **overrides), headers=owner
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return r


def _act(client, owner, url: str, etag: str, body: dict | None = None):
    return client.post(url, json=body or {}, headers={**owner, "If-Match": etag})


def test_templates_are_public_and_seeded(client, templates) -> None:
    body = client.get("/api/v1/pledge-templates").get_json()
    codes = {t["code"] for t in body["items"]}
    assert codes == {"ECOM-STD", "CREDIT-REPAIR"}
    std = next(t for t in body["items"] if t["code"] == "ECOM-STD")
    assert std["type_name"] == "主动公示型" and len(std["clauses"]) >= 10
    assert all(c["code"] and c["text"] and c["text_en"] for c in std["clauses"])
    repair = next(t for t in body["items"] if t["code"] == "CREDIT-REPAIR")
    assert repair["type_name"] == "信用修复型"


def test_draft_publish_amend_withdraw(client, owner, templates, parties) -> None:
    draft = _create(client, owner, templates)
    pledge = draft.get_json()
    assert pledge["status"] == "draft" and pledge["uscc"] == parties.owner_uscc
    assert pledge["signer_name"] == "张*明"
    # Drafts are invisible to the public.
    assert client.get(pledge["url"]).status_code == 404
    # Edit the draft.
    r = client.patch(
        pledge["url"],
        json={"signer_title": "法定代表人"},
        headers={**owner, "If-Match": draft.headers["ETag"]},
    )
    assert r.status_code == 200 and r.get_json()["signer_title"] == "法定代表人"
    # Publish: now public.
    published = _act(client, owner, pledge["url"] + "/publish", r.headers["ETag"])
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    public = client.get(pledge["url"]).get_json()
    assert public["status"] == "published" and public["status_name"] == "已公示"
    # A published version is immutable.
    r = client.patch(
        pledge["url"],
        json={"signer_title": "x" * 3},
        headers={**owner, "If-Match": published.headers["ETag"]},
    )
    assert r.status_code == 409
    # Publishing twice is refused.
    r = _act(client, owner, pledge["url"] + "/publish", published.headers["ETag"])
    assert r.status_code == 409
    # Amend: a new draft version in the same series; the old one stays published.
    amendment = client.post(pledge["url"] + "/amendments", json={}, headers=owner)
    assert amendment.status_code == 201
    new = amendment.get_json()
    assert new["series_id"] == pledge["series_id"] and new["series_version"] == 2
    assert client.get(pledge["url"]).get_json()["status"] == "published"
    # Only one open amendment at a time.
    assert client.post(pledge["url"] + "/amendments", json={}, headers=owner).status_code == 409
    r = _act(client, owner, new["url"] + "/publish", amendment.headers["ETag"])
    assert r.status_code == 200
    old = client.get(pledge["url"]).get_json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == new["id"]
    # Withdraw the current version: it stays on the public record as withdrawn.
    r = _act(client, owner, new["url"] + "/withdraw", r.headers["ETag"], {"reason": "停止网店经营"})
    assert r.status_code == 200
    shown = client.get(new["url"]).get_json()
    assert shown["status"] == "withdrawn" and shown["withdrawal_reason"] == "停止网店经营"
    # Withdrawing again, or amending a withdrawn pledge, is refused.
    assert (
        _act(
            client, owner, new["url"] + "/withdraw", r.headers["ETag"], {"reason": "再次撤回"}
        ).status_code
        == 409
    )
    assert client.post(new["url"] + "/amendments", json={}, headers=owner).status_code == 409
    # Every state change is a change event.
    events = db.session.scalars(
        sa.select(ChangeEvent).where(ChangeEvent.entity_type == "pledge")
    ).all()
    assert len(events) >= 6


def test_withdrawing_a_draft_is_refused(client, owner, templates) -> None:
    draft = _create(client, owner, templates)
    r = _act(
        client,
        owner,
        draft.get_json()["url"] + "/withdraw",
        draft.headers["ETag"],
        {"reason": "不需要了"},
    )
    assert r.status_code == 409


def test_someone_elses_pledge(client, owner, other, templates) -> None:
    draft = _create(client, owner, templates)
    url = draft.get_json()["url"]
    assert client.get(url, headers=other).status_code == 404
    assert _act(client, other, url + "/publish", draft.headers["ETag"]).status_code == 404
    published = _act(client, owner, url + "/publish", draft.headers["ETag"])
    r = _act(client, other, url + "/withdraw", published.headers["ETag"], {"reason": "恶意撤回"})
    assert r.status_code == 403
    assert client.get(url).get_json()["status"] == "published"


def test_if_match_guards_state_changes(client, owner, templates) -> None:
    draft = _create(client, owner, templates)
    url = draft.get_json()["url"] + "/publish"
    assert client.post(url, json={}, headers=owner).status_code == 428
    assert _act(client, owner, url, '"99"').status_code == 412


def test_expiry_is_read_from_the_dates(client, owner, templates, frozen_clock) -> None:
    today = clock.today()
    draft = _create(client, owner, templates, valid_until=(today + timedelta(days=2)).isoformat())
    url = draft.get_json()["url"]
    _act(client, owner, url + "/publish", draft.headers["ETag"])
    assert client.get(url).get_json()["status"] == "published"
    frozen_clock.advance(3 * 86400)
    assert client.get(url).get_json()["status"] == "expired"
    listed = client.get("/api/v1/pledges", query_string={"status": "expired"}).get_json()
    assert [p["id"] for p in listed["items"]] == [draft.get_json()["id"]]
    # The sweeper turns it into a change event once, for search and rating.
    runner = client.application.test_cli_runner()
    assert '"expired": 1' in runner.invoke(args=["credit", "pledges", "expire"]).output
    assert '"expired": 0' in runner.invoke(args=["credit", "pledges", "expire"]).output


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"clauses": ["C01"]}, "clauses"),
        ({"clauses": ["C01", "C02", "NOPE"]}, "clauses"),
        ({"consent_to_publish": False}, "consent_to_publish"),
        ({"valid_until": "2000-01-01"}, "valid_until"),
        ({"template_id": "no-such-template"}, "template_id"),
        ({"signer_name": ""}, "signer_name"),
    ],
)
def test_content_errors_are_listed(client, owner, templates, overrides, field) -> None:
    r = client.post(
        "/api/v1/pledges", json=pledge_body(templates["ECOM-STD"], **overrides), headers=owner
    )
    assert r.status_code == 400
    assert field in [e["field"] for e in r.get_json()["errors"]]


@pytest.mark.parametrize(
    "field", ["enterprise_id", "uscc", "status", "published_at", "version", "series_id", "id"]
)
def test_server_owned_fields_are_rejected(client, owner, templates, field) -> None:
    r = client.post(
        "/api/v1/pledges", json={**pledge_body(templates["ECOM-STD"]), field: "x"}, headers=owner
    )
    assert r.status_code == 400
    assert field in [e["field"] for e in r.get_json()["errors"]]


def test_regulators_and_anonymous_cannot_file(client, parties, templates) -> None:
    from tests.parties import bearer, client_token

    reg = bearer(client_token(client, parties.clients["reg_in"]))
    body = pledge_body(templates["ECOM-STD"])
    assert client.post("/api/v1/pledges", json=body, headers=reg).status_code == 403
    assert client.post("/api/v1/pledges", json=body).status_code == 401


def test_public_listing_filters(client, owner, other, templates, parties) -> None:
    for headers in (owner, other):
        d = _create(client, headers, templates)
        _act(client, headers, d.get_json()["url"] + "/publish", d.headers["ETag"])
    _create(client, owner, templates)  # a draft: never listed
    body = client.get("/api/v1/pledges").get_json()
    assert body["total"] == 2 and all(p["status"] == "published" for p in body["items"])
    city = client.get("/api/v1/pledges", query_string={"city": parties.owner_city}).get_json()
    assert [p["uscc"] for p in city["items"]] == [parties.owner_uscc]
    today = clock.today().isoformat()
    dated = client.get(
        "/api/v1/pledges", query_string={"published_from": today, "published_to": today}
    ).get_json()
    assert dated["total"] == 2
    assert (
        client.get("/api/v1/pledges", query_string={"template": "ECOM-STD"}).get_json()["total"]
        == 2
    )
    assert client.get("/api/v1/pledges", query_string={"status": "draft"}).status_code == 400
    mine = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/pledges", headers=owner).get_json()
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/pledges").get_json()
    assert len(mine["items"]) == 2 and len(public["items"]) == 1


def test_operator_publishes_templates_immutably(client, parties, templates) -> None:
    from tests.parties import bearer, client_token

    op = bearer(client_token(client, parties.clients["operator"]))
    std = templates["ECOM-STD"]
    r = client.post(
        "/api/v1/pledge-templates",
        headers=op,
        json={
            "code": "ECOM-STD",
            "type": "voluntary_public",
            "title": "第二版",
            "title_en": "v2",
            "preamble": "承诺：",
            "preamble_en": "We pledge:",
            "clauses": [
                {k: c[k] for k in ("code", "text", "text_en", "required")} for c in std.clauses
            ],
        },
    )
    assert r.status_code == 201 and r.get_json()["version"] == 2
    tid = r.get_json()["id"]
    assert client.get(f"/api/v1/pledge-templates/{tid}").status_code == 404  # a draft
    assert (
        client.post(f"/api/v1/pledge-templates/{tid}/publish", json={}, headers=op).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/pledge-templates/{tid}/publish", json={}, headers=op).status_code
        == 409
    )
    assert client.get(f"/api/v1/pledge-templates/{tid}").get_json()["status"] == "published"


def test_demo_generates_realistic_pledges(clean_app) -> None:
    runner = clean_app.test_cli_runner()
    r = runner.invoke(args=["credit", "demo", "--enterprises", "300", "--seed", "3"])
    assert r.exit_code == 0, r.output
    client = clean_app.test_client()
    statuses = {}
    for status in ("published", "superseded", "withdrawn", "expired"):
        statuses[status] = client.get(
            "/api/v1/pledges", query_string={"status": status}
        ).get_json()["total"]
    assert statuses["published"] > 150
    assert statuses["superseded"] > 0 and statuses["withdrawn"] > 0
    one = client.get("/api/v1/pledges", query_string={"size": 1}).get_json()["items"][0]
    assert one["signer_name"][1] == "*" and one["clauses"]
    # Running it again adds nothing.
    again = runner.invoke(args=["credit", "demo", "--enterprises", "300", "--seed", "3"])
    assert '"pledges": 0' in again.output


def test_breach_status_is_exposed(client, owner, templates, parties) -> None:
    from credit.identity import SYSTEM
    from credit.pledges import service
    from credit.uow import unit_of_work

    draft = _create(client, owner, templates)
    url = draft.get_json()["url"]
    _act(client, owner, url + "/publish", draft.headers["ETag"])
    shown = client.get(url).get_json()
    assert shown["compliance"] == "kept" and shown["breached_clauses"] == []
    with unit_of_work() as uow:
        service.record_breach(SYSTEM, uow, shown["id"], "C03", "violation-1", clock.today())
    shown = client.get(url).get_json()
    assert shown["compliance"] == "breached" and shown["breached_clauses"] == ["C03"]
    from credit.errors import ValidationFailed

    with pytest.raises(ValidationFailed), unit_of_work() as uow:
        service.record_breach(
            SYSTEM, uow, shown["id"], "C03", "violation-2", clock.today() - timedelta(days=400)
        )
