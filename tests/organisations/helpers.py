"""Industry organisations for tests, made through the real services: the organisation,
its client identity and OAuth client, a published convention, confirmed members, a
campaign; and the identity of the regulator over the owner's city (``IN`` of
tests/parties.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from credit import clock, uscc
from credit.accounts import service as accounts
from credit.accounts.models import Authority
from credit.extensions import db
from credit.identity import SYSTEM, Identity, IdentityKind
from credit.organisations import campaigns, service
from credit.organisations.models import Organisation
from credit.uow import unit_of_work
from tests.parties import Client

ORG_SCOPES = ["organisations:write"]


def org_uscc(serial: int = 1, division: str = "320000") -> str:
    """A valid social organisation's code (position 1: 5, civil affairs; 2: 1, 社会团体)."""
    return uscc.complete(f"51{division}MJ{serial:05d}0"[:16])


@dataclass
class Org:
    organisation: Organisation
    identity: Identity
    code: str


def make_organisation(code: str = "ECA", serial: int = 1, name: str | None = None) -> Org:
    with unit_of_work() as uow:
        organisation = service.create_organisation(
            SYSTEM,
            uow,
            {
                "code": code,
                "name": name or f"江苏省电子商务协会{code}",
                "name_en": f"Jiangsu E-commerce Association {code}",
                "uscc": org_uscc(serial),
                "division_code": "320000",
                "kind": "association",
                "website": None,
            },
        )
    identity = Identity(
        IdentityKind.ORGANISATION,
        f"client:{code}",
        organisation_id=organisation.id,
        scopes=frozenset(ORG_SCOPES),
    )
    return Org(organisation, identity, code)


def org_client(code: str) -> Client:
    with unit_of_work() as uow:
        issued = accounts.create_client(
            SYSTEM,
            uow,
            kind="organisation",
            name=f"{code} system",
            organisation_code=code,
            scope_list=ORG_SCOPES,
        )
    return Client(issued.client.client_id, issued.client_secret)


CONVENTION = {
    "title": "江苏省电子商务行业自律公约",
    "title_en": "Jiangsu e-commerce industry self-discipline convention",
    "preamble": "为规范电子商务经营行为，会员单位共同遵守本公约。",
    "clauses": [
        {"code": "A1", "text": "诚信经营，不刷单炒信。", "text_en": "No fake orders."},
        {"code": "A2", "text": "保护消费者权益。", "text_en": "Protect consumers."},
    ],
}


def convention_body(**overrides) -> dict:
    return {**CONVENTION, "effective_from": clock.today().isoformat(), **overrides}


def publish_convention(org: Org, **overrides):
    data = {**CONVENTION, "effective_from": clock.today(), **overrides}
    with unit_of_work() as uow:
        draft = service.draft_convention(org.identity, uow, data)
    with unit_of_work() as uow:
        return service.publish_convention(org.identity, uow, draft.id, draft.version)


def enterprise_identity(code: str, scopes: tuple[str, ...] = ()) -> Identity:
    from tests.parties import owner_identity

    base = owner_identity(code)
    return Identity(
        IdentityKind.ENTERPRISE,
        base.subject,
        enterprise_id=base.enterprise_id,
        scopes=frozenset({"pledges:write", "enterprises:write", *scopes}),
    )


def confirm_member(org: Org, code: str):
    with unit_of_work() as uow:
        invitation = service.invite_member(org.identity, uow, {"uscc": code})
    with unit_of_work() as uow:
        return service.confirm_membership(enterprise_identity(code), uow, invitation.id)


def make_campaign(org: Org, **overrides):
    today = clock.today()
    data = {
        "title": "2026 年度会员诚信承诺活动",
        "description": "会员单位签署行业自律承诺。",
        "starts_on": today,
        "ends_on": today + timedelta(days=180),
        "deadline": None,
        **overrides,
    }
    with unit_of_work() as uow:
        return campaigns.create_campaign(org.identity, uow, data)


def regulator(code: str = "IN") -> Identity:
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    return Identity(
        IdentityKind.REGULATOR,
        f"client:{code}",
        authority_id=authority.id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset(authority.jurisdiction),
    )
