"""The demo organisation for a local run (``make run``): 江苏省电子商务协会 (``JS-ECA``)
with a console user and an OAuth client, a published convention, a few confirmed members
in Nanjing (two of them filed and published from its campaign) and one campaign.
Idempotent: does nothing when the organisation exists. Development data only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from credit import clock, uscc
from credit.accounts import service as accounts
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.organisations import campaigns, service
from credit.organisations.models import Organisation
from credit.permissions import can_manage_registry, require
from credit.pledges import service as pledges
from credit.uow import UnitOfWork

CODE = "JS-ECA"
USER = "demo-association"
PASSWORD = "demo-association-2026"  # noqa: S105 (a documented local demo password)
MEMBERS_CITY = "320100"  # 南京市
CONVENTION = {
    "title": "江苏省电子商务行业自律公约",
    "title_en": "Jiangsu e-commerce industry self-discipline convention",
    "preamble": "为维护公平竞争的网络交易秩序，推动行业诚信建设（电子商务法第八条），"
    "本会会员共同遵守本公约。",
    "clauses": [
        {"code": "A1", "text": "诚信经营，不虚构交易、不刷单炒信。", "text_en": "No fake orders."},
        {"code": "A2", "text": "真实宣传，不作虚假或引人误解的宣传。", "text_en": "Honest ads."},
        {"code": "A3", "text": "依法保护消费者权益和个人信息。", "text_en": "Protect consumers."},
        {
            "code": "A4",
            "text": "接受本会自律管理和社会监督。",
            "text_en": "Accept self-regulation.",
        },
    ],
}


@dataclass
class DemoOrganisation:
    code: str
    created: bool
    client_id: str | None = None
    client_secret: str | None = None
    members: list[str] = field(default_factory=list)


def ensure_demo_organisation(identity: Identity, uow: UnitOfWork) -> DemoOrganisation:
    """Create the demo organisation and its data unless it exists (operators only)."""
    require(can_manage_registry(identity))
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.code == CODE)):
        return DemoOrganisation(CODE, created=False)
    organisation = service.create_organisation(
        identity,
        uow,
        {
            "code": CODE,
            "name": "江苏省电子商务协会",
            "name_en": "Jiangsu E-commerce Association",
            "uscc": uscc.complete("51320000MJ5678900"[:16]),
            "division_code": "320000",
            "kind": "association",
            "website": None,
        },
    )
    issued = accounts.create_client(
        identity,
        uow,
        kind="organisation",
        name="江苏省电子商务协会会员系统",
        organisation_code=CODE,
        scope_list=["organisations:write"],
    )
    accounts.create_user(
        identity,
        uow,
        username=USER,
        password=PASSWORD,
        kind="organisation",
        display_name="江苏省电子商务协会 秘书处",
        scope_list=["organisations:write"],
        organisation_code=CODE,
    )
    org = Identity(
        IdentityKind.ORGANISATION,
        f"user:{USER}",
        organisation_id=organisation.id,
        scopes=frozenset({"organisations:write"}),
    )
    today = clock.today()
    draft = service.draft_convention(org, uow, {**CONVENTION, "effective_from": today})
    service.publish_convention(org, uow, draft.id, draft.version)
    campaign = campaigns.create_campaign(
        org,
        uow,
        {
            "title": f"{today.year} 年度会员诚信经营承诺活动",
            "description": "本会会员签署《电子商务行业自律承诺书》并在平台公示。",
            "starts_on": today,
            "ends_on": today + timedelta(days=365),
            "deadline": today + timedelta(days=90),
        },
    )
    firms = db.session.scalars(
        sa.select(Enterprise)
        .where(Enterprise.city_code == MEMBERS_CITY, Enterprise.status == "active")
        .order_by(Enterprise.uscc)
        .limit(4)
    ).all()
    out = DemoOrganisation(CODE, True, issued.client.client_id, issued.client_secret)
    for i, firm in enumerate(firms):
        membership = service.invite_member(org, uow, {"uscc": firm.uscc})
        member = Identity(
            IdentityKind.ENTERPRISE,
            "demo",
            enterprise_id=firm.id,
            scopes=frozenset({"enterprises:write", "pledges:write"}),
        )
        service.confirm_membership(member, uow, membership.id)
        out.members.append(firm.uscc)
        if i >= 2:
            continue
        campaigns.join_campaign(member, uow, campaign.id)
        chosen = pledges.get_template(identity, campaign.template_id)
        pledge = campaigns.file_campaign_pledge(
            member,
            uow,
            campaign.id,
            {
                "clauses": chosen.required_codes(),
                "extra_commitments": [],
                "valid_from": today,
                "valid_until": today + timedelta(days=364),
                "signer_name": "王建国",
                "signer_title": "总经理",
                "consent_to_publish": True,
            },
        )
        pledges.publish_pledge(member, uow, pledge.id, pledge.version)
    return out
