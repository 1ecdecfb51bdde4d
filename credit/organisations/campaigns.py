"""Pledge campaigns (承诺活动): an organisation runs one over a published 行业自律型
template; its confirmed members join, then file and publish a pledge from the template
through the pledge service (``credit.pledges.service``: the same rules, drafts, If-Match,
publication and change events as any pledge), and the organisation sees who did.

A member's state in a campaign is the state of the pledge series it filed there, judged
by the one coverage rule (``credit.keyfirms.coverage.states_of``); a draft shows as
``filed`` (its content stays the firm's), no pledge as ``joined``, no participation as
``not_joined``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed
from credit.extensions import db
from credit.identity import Identity
from credit.organisations.models import Campaign, CampaignParticipation, Membership, Organisation
from credit.organisations.service import (
    _firm_self,
    _is_operator,
    _own,
    acting_organisation,
    confirmed_member,
    get_organisation,
    newest_self_discipline_template,
)
from credit.organisations.vocab import IN_FORCE
from credit.permissions import can_read_public, require
from credit.pledges.models import Pledge, PledgeTemplate
from credit.uow import UnitOfWork


@dataclass(frozen=True)
class Figures:
    """Counts of one campaign over its current confirmed members and its participants."""

    members: int = 0
    joined: int = 0
    published: int = 0
    in_force: int = 0
    breached: int = 0
    expired: int = 0
    withdrawn: int = 0
    not_joined: int = 0

    @property
    def rate(self) -> float:
        return round(min(self.in_force, self.members) / self.members, 4) if self.members else 0.0


@dataclass(frozen=True)
class Row:
    """One member or participant of a campaign with its state and public pledge id."""

    enterprise: Enterprise
    state: str
    pledge_id: str | None


@dataclass(frozen=True)
class Coverage:
    campaign: Campaign
    figures: Figures
    rows: list[Row]


# -- the organisation's side -------------------------------------------------------------
def _template(template_id: str | None) -> PledgeTemplate:
    if template_id:
        template = db.session.get(PledgeTemplate, template_id)
        if (
            template is None
            or template.status != "published"
            or template.type != "industry_self_discipline"
        ):
            raise ValidationFailed(
                "模板无效 / invalid template",
                [
                    FieldError(
                        "template_id",
                        "应为已发布的行业自律型承诺书模板 / must be a published "
                        "industry_self_discipline template",
                    )
                ],
            )
        return template
    template = newest_self_discipline_template()
    if template is None:
        raise ValidationFailed(
            "平台尚无行业自律型模板 / no industry self-discipline template",
            [FieldError("template_id", "请平台运营方发布行业自律型模板 / ask the operator")],
        )
    return template


def create_campaign(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Campaign:
    """Start a campaign (``CampaignInputSchema``) over a published 行业自律型 template
    (``template_id``, default the newest)."""
    organisation = _own(identity)
    template = _template(data.get("template_id"))
    campaign = Campaign(
        organisation_id=organisation.id,
        template_id=template.id,
        title=data["title"],
        description=data.get("description") or "",
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        deadline=data.get("deadline"),
        created_by=identity.subject,
        created_at=clock.now(),
    )
    uow.session.add(campaign)
    uow.session.flush()
    uow.record("campaign", campaign.id, campaign.version)
    return campaign


def list_campaigns(identity: Identity, code: str) -> list[Campaign]:
    """An organisation's campaigns, newest first (public)."""
    organisation = get_organisation(identity, code)
    return _campaigns_of(organisation)


def _campaigns_of(organisation: Organisation) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.organisation_id == organisation.id)
            .order_by(Campaign.starts_on.desc(), Campaign.created_at.desc())
        ).unique()
    )


def get_campaign(identity: Identity, campaign_id: str) -> Campaign:
    """One campaign (public while its organisation is active)."""
    require(can_read_public(identity))
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not campaign.organisation.active:
        raise NotFound("未找到该承诺活动 / no such campaign")
    return campaign


def _rows(campaign: Campaign, day: date) -> list[Row]:
    from credit.keyfirms.coverage import best, states_of

    participations = list(
        db.session.scalars(
            sa.select(CampaignParticipation).where(CampaignParticipation.campaign_id == campaign.id)
        ).unique()
    )
    members = list(
        db.session.scalars(
            sa.select(Membership).where(
                Membership.organisation_id == campaign.organisation_id,
                Membership.status == "confirmed",
            )
        ).unique()
    )
    series = [p.pledge_series_id for p in participations if p.pledge_series_id]
    pledges: list[Pledge] = []
    for start in range(0, len(series), 500):
        pledges.extend(
            db.session.scalars(
                sa.select(Pledge).where(Pledge.series_id.in_(series[start : start + 500]))
            )
            .unique()
            .all()
        )
    counted = [
        p for p in pledges if p.consent_to_publish and p.status in ("published", "withdrawn")
    ]
    states = states_of(counted, day)
    by_series: dict[str, list[Pledge]] = {}
    for p in pledges:
        by_series.setdefault(p.series_id, []).append(p)
    rows: list[Row] = []
    for part in participations:
        versions = by_series.get(part.pledge_series_id or "", [])
        public = [p for p in versions if p.id in states and states[p.id] is not None]
        state = best(states[p.id] for p in public)
        if state == "none":
            state = "filed" if any(p.status == "draft" for p in versions) else "joined"
        shown = max(public, key=lambda p: p.series_version).id if public else None
        rows.append(Row(part.enterprise, state, shown))
    joined = {part.enterprise_id for part in participations}
    rows.extend(
        Row(m.enterprise, "not_joined", None) for m in members if m.enterprise_id not in joined
    )
    return sorted(rows, key=lambda r: (r.enterprise.name, r.enterprise.uscc))


def _figures(campaign: Campaign, rows: list[Row]) -> Figures:
    members = {
        eid
        for (eid,) in db.session.execute(
            sa.select(Membership.enterprise_id).where(
                Membership.organisation_id == campaign.organisation_id,
                Membership.status == "confirmed",
            )
        )
    }
    states = Counter(r.state for r in rows)
    return Figures(
        members=len(members),
        joined=sum(n for s, n in states.items() if s != "not_joined"),
        published=sum(n for s, n in states.items() if s not in {"not_joined", "joined", "filed"}),
        in_force=sum(1 for r in rows if r.state in IN_FORCE and r.enterprise.id in members),
        breached=states["breached"],
        expired=states["expired"],
        withdrawn=states["withdrawn"],
        not_joined=states["not_joined"],
    )


def campaign_figures(identity: Identity, campaign_id: str, day: date | None = None) -> Figures:
    """The campaign's coverage figures (public: counts of public facts; a draft counts as
    joined, never as published)."""
    campaign = get_campaign(identity, campaign_id)
    return _figures(campaign, _rows(campaign, day or clock.today()))


def campaign_coverage(identity: Identity, campaign_id: str, day: date | None = None) -> Coverage:
    """Who joined, filed and published, member by member: the campaign's organisation
    (and operators) only; anyone else is told the campaign's coverage list does not
    exist (404)."""
    campaign = get_campaign(identity, campaign_id)
    acting = acting_organisation(identity)
    if not (acting is not None and acting.id == campaign.organisation_id) and not _is_operator(
        identity
    ):
        _own(identity)  # 403 for a caller who is no organisation at all
        raise NotFound("未找到该承诺活动 / no such campaign")
    rows = _rows(campaign, day or clock.today())
    return Coverage(campaign, _figures(campaign, rows), rows)


# -- the member's side -------------------------------------------------------------------
def _participation(campaign_id: str, enterprise_id: str) -> CampaignParticipation | None:
    return db.session.scalar(
        sa.select(CampaignParticipation).where(
            CampaignParticipation.campaign_id == campaign_id,
            CampaignParticipation.enterprise_id == enterprise_id,
        )
    )


def join_campaign(
    identity: Identity, uow: UnitOfWork, campaign_id: str, pledge_id: str | None = None
) -> CampaignParticipation:
    """A confirmed member joins an open campaign; ``pledge_id`` links a pledge it already
    filed from the campaign's template (its series) instead of filing a new one."""
    ent = _firm_self(identity)
    campaign = get_campaign(identity, campaign_id)
    if confirmed_member(campaign.organisation_id, ent.id) is None:
        raise NotFound("未找到该承诺活动 / no such campaign (members only)")
    if not campaign.open_on(clock.today()):
        raise Conflict("活动不在进行中 / the campaign is not open")
    if _participation(campaign.id, ent.id) is not None:
        raise Conflict("已参加该活动 / already joined")
    series_id = None
    if pledge_id:
        pledge = db.session.get(Pledge, pledge_id)
        if pledge is None or pledge.enterprise_id != ent.id:
            raise ValidationFailed(
                "未找到该承诺 / no such pledge", [FieldError("pledge_id", "not yours or unknown")]
            )
        if pledge.template_id != campaign.template_id:
            raise ValidationFailed(
                "承诺不是用本活动的模板填报的 / not filed from the campaign's template",
                [FieldError("pledge_id", "other template", "template_mismatch")],
            )
        series_id = pledge.series_id
    participation = CampaignParticipation(
        campaign_id=campaign.id,
        enterprise_id=ent.id,
        joined_by=identity.subject,
        joined_at=clock.now(),
        pledge_series_id=series_id,
    )
    uow.session.add(participation)
    uow.session.flush()
    uow.record("campaign_participation", participation.id, participation.version)
    return participation


def file_campaign_pledge(
    identity: Identity, uow: UnitOfWork, campaign_id: str, data: dict[str, Any]
) -> Pledge:
    """A participant files its pledge from the campaign's template (``data`` loaded by
    ``CampaignPledgeInputSchema``): a draft through ``pledges.create_pledge``, published
    through the pledge API like any other; its series is linked to the participation."""
    from credit.pledges import service as pledges

    ent = _firm_self(identity)
    campaign = get_campaign(identity, campaign_id)
    participation = _participation(campaign.id, ent.id)
    if participation is None:
        if confirmed_member(campaign.organisation_id, ent.id) is None:
            raise NotFound("未找到该承诺活动 / no such campaign (members only)")
        raise Conflict("请先参加该活动 / join the campaign first")
    if not campaign.open_on(clock.today()):
        raise Conflict("活动不在进行中 / the campaign is not open")
    if participation.pledge_series_id:
        raise Conflict(
            "已在本活动中填报承诺；变更请通过承诺的 amendments 接口 / already filed: amend "
            "the pledge instead"
        )
    pledge = pledges.create_pledge(identity, uow, {**data, "template_id": campaign.template_id})
    participation.pledge_series_id = pledge.series_id
    uow.session.flush()
    uow.record("campaign_participation", participation.id, participation.version)
    return pledge


@dataclass(frozen=True)
class MyCampaign:
    campaign: Campaign
    participation: CampaignParticipation | None


def my_campaigns(identity: Identity) -> list[MyCampaign]:
    """The campaigns of the organisations the firm is a confirmed member of, and the ones
    it joined, with its participation."""
    ent = _firm_self(identity)
    orgs = sa.select(Membership.organisation_id).where(
        Membership.enterprise_id == ent.id, Membership.status == "confirmed"
    )
    joined = sa.select(CampaignParticipation.campaign_id).where(
        CampaignParticipation.enterprise_id == ent.id
    )
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(sa.or_(Campaign.organisation_id.in_(orgs), Campaign.id.in_(joined)))
        .order_by(Campaign.starts_on.desc(), Campaign.id)
    ).unique()
    return [MyCampaign(c, _participation(c.id, ent.id)) for c in campaigns]


def public_campaigns(identity: Identity, code: str) -> list[tuple[Campaign, Figures]]:
    """An organisation's campaigns with their public figures (its public page)."""
    organisation = get_organisation(identity, code)
    today = clock.today()
    return [(c, _figures(c, _rows(c, today))) for c in _campaigns_of(organisation)]
