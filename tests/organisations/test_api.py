"""Bad input to every organisations write is a 400 problem+json naming each field (unknown
and server-owned fields too), never a 500; the profile's standing names organisations."""

from __future__ import annotations

import pytest

from tests.organisations.helpers import (
    confirm_member,
    make_campaign,
    org_client,
    publish_convention,
)
from tests.parties import bearer, client_token

BAD = [
    (
        "org",
        "/api/v1/organisation/convention/drafts",
        {"title": "x", "clauses": [{"code": "a", "text": "", "text_en": 1}], "status": "draft"},
        {"title", "title_en", "preamble", "clauses.0.code", "clauses.0.text", "status"},
    ),
    (
        "org",
        "/api/v1/organisation/members",
        {"uscc": "91320000MJ0000106X", "enterprise_id": "x"},
        {"uscc", "enterprise_id"},
    ),
    (
        "org",
        "/api/v1/organisation/campaigns",
        {"title": "活动", "starts_on": "2020-13-01", "ends_on": "9999-12-31", "version": 3},
        {"starts_on", "ends_on", "version"},
    ),
    (
        "org",
        "/api/v1/organisation/referrals",
        {
            "uscc": "x",
            "authority": "",
            "clauses": [],
            "facts": "短",
            "evidence": ["https://e.cn/x"] * 11,
        },
        {"uscc", "authority", "clauses", "facts", "evidence"},
    ),
    (
        "operator",
        "/api/v1/organisations",
        {"code": "eca", "name": "协", "uscc": "91110000600037341L", "kind": "club"},
        {"code", "name", "name_en", "division_code", "kind"},
    ),
]


@pytest.mark.parametrize("party,url,body,fields", BAD, ids=[b[1] for b in BAD])
def test_bad_input_names_every_field(client, app_ctx, org, parties, party, url, body, fields):
    who = org_client("ECA") if party == "org" else parties.clients[party]
    r = client.post(url, json=body, headers=bearer(client_token(client, who)))
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    assert {e["field"] for e in r.get_json()["errors"]} >= fields


def test_decision_and_join_inputs(client, app_ctx, org, parties) -> None:
    publish_convention(org)
    confirm_member(org, parties.owner_uscc)
    campaign = make_campaign(org)
    firm = bearer(client_token(client, parties.clients["owner"]))
    r = client.post(
        f"/api/v1/campaigns/{campaign.id}/participants", json={"pledge_id": 5}, headers=firm
    )
    assert r.status_code == 400 and [e["field"] for e in r.get_json()["errors"]] == ["pledge_id"]
    reg = bearer(client_token(client, parties.clients["reg_in"]))
    r = client.post(
        "/api/v1/regulator/referrals/nope/decision", json={"accepted": "maybe"}, headers=reg
    )
    assert r.status_code == 400
    assert {e["field"] for e in r.get_json()["errors"]} == {"accepted", "reason"}
    standing = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/standing").get_json()
    assert [o["code"] for o in standing["organisations"]] == ["ECA"]
