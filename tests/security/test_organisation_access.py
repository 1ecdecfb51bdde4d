"""The access matrix of the organisations API: every new route, for every kind of caller
(anonymous, the member firm the objects concern, another firm, the regulator covering the
firm and one that does not, the organisation, another organisation, an operator).

Where existence itself is private (a referral, a membership, a draft, a campaign's member
list) an outsider holding the right scope gets 404, never 403; a caller without the
route's scope gets 403, without a token 401. The objects are made through the real
services; every party's request goes through the real token endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from credit import clock
from tests.parties import bearer, client_token, pledge_body

#: Parties, in the order they are tried: the one a route lets through comes last, so the
#: refusals before it never meet a state it changed.
PARTIES = ("anonymous", "other_firm", "reg_out", "other_org", "operator", "reg_in", "org", "member")

#: Rules of the organisations area: tests/security/test_access_control.py leaves them to
#: this matrix, and the completeness test below holds it to every one of them.
AREA = (
    "/api/v1/organisation",
    "/api/v1/memberships",
    "/api/v1/campaigns",
    "/api/v1/regulator/referrals",
    "/api/v1/enterprises/<string:uscc>/organisations",
)


def in_area(rule: str) -> bool:
    return rule.startswith(AREA)


def _e(**statuses: int) -> dict[str, int]:
    """Expected statuses: 401 for anonymous and 403 for everyone not named."""
    out = {p: 403 for p in PARTIES}
    out["anonymous"] = 401
    out.update(statuses)
    return out


PUBLIC = {p: 200 for p in PARTIES}

MATRIX: dict[tuple[str, str], tuple[str, dict[str, int]]] = {
    # public
    ("GET", "/api/v1/organisations"): ("none", PUBLIC),
    ("GET", "/api/v1/organisations/<string:code>"): ("none", PUBLIC),
    ("GET", "/api/v1/organisations/<string:code>/convention"): ("none", PUBLIC),
    ("GET", "/api/v1/organisations/<string:code>/convention/versions"): ("none", PUBLIC),
    ("GET", "/api/v1/campaigns/<string:campaign_id>"): ("campaign", PUBLIC),
    ("GET", "/api/v1/enterprises/<string:uscc>/organisations"): ("none", PUBLIC),
    # operators
    ("POST", "/api/v1/organisations"): ("new_org", _e(operator=201)),
    # the organisation
    ("GET", "/api/v1/organisation"): ("none", _e(org=200, other_org=200)),
    ("POST", "/api/v1/organisation/convention/drafts"): ("none", _e(org=201, other_org=201)),
    ("PUT", "/api/v1/organisation/convention/drafts/<string:convention_id>"): (
        "draft",
        _e(org=200, other_org=404),
    ),
    ("POST", "/api/v1/organisation/convention/drafts/<string:convention_id>/publish"): (
        "draft",
        _e(org=200, other_org=404),
    ),
    ("GET", "/api/v1/organisation/members"): ("none", _e(org=200, other_org=200)),
    ("POST", "/api/v1/organisation/members"): ("invite", _e(org=201, other_org=201)),
    ("POST", "/api/v1/organisation/members/<string:membership_id>/end"): (
        "membership",
        _e(org=200, other_org=404),
    ),
    ("GET", "/api/v1/organisation/campaigns"): ("none", _e(org=200, other_org=200)),
    ("POST", "/api/v1/organisation/campaigns"): ("new_campaign", _e(org=201, other_org=201)),
    ("GET", "/api/v1/organisation/campaigns/<string:campaign_id>/coverage"): (
        "campaign",
        _e(org=200, other_org=404),
    ),
    ("POST", "/api/v1/organisation/referrals"): ("new_referral", _e(org=201, other_org=400)),
    ("GET", "/api/v1/organisation/referrals"): ("none", _e(org=200, other_org=200)),
    ("GET", "/api/v1/organisation/referrals/<string:referral_id>"): (
        "referral",
        _e(org=200, other_org=404),
    ),
    # the firm
    ("GET", "/api/v1/memberships"): ("none", _e(member=200, other_firm=200)),
    ("GET", "/api/v1/memberships/<string:membership_id>"): (
        "membership",
        _e(member=200, other_firm=404),
    ),
    ("POST", "/api/v1/memberships/<string:membership_id>/confirm"): (
        "invitation",
        _e(member=200, other_firm=404),
    ),
    ("POST", "/api/v1/memberships/<string:membership_id>/decline"): (
        "invitation",
        _e(member=200, other_firm=404),
    ),
    ("POST", "/api/v1/memberships/<string:membership_id>/end"): (
        "membership",
        _e(member=200, other_firm=404),
    ),
    ("GET", "/api/v1/campaigns/mine"): ("none", _e(member=200, other_firm=200)),
    ("POST", "/api/v1/campaigns/<string:campaign_id>/participants"): (
        "campaign",
        _e(member=201, other_firm=404),
    ),
    ("POST", "/api/v1/campaigns/<string:campaign_id>/pledges"): (
        "joined_campaign",
        _e(member=201, other_firm=404),
    ),
    # the authority
    ("GET", "/api/v1/regulator/referrals"): ("none", _e(reg_in=200, reg_out=200)),
    ("GET", "/api/v1/regulator/referrals/<string:referral_id>"): (
        "referral",
        _e(reg_in=200, reg_out=404),
    ),
    ("POST", "/api/v1/regulator/referrals/<string:referral_id>/decision"): (
        "referral",
        _e(reg_in=200, reg_out=404),
    ),
}


@dataclass
class World:
    parties: Any
    clients: dict[str, Any] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)


def _world() -> World:
    from tests.organisations.helpers import (
        confirm_member,
        make_campaign,
        make_organisation,
        org_client,
        publish_convention,
    )
    from tests.parties import make_parties

    parties = make_parties()
    world = World(parties)
    world.clients = {
        "member": parties.clients["owner"],
        "other_firm": parties.clients["other"],
        "reg_in": parties.clients["reg_in"],
        "reg_out": parties.clients["reg_out"],
        "operator": parties.clients["operator"],
    }
    world.made["org"] = make_organisation("ECA", serial=1)
    world.made["other_org"] = make_organisation("OTHER", serial=2)
    world.clients["org"] = org_client("ECA")
    world.clients["other_org"] = org_client("OTHER")
    publish_convention(world.made["org"])
    world.made["membership"] = confirm_member(world.made["org"], parties.owner_uscc)
    world.made["campaign"] = make_campaign(world.made["org"])
    return world


def _target(kind: str, world: World) -> tuple[dict[str, str], Any]:
    """URL parameters naming a fresh object of this kind, and the object (for If-Match)."""
    from credit.organisations import campaigns, referrals, service
    from credit.uow import unit_of_work
    from tests.organisations.helpers import CONVENTION, enterprise_identity

    org, owner = world.made["org"], world.parties.owner_uscc
    params = {"code": "ECA", "uscc": owner}
    if kind == "campaign":
        return {**params, "campaign_id": world.made["campaign"].id}, world.made["campaign"]
    if kind == "joined_campaign":
        with unit_of_work() as uow:
            campaigns.join_campaign(enterprise_identity(owner), uow, world.made["campaign"].id)
        return {"campaign_id": world.made["campaign"].id}, None
    if kind == "draft":
        data = {**CONVENTION, "effective_from": clock.today()}
        with unit_of_work() as uow:
            draft = service.draft_convention(org.identity, uow, data)
        return {"convention_id": draft.id}, draft
    if kind == "membership":
        return {"membership_id": world.made["membership"].id}, world.made["membership"]
    if kind == "invitation":
        with unit_of_work() as uow:
            invitation = service.invite_member(
                world.made["other_org"].identity, uow, {"uscc": owner}
            )
        return {"membership_id": invitation.id}, invitation
    if kind == "referral":
        with unit_of_work() as uow:
            referral = referrals.refer_breach(org.identity, uow, _referral_body(owner))
        return {"referral_id": referral.id}, referral
    return params, None


def _referral_body(owner: str) -> dict:
    return {
        "uscc": owner,
        "authority": "IN",
        "clauses": ["A1"],
        "facts": "会员在直播间组织刷单，协会调查核实。",
        "evidence": ["https://example.com/e/1"],
    }


def _body(kind: str, method: str, rule: str, world: World, party: str) -> dict | None:
    from tests.organisations.helpers import convention_body, org_uscc

    today = clock.today()
    if method == "GET":
        return None
    if kind == "new_org":
        return {
            "code": f"NEW-{party.upper().replace('_', '-')}",
            "name": "江苏省网络直播商会",
            "name_en": "Jiangsu live-commerce chamber",
            "uscc": org_uscc(50 + PARTIES.index(party)),
            "division_code": "320000",
            "kind": "chamber",
        }
    if rule.endswith("/convention/drafts") or "drafts/<string:convention_id>" in rule:
        return convention_body() if method in {"POST", "PUT"} and "publish" not in rule else {}
    if kind == "invite":
        return {"uscc": world.parties.other_uscc}
    if kind == "new_campaign":
        return {
            "title": "会员诚信承诺活动",
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
        }
    if kind == "new_referral":
        return _referral_body(world.parties.owner_uscc)
    if rule.endswith("/end"):
        return {"reason": "不再符合会员条件"}
    if rule.endswith("/decision"):
        return {"accepted": False, "reason": "证据不足，不予受理"}
    if rule.endswith("/pledges"):
        from credit.extensions import db
        from credit.organisations.models import Campaign
        from credit.pledges.models import PledgeTemplate

        campaign = db.session.get(Campaign, world.made["campaign"].id)
        body = pledge_body(db.session.get(PledgeTemplate, campaign.template_id))
        body.pop("template_id")
        return body
    return {}


def _if_match(obj: Any) -> dict[str, str]:
    if obj is None or not hasattr(obj, "version"):
        return {}
    from credit.extensions import db

    db.session.expire_all()
    current = db.session.get(type(obj), obj.id)
    return {"If-Match": f'"{current.version}"'}


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_organisation_access_matrix(client, app_ctx, route) -> None:
    method, rule = route
    kind, expectations = MATRIX[route]
    world = _world()
    params, obj = _target(kind, world)
    url = rule
    for name, value in params.items():
        url = url.replace(f"<string:{name}>", value)
    for party in PARTIES:
        headers = {} if party == "anonymous" else bearer(client_token(client, world.clients[party]))
        headers.update(_if_match(obj))
        body = _body(kind, method, rule, world, party)
        kwargs = {} if body is None else {"json": body}
        r = client.open(url, method=method, headers=headers, **kwargs)
        expected = expectations[party]
        assert r.status_code == expected, (party, method, url, r.get_data(as_text=True))
        if expected >= 400:
            assert r.content_type == "application/problem+json"
        text = r.get_data(as_text=True)
        # Nothing private leaks: no contacts ever, and no referral outside its three readers.
        assert "customer_service" not in text
        if party in {"anonymous", "member", "other_firm", "reg_out", "other_org"}:
            assert "会员在直播间组织刷单" not in text, (party, url)


def test_matrix_covers_every_organisation_route(clean_app) -> None:
    routes = {
        (m, r.rule)
        for r in clean_app.url_map.iter_rules()
        for m in r.methods - {"HEAD", "OPTIONS"}
        if in_area(r.rule) or r.rule.startswith("/api/v1/organisations")
    }
    assert routes == set(MATRIX)
