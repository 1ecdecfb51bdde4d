"""Organisations in-process: the party, the convention's versions, memberships, campaigns
with their coverage, and referrals that change nothing public."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    ValidationFailed,
)
from credit.extensions import db
from credit.identity import ANONYMOUS, SYSTEM
from credit.organisations import campaigns, referrals, service
from credit.organisations.vocab import SELF_DISCIPLINE_CODE
from credit.pledges import service as pledges
from credit.uow import unit_of_work
from tests.organisations.helpers import (
    CONVENTION,
    confirm_member,
    enterprise_identity,
    make_campaign,
    make_organisation,
    org_uscc,
    publish_convention,
    regulator,
)
from tests.parties import pledge_body


def _fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in exc.value.errors}


# -- the party ---------------------------------------------------------------------------
def test_operator_registers_an_organisation_and_the_template_is_seeded(org) -> None:
    template = service.newest_self_discipline_template()
    assert template is not None and template.code == SELF_DISCIPLINE_CODE
    assert template.type == "industry_self_discipline" and template.status == "published"
    assert "S01" in template.required_codes()
    assert service.get_organisation(ANONYMOUS, "ECA").uscc == org.organisation.uscc
    # A second organisation reuses the template rather than seeding another.
    make_organisation("CHAMBER", serial=2)
    assert [t.code for t in pledges.list_templates(SYSTEM)].count(SELF_DISCIPLINE_CODE) == 1


def test_organisation_needs_a_social_organisations_code_and_a_unique_code(org) -> None:
    data = {
        "code": "X1",
        "name": "某商会",
        "name_en": "A chamber",
        "uscc": "91110000600037341L",
        "division_code": "329999",
        "kind": "chamber",
    }
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        service.create_organisation(SYSTEM, uow, data)
    assert _fields(exc) == {"uscc", "division_code"}
    with pytest.raises(Conflict), unit_of_work() as uow:
        service.create_organisation(
            SYSTEM, uow, {**data, "code": "ECA", "uscc": org_uscc(9), "division_code": "320500"}
        )
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        service.create_organisation(org.identity, uow, data)


# -- the convention ----------------------------------------------------------------------
def test_convention_versions_draft_publish_supersede(org) -> None:
    first = publish_convention(org)
    assert first.status == "published" and first.number == 1
    data = {**CONVENTION, "title": "第二版公约", "effective_from": clock.today()}
    with unit_of_work() as uow:
        draft = service.draft_convention(org.identity, uow, data)
    with pytest.raises(Conflict), unit_of_work() as uow:  # one draft at a time
        service.draft_convention(org.identity, uow, data)
    # The public sees the version in force and the history, never the draft.
    assert service.current_convention(ANONYMOUS, "ECA").id == first.id
    assert [c.number for c in service.convention_versions(ANONYMOUS, "ECA")] == [1]
    assert [c.number for c in service.convention_versions(org.identity, "ECA")] == [2, 1]
    with pytest.raises(NotFound):
        service.get_convention(ANONYMOUS, draft.id)
    with pytest.raises(PreconditionRequired), unit_of_work() as uow:
        service.publish_convention(org.identity, uow, draft.id, None)
    with unit_of_work() as uow:
        second = service.publish_convention(org.identity, uow, draft.id, draft.version)
    assert second.number == 2
    versions = service.convention_versions(ANONYMOUS, "ECA")
    assert [(c.number, c.status) for c in versions] == [(2, "published"), (1, "superseded")]
    # A published version is immutable.
    with pytest.raises(Conflict), unit_of_work() as uow:
        service.replace_draft_convention(org.identity, uow, second.id, data, second.version)


def test_another_organisation_cannot_touch_the_convention(org) -> None:
    other = make_organisation("OTHER", serial=3)
    with unit_of_work() as uow:
        draft = service.draft_convention(
            org.identity, uow, {**CONVENTION, "effective_from": clock.today()}
        )
    with pytest.raises(NotFound), unit_of_work() as uow:
        service.publish_convention(other.identity, uow, draft.id, draft.version)
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        service.draft_convention(enterprise_identity_of_nobody(), uow, CONVENTION)


def enterprise_identity_of_nobody():
    from credit.identity import Identity, IdentityKind

    return Identity(IdentityKind.ENTERPRISE, "client:x", enterprise_id="nobody")


# -- members -----------------------------------------------------------------------------
def test_membership_invite_confirm_end_with_history(org, parties) -> None:
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        service.invite_member(org.identity, uow, {"uscc": org_uscc(7)})
    assert _fields(exc) == {"uscc"}
    with unit_of_work() as uow:
        invitation = service.invite_member(org.identity, uow, {"uscc": parties.owner_uscc})
    with pytest.raises(Conflict), unit_of_work() as uow:
        service.invite_member(org.identity, uow, {"uscc": parties.owner_uscc})
    # Pending: private to the two parties; not a member yet.
    assert service.public_memberships(ANONYMOUS, parties.owner_uscc) == []
    with pytest.raises(NotFound):
        service.get_membership(enterprise_identity(parties.other_uscc), invitation.id)
    with pytest.raises(PermissionDenied), unit_of_work() as uow:  # only the firm confirms
        service.confirm_membership(org.identity, uow, invitation.id)
    with unit_of_work() as uow:
        service.confirm_membership(enterprise_identity(parties.owner_uscc), uow, invitation.id)
    assert [o.code for o in service.public_memberships(ANONYMOUS, parties.owner_uscc)] == ["ECA"]
    assert service.member_count(org.organisation.id) == 1
    rows = service.list_members(org.identity)
    assert [(r.membership.enterprise.uscc, r.pledge_state) for r in rows] == [
        (parties.owner_uscc, "none")
    ]
    with unit_of_work() as uow:
        service.end_membership(
            enterprise_identity(parties.owner_uscc), uow, invitation.id, "业务调整，退出协会"
        )
    assert service.member_count(org.organisation.id) == 0
    # History is kept, and the organisation may invite the firm again.
    ended = service.list_members(org.identity, status=None)
    assert [(m.membership.status, m.membership.ended_by_side) for m in ended] == [
        ("ended", "enterprise")
    ]
    with unit_of_work() as uow:
        again = service.invite_member(org.identity, uow, {"uscc": parties.owner_uscc})
    with unit_of_work() as uow:
        service.decline_membership(enterprise_identity(parties.owner_uscc), uow, again.id, None)
    mine = service.my_memberships(enterprise_identity(parties.owner_uscc))
    assert sorted(m.status for m in mine) == ["declined", "ended"]


# -- campaigns ---------------------------------------------------------------------------
def _file(code: str, campaign, publish: bool):
    from credit.pledges.models import PledgeTemplate

    template = db.session.get(PledgeTemplate, campaign.template_id)
    data = pledge_body(template)
    data.pop("template_id")
    data["valid_from"] = date.fromisoformat(data["valid_from"])
    data["valid_until"] = date.fromisoformat(data["valid_until"])
    firm = enterprise_identity(code)
    with unit_of_work() as uow:
        pledge = campaigns.file_campaign_pledge(firm, uow, campaign.id, data)
    if publish:
        with unit_of_work() as uow:
            pledge = pledges.publish_pledge(firm, uow, pledge.id, pledge.version)
    return pledge


def test_campaign_join_file_publish_and_coverage(org, parties) -> None:
    confirm_member(org, parties.owner_uscc)
    campaign = make_campaign(org)
    owner = enterprise_identity(parties.owner_uscc)
    other = enterprise_identity(parties.other_uscc)
    coverage = campaigns.campaign_coverage(org.identity, campaign.id)
    assert [r.state for r in coverage.rows] == ["not_joined"]
    # Only confirmed members may join; a non-member is told there is no such campaign.
    with pytest.raises(NotFound), unit_of_work() as uow:
        campaigns.join_campaign(other, uow, campaign.id)
    with pytest.raises(Conflict), unit_of_work() as uow:  # join before filing
        campaigns.file_campaign_pledge(owner, uow, campaign.id, {})
    with unit_of_work() as uow:
        campaigns.join_campaign(owner, uow, campaign.id)
    assert campaigns.campaign_coverage(org.identity, campaign.id).rows[0].state == "joined"
    draft = _file(parties.owner_uscc, campaign, publish=False)
    coverage = campaigns.campaign_coverage(org.identity, campaign.id)
    assert coverage.rows[0].state == "filed" and coverage.rows[0].pledge_id is None
    public = campaigns.campaign_figures(ANONYMOUS, campaign.id)
    assert (public.members, public.joined, public.published, public.in_force) == (1, 1, 0, 0)
    with unit_of_work() as uow:
        published = pledges.publish_pledge(owner, uow, draft.id, draft.version)
    coverage = campaigns.campaign_coverage(org.identity, campaign.id)
    assert coverage.rows[0].state == "in_force" and coverage.rows[0].pledge_id == published.id
    assert (coverage.figures.published, coverage.figures.in_force) == (1, 1)
    assert coverage.figures.rate == 1.0
    # The member list shows the member's public pledge state.
    assert [r.pledge_state for r in service.list_members(org.identity)] == ["in_force"]
    # A second filing in the same campaign is refused (amend the pledge instead).
    with pytest.raises(Conflict), unit_of_work() as uow:
        campaigns.file_campaign_pledge(owner, uow, campaign.id, {})
    # Coverage detail is the organisation's; others get 404 or 403.
    other_org = make_organisation("OTHER", serial=3)
    with pytest.raises(NotFound):
        campaigns.campaign_coverage(other_org.identity, campaign.id)
    with pytest.raises(PermissionDenied):
        campaigns.campaign_coverage(owner, campaign.id)
    assert [m.participation is not None for m in campaigns.my_campaigns(owner)] == [True]


def test_campaign_needs_a_self_discipline_template_and_a_bounded_period(org, parties) -> None:
    from credit.organisations.schemas import CampaignInputSchema

    standard = pledges.list_templates(SYSTEM)
    ecom = [t for t in standard if t.type != "industry_self_discipline"]
    if ecom:
        with pytest.raises(ValidationFailed) as exc:
            make_campaign(org, template_id=ecom[0].id)
        assert _fields(exc) == {"template_id"}
    today = clock.today()
    errors = CampaignInputSchema().validate(
        {
            "title": "活动",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "deadline": (today - timedelta(days=1)).isoformat(),
        }
    )
    assert set(errors) == {"deadline"}
    errors = CampaignInputSchema().validate(
        {
            "title": "活动",
            "starts_on": today.isoformat(),
            "ends_on": (today - timedelta(days=1)).isoformat(),
        }
    )
    assert set(errors) == {"ends_on"}
    errors = CampaignInputSchema().validate(
        {"title": "活动", "starts_on": "9999-12-31", "ends_on": "9999-12-31"}
    )
    assert {"starts_on", "ends_on"} <= set(errors)


def test_joining_with_a_pledge_of_another_template_is_refused(org, parties) -> None:
    from tests.parties import make_pledge

    confirm_member(org, parties.owner_uscc)
    campaign = make_campaign(org)
    other_template = make_pledge(parties.owner_uscc, publish=True)
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        campaigns.join_campaign(
            enterprise_identity(parties.owner_uscc), uow, campaign.id, other_template.id
        )
    assert _fields(exc) == {"pledge_id"}


# -- referrals ---------------------------------------------------------------------------
def _referral(org, parties, **overrides) -> dict:
    return {
        "uscc": parties.owner_uscc,
        "authority": "IN",
        "clauses": ["A1"],
        "facts": "会员单位在直播间组织刷单，已由协会调查核实。",
        "evidence": ["https://example.com/evidence/1"],
        **overrides,
    }


def test_referral_rules_and_a_decline_that_changes_nothing_public(org, parties) -> None:
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:  # not a member
        referrals.refer_breach(org.identity, uow, _referral(org, parties))
    assert _fields(exc) == {"uscc"}
    confirm_member(org, parties.owner_uscc)
    with pytest.raises(Conflict), unit_of_work() as uow:  # no convention yet
        referrals.refer_breach(org.identity, uow, _referral(org, parties))
    publish_convention(org)
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        referrals.refer_breach(
            org.identity, uow, _referral(org, parties, authority="OUT", clauses=["Z9"])
        )
    assert _fields(exc) == {"authority", "clauses"}
    before = db.session.scalar(sa.select(sa.func.max(ChangeEvent.id)))
    with unit_of_work() as uow:
        referral = referrals.refer_breach(org.identity, uow, _referral(org, parties))
    assert referral.status == "submitted"
    # Private: the firm, another regulator, the public never see it.
    for outsider in (enterprise_identity(parties.owner_uscc), regulator("OUT")):
        with pytest.raises((NotFound, PermissionDenied)):
            referrals.get_referral(outsider, referral.id)
    with pytest.raises(PermissionDenied):
        referrals.list_referrals(ANONYMOUS)
    assert [r.id for r in referrals.list_referrals(regulator("IN"))] == [referral.id]
    assert referrals.list_referrals(regulator("OUT")) == []
    with pytest.raises(NotFound), unit_of_work() as uow:
        referrals.decide_referral(
            regulator("OUT"), uow, referral.id, {"accepted": False, "reason": "无管辖"}
        )
    with unit_of_work() as uow:
        decided = referrals.decide_referral(
            regulator("IN"), uow, referral.id, {"accepted": False, "reason": "证据不足，不予受理"}
        )
    assert decided.status == "declined"
    with pytest.raises(Conflict), unit_of_work() as uow:
        referrals.decide_referral(
            regulator("IN"), uow, referral.id, {"accepted": True, "reason": "再次处理"}
        )
    # The referral's events name no firm: nothing re-rates or re-indexes.
    from credit.changes import Change
    from credit.owners import enterprises_touched

    events = db.session.scalars(sa.select(ChangeEvent).where(ChangeEvent.id > before)).all()
    assert {e.entity_type for e in events} == {"referral"}
    changes = [Change(e.id, e.entity_type, e.entity_id, e.entity_version, e.op) for e in events]
    assert enterprises_touched(db.session, changes) == []
