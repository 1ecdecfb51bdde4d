"""Over the real server (issue 16, industry organisations): the acceptance journey through
HTTP. The organisation's client takes a token at the real token endpoint, publishes its
convention, invites a firm that confirms, runs a campaign the member joins, files and
publishes from; the organisation sees the coverage, refers a breach to the authority over
the firm, which declines it, and every public answer about the firm is byte for byte what
it was before the referral. Plus the errors a client meets on the way: problem+json naming
the field, Chinese in the body and ASCII headers, 428 without If-Match, 404 for referrals
to anyone but their readers."""

from __future__ import annotations

import time

import pytest

from credit import clock
from tests.organisations.helpers import convention_body, make_organisation, org_client
from tests.parties import make_parties

API = "/api/v1"


@pytest.fixture
def world(app_ctx):
    parties = make_parties()
    make_organisation("ECA")
    return parties, org_client("ECA")


def _public(live, code: str) -> dict[str, bytes]:
    """Every public answer about the firm (and the organisation's page), as bytes."""
    paths = [
        f"{API}/enterprises/{code}",
        f"{API}/enterprises/{code}/standing",
        f"{API}/enterprises/{code}/rating",
        f"{API}/enterprises/{code}/pledges",
        f"{API}/enterprises/{code}/violations",
        f"{API}/enterprises/{code}/organisations",
        f"{API}/search?q={code}",
        f"/seal/{code}.svg",
        f"{API}/organisations/ECA",
    ]
    out = {}
    for path in paths:
        r = live.get(path)
        assert r.status_code == 200, (path, r.text)
        out[path] = r.content
    return out


def _settled(live, code: str) -> dict[str, bytes]:
    """The public answers once the change-feed consumers have caught up: two reads in a
    row that agree (bounded wait)."""
    previous = _public(live, code)
    for _ in range(40):
        time.sleep(0.25)
        current = _public(live, code)
        if current == previous:
            return current
        previous = current
    raise AssertionError("public answers kept changing")


def _ascii_headers(r) -> None:
    for value in r.headers.values():
        value.encode("ascii")


def test_organisation_journey_over_gunicorn(live, world) -> None:
    parties, eca = world
    owner = parties.owner_uscc
    org = live.bearer(eca)
    firm = live.bearer(parties.clients["owner"])
    regulator = live.bearer(parties.clients["reg_in"])

    # A bad convention: every field named, Chinese in the body, headers ASCII.
    r = live.post(
        f"{API}/organisation/convention/drafts",
        json={**convention_body(), "clauses": [], "effective_from": "9999-12-31"},
        headers=org,
    )
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} == {"clauses", "effective_from"}
    _ascii_headers(r)

    # Publish the convention: without If-Match it is 428, with the draft's ETag 200.
    r = live.post(f"{API}/organisation/convention/drafts", json=convention_body(), headers=org)
    assert r.status_code == 201, r.text
    draft, etag = r.json(), r.headers["ETag"]
    publish = f"{API}/organisation/convention/drafts/{draft['id']}/publish"
    assert live.post(publish, headers=org).status_code == 428
    r = live.post(publish, headers={**org, "If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert live.get(f"{API}/organisations/ECA/convention").json()["id"] == draft["id"]

    # Members: the organisation invites, the firm confirms; the profile names it.
    r = live.post(f"{API}/organisation/members", json={"uscc": owner}, headers=org)
    assert r.status_code == 201, r.text
    invitation = r.json()["id"]
    assert [m["status"] for m in live.get(f"{API}/memberships", headers=firm).json()["items"]] == [
        "pending"
    ]
    r = live.post(f"{API}/memberships/{invitation}/confirm", headers=firm)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    names = live.get(f"{API}/enterprises/{owner}/organisations").json()["items"]
    assert [o["code"] for o in names] == ["ECA"]
    standing = live.get(f"{API}/enterprises/{owner}/standing").json()
    assert [o["code"] for o in standing["organisations"]] == ["ECA"]

    # A campaign: the member joins, files from the template and publishes.
    today = clock.today()
    r = live.post(
        f"{API}/organisation/campaigns",
        json={
            "title": "会员诚信承诺活动",
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
        },
        headers=org,
    )
    assert r.status_code == 201, r.text
    campaign = r.json()
    r = live.post(f"{API}/campaigns/{campaign['id']}/participants", json={}, headers=firm)
    assert r.status_code == 201, r.text
    template = live.get(f"{API}/pledge-templates/{campaign['template_id']}").json()
    body = {
        "clauses": [c["code"] for c in template["clauses"] if c["required"]],
        "valid_from": today.isoformat(),
        "valid_until": today.replace(year=today.year + 1).isoformat(),
        "signer_name": "张三明",
        "signer_title": "总经理",
        "consent_to_publish": True,
    }
    r = live.post(f"{API}/campaigns/{campaign['id']}/pledges", json=body, headers=firm)
    assert r.status_code == 201, r.text
    pledge, pledge_etag = r.json(), r.headers["ETag"]
    coverage = live.get(f"{API}/organisation/campaigns/{campaign['id']}/coverage", headers=org)
    assert [m["state"] for m in coverage.json()["members"]] == ["filed"]
    r = live.post(
        f"{API}/pledges/{pledge['id']}/publish", headers={**firm, "If-Match": pledge_etag}
    )
    assert r.status_code == 200, r.text

    # The organisation sees who did; the public sees the figures.
    coverage = live.get(f"{API}/organisation/campaigns/{campaign['id']}/coverage", headers=org)
    assert coverage.headers["Cache-Control"] == "private, no-store"
    rows = coverage.json()["members"]
    assert [(m["uscc"], m["state"], m["pledge_id"]) for m in rows] == [
        (owner, "in_force", pledge["id"])
    ]
    figures = live.get(f"{API}/campaigns/{campaign['id']}").json()["figures"]
    assert (figures["members"], figures["joined"], figures["in_force"], figures["rate"]) == (
        1,
        1,
        1,
        1.0,
    )

    # Refer a breach to the authority over the firm, which declines it: nothing public changes.
    before = _settled(live, owner)
    r = live.post(
        f"{API}/organisation/referrals",
        json={
            "uscc": owner,
            "authority": "OUT",
            "clauses": ["A1"],
            "facts": "会员组织刷单，协会已核实。",
        },
        headers=org,
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["authority"]
    r = live.post(
        f"{API}/organisation/referrals",
        json={
            "uscc": owner,
            "authority": "IN",
            "clauses": ["A1"],
            "facts": "会员在直播间组织刷单，协会已调查核实。",
            "evidence": ["https://example.com/evidence/1"],
        },
        headers=org,
    )
    assert r.status_code == 201, r.text
    referral = r.json()["id"]
    inbox = live.get(f"{API}/regulator/referrals", headers=regulator).json()["items"]
    assert [i["id"] for i in inbox] == [referral]
    assert live.get(f"{API}/organisation/referrals/{referral}", headers=firm).status_code == 403
    assert live.get(f"{API}/regulator/referrals/{referral}").status_code == 401
    other_reg = live.bearer(parties.clients["reg_out"])
    assert live.get(f"{API}/regulator/referrals/{referral}", headers=other_reg).status_code == 404
    r = live.post(
        f"{API}/regulator/referrals/{referral}/decision",
        json={"accepted": False, "reason": "证据不足，不予受理"},
        headers=regulator,
    )
    assert r.status_code == 200 and r.json()["status"] == "declined"
    sent = live.get(f"{API}/organisation/referrals/{referral}", headers=org).json()
    assert (sent["status"], sent["decision_reason"]) == ("declined", "证据不足，不予受理")
    after = _settled(live, owner)
    assert after == before
    assert "协会已调查核实" not in b"".join(after.values()).decode()
