"""Industry organisations (行业组织): the public pages' data (organisations, conventions
with history, member counts, campaigns with coverage figures, a firm's organisations);
the organisation's own work (convention drafts and publication, members, campaigns and
their coverage, referrals); the firm's answers (invitations, memberships, joining and
filing in campaigns); the authority's referral inbox and decisions; operators register
organisations.

Referrals are private: the organisation that sent one, the authority it went to and
operators see it; anyone else is told it does not exist."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, public, require_scope
from api.idempotency import idempotent
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of, expected_version, page_body
from credit.organisations import campaigns, referrals, service
from credit.organisations.schemas import (
    CampaignInputSchema,
    CampaignPledgeInputSchema,
    CampaignSchema,
    CampaignWithFiguresSchema,
    ConventionDraftSchema,
    ConventionSchema,
    CoverageSchema,
    DeclineSchema,
    InviteSchema,
    JoinSchema,
    MemberSchema,
    MembershipSchema,
    OrganisationInputSchema,
    OrganisationSchema,
    ParticipationSchema,
    ReasonSchema,
    ReferralDecisionSchema,
    ReferralInputSchema,
    ReferralSchema,
)
from credit.organisations.vocab import MEMBERSHIP_STATUSES, REFERRAL_STATUSES
from credit.pledges.schemas import PledgeSchema
from credit.text import Text
from credit.uow import unit_of_work

PREFIX = ""
SCOPE = "organisations:write"
blp = Blueprint("organisations", __name__, description="行业组织 / industry organisations")


# -- answer schemas ----------------------------------------------------------------------
class OrganisationPageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(OrganisationSchema))


class OverviewSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    convention = fields.Nested(ConventionSchema, allow_none=True)
    member_count = fields.Integer()
    campaigns = fields.List(fields.Nested(CampaignWithFiguresSchema))


class ConventionListSchema(Schema):
    items = fields.List(fields.Nested(ConventionSchema))


class MemberListSchema(Schema):
    items = fields.List(fields.Nested(MemberSchema))


class MembershipListSchema(Schema):
    items = fields.List(fields.Nested(MembershipSchema))


class CampaignListSchema(Schema):
    items = fields.List(fields.Nested(CampaignWithFiguresSchema))


class MyCampaignSchema(Schema):
    campaign = fields.Nested(CampaignSchema)
    participation = fields.Nested(ParticipationSchema, allow_none=True)


class MyCampaignListSchema(Schema):
    items = fields.List(fields.Nested(MyCampaignSchema))


class ReferralListSchema(Schema):
    items = fields.List(fields.Nested(ReferralSchema))


class MemberOfSchema(Schema):
    items = fields.List(fields.Nested(OrganisationSchema))


class MembersArgs(Schema):
    class Meta:
        unknown = RAISE

    status = Text(
        validate=validate.OneOf([*MEMBERSHIP_STATUSES, "all"]),
        load_default="confirmed",
        metadata={"description": "confirmed（默认）| pending | declined | ended | all"},
    )


class ReferralArgs(Schema):
    class Meta:
        unknown = RAISE

    status = Text(validate=validate.OneOf(list(REFERRAL_STATUSES)))


class NoBodySchema(Schema):
    class Meta:
        unknown = RAISE


def _overview(organisation: Any) -> dict[str, Any]:
    identity = current_identity()
    return {
        "organisation": organisation,
        "convention": service.current_convention(identity, organisation.code),
        "member_count": service.member_count(organisation.id),
        "campaigns": [
            {"campaign": c, "figures": f}
            for c, f in campaigns.public_campaigns(identity, organisation.code)
        ],
    }


def _tagged(obj: Any, status: int = 200) -> Any:
    return obj, status, {"ETag": etag_of(obj.version)}


# -- public ------------------------------------------------------------------------------
@blp.route("/organisations", methods=["GET"])
@public
@blp.arguments(PageArgs, location="query")
@blp.response(200, OrganisationPageSchema)
def list_organisations(args: dict[str, Any]) -> Any:
    """行业组织名录 / Industry organisations"""
    page = service.list_organisations(current_identity(), args["page"], args["size"])
    return page_body(page, page.items)


@blp.route("/organisations/<string:code>", methods=["GET"])
@public
@blp.response(200, OverviewSchema)
def get_organisation(code: str) -> Any:
    """行业组织：现行自律公约、会员数、承诺活动及覆盖情况 / An organisation: its convention
    in force, member count, campaigns with coverage figures"""
    return _overview(service.get_organisation(current_identity(), code))


@blp.route("/organisations/<string:code>/convention", methods=["GET"])
@public
@blp.response(200, ConventionSchema)
@blp.alt_response(404, description="尚未发布自律公约 / no convention published yet")
def get_convention(code: str) -> Any:
    """现行自律公约 / The convention in force"""
    from credit.errors import NotFound

    convention = service.current_convention(current_identity(), code)
    if convention is None:
        raise NotFound("该行业组织尚未发布自律公约 / no convention published yet")
    return _tagged(convention)


@blp.route("/organisations/<string:code>/convention/versions", methods=["GET"])
@public
@blp.response(200, ConventionListSchema)
def convention_versions(code: str) -> Any:
    """自律公约历次版本（新到旧）/ Every published version, newest first"""
    return {"items": service.convention_versions(current_identity(), code)}


@blp.route("/campaigns/<string:campaign_id>", methods=["GET"])
@public
@blp.response(200, CampaignWithFiguresSchema)
def get_campaign(campaign_id: str) -> Any:
    """承诺活动及覆盖数字 / A campaign and its coverage figures"""
    identity = current_identity()
    campaign = campaigns.get_campaign(identity, campaign_id)
    return {"campaign": campaign, "figures": campaigns.campaign_figures(identity, campaign.id)}


@blp.route("/enterprises/<string:uscc>/organisations", methods=["GET"])
@public
@blp.response(200, MemberOfSchema)
def member_of(uscc: str) -> Any:
    """经营者所属的行业组织（已确认的会员关系）/ The organisations a firm is a member of"""
    return {"items": service.public_memberships(current_identity(), uscc)}


# -- operators ---------------------------------------------------------------------------
@blp.route("/organisations", methods=["POST"])
@require_scope("admin")
@idempotent(locate=False)
@blp.arguments(OrganisationInputSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(data: dict[str, Any]) -> Any:
    """登记行业组织（平台运营方）/ Register an organisation (operators)"""
    with unit_of_work() as uow:
        organisation = service.create_organisation(current_identity(), uow, data)
    return _tagged(organisation, 201)


# -- the organisation --------------------------------------------------------------------
@blp.route("/organisation", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, OverviewSchema)
def own_organisation() -> Any:
    """本组织概况 / The caller's organisation"""
    return _overview(service.own_organisation(current_identity()))


@blp.route("/organisation/convention/drafts", methods=["POST"])
@require_scope(SCOPE)
@idempotent(locate=False)
@blp.arguments(ConventionDraftSchema)
@blp.response(201, ConventionSchema)
def draft_convention(data: dict[str, Any]) -> Any:
    """起草自律公约新版本 / Draft the next version of the convention"""
    with unit_of_work() as uow:
        convention = service.draft_convention(current_identity(), uow, data)
    return _tagged(convention, 201)


@blp.route("/organisation/convention/drafts/<string:convention_id>", methods=["PUT"])
@require_scope(SCOPE)
@blp.arguments(ConventionDraftSchema)
@blp.response(200, ConventionSchema)
@blp.alt_response(412, description="版本已变更 / stale If-Match")
@blp.alt_response(428, description="缺少 If-Match / If-Match required")
def replace_draft(data: dict[str, Any], convention_id: str) -> Any:
    """修改草稿（需 If-Match）/ Replace the draft (If-Match)"""
    with unit_of_work() as uow:
        convention = service.replace_draft_convention(
            current_identity(), uow, convention_id, data, expected_version()
        )
    return _tagged(convention)


@blp.route("/organisation/convention/drafts/<string:convention_id>/publish", methods=["POST"])
@require_scope(SCOPE)
@blp.response(200, ConventionSchema)
@blp.alt_response(412, description="版本已变更 / stale If-Match")
@blp.alt_response(428, description="缺少 If-Match / If-Match required")
def publish_convention(convention_id: str) -> Any:
    """发布草稿（需 If-Match；旧版本转为历史版本）/ Publish the draft (If-Match)"""
    with unit_of_work() as uow:
        convention = service.publish_convention(
            current_identity(), uow, convention_id, expected_version()
        )
    return _tagged(convention)


@blp.route("/organisation/members", methods=["GET"])
@require_scope(SCOPE)
@blp.arguments(MembersArgs, location="query")
@blp.response(200, MemberListSchema)
def list_members(args: dict[str, Any]) -> Any:
    """会员名单及各会员的承诺状态（公开信息）/ Members and their public pledge state"""
    status = None if args["status"] == "all" else args["status"]
    return {"items": service.list_members(current_identity(), status)}


@blp.route("/organisation/members", methods=["POST"])
@require_scope(SCOPE)
@idempotent(locate=False)
@blp.arguments(InviteSchema)
@blp.response(201, MembershipSchema)
def invite_member(data: dict[str, Any]) -> Any:
    """邀请企业入会（待企业确认）/ Invite a firm (it confirms)"""
    with unit_of_work() as uow:
        membership = service.invite_member(current_identity(), uow, data)
    return _tagged(membership, 201)


@blp.route("/organisation/members/<string:membership_id>/end", methods=["POST"])
@require_scope(SCOPE)
@blp.arguments(ReasonSchema)
@blp.response(200, MembershipSchema)
def organisation_ends_membership(data: dict[str, Any], membership_id: str) -> Any:
    """终止会员关系或撤回邀请（须说明理由）/ End a membership or withdraw an invitation"""
    with unit_of_work() as uow:
        membership = service.end_membership(
            current_identity(), uow, membership_id, data["reason"], expected_version()
        )
    return _tagged(membership)


@blp.route("/organisation/campaigns", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, CampaignListSchema)
def own_campaigns() -> Any:
    """本组织的承诺活动及覆盖数字 / The organisation's campaigns and figures"""
    identity = current_identity()
    organisation = service.own_organisation(identity)
    return {
        "items": [
            {"campaign": c, "figures": f}
            for c, f in campaigns.public_campaigns(identity, organisation.code)
        ]
    }


@blp.route("/organisation/campaigns", methods=["POST"])
@require_scope(SCOPE)
@idempotent(locate=False)
@blp.arguments(CampaignInputSchema)
@blp.response(201, CampaignSchema)
def create_campaign(data: dict[str, Any]) -> Any:
    """发起承诺活动（行业自律型模板）/ Start a pledge campaign"""
    with unit_of_work() as uow:
        campaign = campaigns.create_campaign(current_identity(), uow, data)
    return _tagged(campaign, 201)


@blp.route("/organisation/campaigns/<string:campaign_id>/coverage", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, CoverageSchema)
def campaign_coverage(campaign_id: str) -> Any:
    """活动覆盖明细：谁参加、填报、公示了承诺 / Who joined, filed and published"""
    coverage = campaigns.campaign_coverage(current_identity(), campaign_id)
    return {"campaign": coverage.campaign, "figures": coverage.figures, "members": coverage.rows}


@blp.route("/organisation/referrals", methods=["POST"])
@require_scope(SCOPE)
@idempotent(locate=False)
@blp.arguments(ReferralInputSchema)
@blp.response(201, ReferralSchema)
def refer_breach(data: dict[str, Any]) -> Any:
    """向有管辖权的监管机关转交会员违反自律公约的线索（不公开）/ Refer a member's breach
    to a competent authority (never public)"""
    with unit_of_work() as uow:
        referral = referrals.refer_breach(current_identity(), uow, data)
    return _tagged(referral, 201)


@blp.route("/organisation/referrals", methods=["GET"])
@require_scope(SCOPE)
@blp.arguments(ReferralArgs, location="query")
@blp.response(200, ReferralListSchema)
def sent_referrals(args: dict[str, Any]) -> Any:
    """本组织转交的线索及处理结果 / Referrals sent and their outcome"""
    return {"items": referrals.list_referrals(current_identity(), args.get("status"))}


@blp.route("/organisation/referrals/<string:referral_id>", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, ReferralSchema)
def sent_referral(referral_id: str) -> Any:
    """一条转交 / One referral"""
    return _tagged(referrals.get_referral(current_identity(), referral_id))


# -- the firm ----------------------------------------------------------------------------
@blp.route("/memberships", methods=["GET"])
@require_scope("enterprises:write")
@blp.response(200, MembershipListSchema)
def my_memberships() -> Any:
    """本企业收到的入会邀请与会员关系 / The firm's invitations and memberships"""
    return {"items": service.my_memberships(current_identity())}


@blp.route("/memberships/<string:membership_id>", methods=["GET"])
@require_scope("enterprises:write")
@blp.response(200, MembershipSchema)
def my_membership(membership_id: str) -> Any:
    """一条邀请或会员关系 / One invitation or membership"""
    return _tagged(service.get_membership(current_identity(), membership_id))


@blp.route("/memberships/<string:membership_id>/confirm", methods=["POST"])
@require_scope("enterprises:write")
@blp.arguments(NoBodySchema)
@blp.response(200, MembershipSchema)
def confirm_membership(_: dict[str, Any], membership_id: str) -> Any:
    """确认入会 / Confirm an invitation"""
    with unit_of_work() as uow:
        membership = service.confirm_membership(
            current_identity(), uow, membership_id, expected_version()
        )
    return _tagged(membership)


@blp.route("/memberships/<string:membership_id>/decline", methods=["POST"])
@require_scope("enterprises:write")
@blp.arguments(DeclineSchema)
@blp.response(200, MembershipSchema)
def decline_membership(data: dict[str, Any], membership_id: str) -> Any:
    """拒绝入会邀请 / Decline an invitation"""
    with unit_of_work() as uow:
        membership = service.decline_membership(
            current_identity(), uow, membership_id, data.get("reason"), expected_version()
        )
    return _tagged(membership)


@blp.route("/memberships/<string:membership_id>/end", methods=["POST"])
@require_scope("enterprises:write")
@blp.arguments(ReasonSchema)
@blp.response(200, MembershipSchema)
def firm_ends_membership(data: dict[str, Any], membership_id: str) -> Any:
    """退出行业组织（须说明理由）/ Leave an organisation, with the reason"""
    with unit_of_work() as uow:
        membership = service.end_membership(
            current_identity(), uow, membership_id, data["reason"], expected_version()
        )
    return _tagged(membership)


@blp.route("/campaigns/mine", methods=["GET"])
@require_scope("pledges:write")
@blp.response(200, MyCampaignListSchema)
def my_campaigns() -> Any:
    """本企业所属组织的承诺活动及参加情况 / Campaigns of the firm's organisations"""
    return {"items": campaigns.my_campaigns(current_identity())}


@blp.route("/campaigns/<string:campaign_id>/participants", methods=["POST"])
@require_scope("pledges:write")
@blp.arguments(JoinSchema)
@blp.response(201, ParticipationSchema)
def join_campaign(data: dict[str, Any], campaign_id: str) -> Any:
    """参加承诺活动（已确认的会员）/ Join a campaign (confirmed members)"""
    with unit_of_work() as uow:
        participation = campaigns.join_campaign(
            current_identity(), uow, campaign_id, data.get("pledge_id")
        )
    return _tagged(participation, 201)


@blp.route("/campaigns/<string:campaign_id>/pledges", methods=["POST"])
@require_scope("pledges:write")
@idempotent
@blp.arguments(CampaignPledgeInputSchema)
@blp.response(201, PledgeSchema)
def file_campaign_pledge(data: dict[str, Any], campaign_id: str) -> Any:
    """用活动模板填报承诺（草稿；经 /api/v1/pledges/{id}/publish 公示）/ File the pledge
    from the campaign's template (a draft; publish it through the pledge API)"""
    with unit_of_work() as uow:
        pledge = campaigns.file_campaign_pledge(current_identity(), uow, campaign_id, data)
    return _tagged(pledge, 201)


# -- the authority -----------------------------------------------------------------------
@blp.route("/regulator/referrals", methods=["GET"])
@require_scope("violations:write")
@blp.arguments(ReferralArgs, location="query")
@blp.response(200, ReferralListSchema)
def referral_inbox(args: dict[str, Any]) -> Any:
    """行业组织转交本机关的线索 / Referrals sent to this authority"""
    return {"items": referrals.list_referrals(current_identity(), args.get("status"))}


@blp.route("/regulator/referrals/<string:referral_id>", methods=["GET"])
@require_scope("violations:write")
@blp.response(200, ReferralSchema)
def received_referral(referral_id: str) -> Any:
    """一条转交 / One referral"""
    return _tagged(referrals.get_referral(current_identity(), referral_id))


@blp.route("/regulator/referrals/<string:referral_id>/decision", methods=["POST"])
@require_scope("violations:write")
@blp.arguments(ReferralDecisionSchema)
@blp.response(200, ReferralSchema)
def decide_referral(data: dict[str, Any], referral_id: str) -> Any:
    """受理或不予受理（均不产生公开记录）/ Accept or decline (neither publishes anything)"""
    with unit_of_work() as uow:
        referral = referrals.decide_referral(
            current_identity(), uow, referral_id, data, expected_version()
        )
    return _tagged(referral)
