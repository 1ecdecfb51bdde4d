"""Input and output schemas of the organisations area. The REST API and the consoles both
load input with these (never from each other); output schemas decide what is shown.

Inputs refuse unknown and server-owned fields; every text and list is bounded."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from credit import clock, dates
from credit.keyfirms.vocab import COVERAGE_STATES
from credit.organisations.vocab import (
    CONVENTION_STATUSES,
    MAX_CAMPAIGN_DAYS,
    MAX_CLAUSE_TEXT,
    MAX_CLAUSES,
    MAX_EVIDENCE,
    MAX_FACTS,
    MAX_PREAMBLE,
    MEMBERSHIP_STATUSES,
    ORGANISATION_KINDS,
    PARTICIPATION_STATES,
    REFERRAL_STATUSES,
)
from credit.pledges.schemas import PledgeInputSchema
from credit.regions import city_name
from credit.text import Text, Url
from credit.uscc_field import UsccCode

#: A convention takes effect within a year of today (back or ahead).
CONVENTION_START = dates.Bound(
    "convention_start",
    lambda today: dates.add_months(today, -12),
    lambda today: dates.add_months(today, 12),
    "公约施行日期应在今天前后一年内",
    "a convention takes effect within a year of today",
)
#: A campaign starts within a year of today; it lasts at most five years.
CAMPAIGN_START = dates.Bound(
    "campaign_start",
    lambda today: dates.add_months(today, -12),
    lambda today: dates.add_months(today, 12),
    "活动开始日期应在今天前后一年内",
    "a campaign starts within a year of today",
)

CODE = validate.Regexp(r"^[A-Z][A-Z0-9-]{1,31}$", error="大写字母开头，2-32 位大写字母、数字或 -")


class OrganisationInputSchema(Schema):
    """An operator registers an organisation."""

    class Meta:
        unknown = RAISE

    code = Text(required=True, validate=CODE, metadata={"description": "如 JS-ECA"})
    name = Text(required=True, validate=validate.Length(2, 200))
    name_en = Text(required=True, validate=validate.Length(2, 200))
    uscc = UsccCode(
        required=True,
        metadata={"description": "社会组织的统一社会信用代码（第 1 位为 5：民政）"},
    )
    division_code = Text(
        required=True,
        validate=validate.Regexp(r"^32\d{4}$"),
        metadata={"description": "登记地行政区划代码，如 320000 / registration division"},
    )
    kind = Text(required=True, validate=validate.OneOf(list(ORGANISATION_KINDS)))
    website = Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=300))


class ConventionClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    code = Text(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{0,15}$"))
    text = Text(required=True, multiline=True, validate=validate.Length(2, MAX_CLAUSE_TEXT))
    text_en = Text(required=True, multiline=True, validate=validate.Length(2, MAX_CLAUSE_TEXT))


class ConventionDraftSchema(Schema):
    """A new version of the convention (a draft until published)."""

    class Meta:
        unknown = RAISE

    title = Text(required=True, validate=validate.Length(2, 200))
    title_en = Text(required=True, validate=validate.Length(2, 200))
    preamble = Text(required=True, multiline=True, validate=validate.Length(2, MAX_PREAMBLE))
    clauses = fields.List(
        fields.Nested(ConventionClauseSchema),
        required=True,
        validate=validate.Length(1, MAX_CLAUSES),
    )
    effective_from = dates.BoundedDate(CONVENTION_START, required=True)

    @validates_schema
    def unique_codes(self, data: dict, **_: Any) -> None:
        codes = [c["code"] for c in data.get("clauses", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError("条款代码不能重复 / clause codes must be unique", "clauses")


class InviteSchema(Schema):
    """Invite one firm, or several (``uscc_list``), to become members."""

    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    message = Text(multiline=True, validate=validate.Length(2, 1000))


class ReasonSchema(Schema):
    """Ending a membership, or declining an invitation: the reason is kept."""

    class Meta:
        unknown = RAISE

    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))


class DeclineSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(multiline=True, validate=validate.Length(2, 1000))


class CampaignInputSchema(Schema):
    """A pledge campaign over a published 行业自律型 template (default: the newest)."""

    class Meta:
        unknown = RAISE

    title = Text(required=True, validate=validate.Length(2, 200))
    description = Text(multiline=True, load_default="", validate=validate.Length(max=5000))
    template_id = Text(validate=validate.Length(1, 36))
    starts_on = dates.BoundedDate(CAMPAIGN_START, required=True)
    ends_on = dates.BoundedDate(dates.STANDING_END, required=True)
    deadline = dates.BoundedDate(dates.STANDING_END, allow_none=True)

    @validates_schema
    def period(self, data: dict, **_: Any) -> None:
        start, end, deadline = data.get("starts_on"), data.get("ends_on"), data.get("deadline")
        if start and end and end < start:
            raise ValidationError("结束日期不能早于开始日期 / ends before it starts", "ends_on")
        if start and end and (end - start).days > MAX_CAMPAIGN_DAYS:
            raise ValidationError("活动最长 5 年 / at most 5 years", "ends_on")
        if deadline and start and end and not start <= deadline <= end:
            raise ValidationError(
                "截止日期应在活动期间内 / the deadline lies inside the period", "deadline"
            )
        if end and end < clock.today():
            raise ValidationError("活动已结束 / the period has already ended", "ends_on")


class JoinSchema(Schema):
    """A member joins a campaign; ``pledge_id`` links a pledge it already filed from the
    campaign's template instead of filing a new one."""

    class Meta:
        unknown = RAISE

    pledge_id = Text(validate=validate.Length(1, 36))


class CampaignPledgeInputSchema(PledgeInputSchema):
    """A pledge filed from the campaign: the pledge's own fields, the template is the
    campaign's (server-owned)."""

    class Meta:
        unknown = RAISE
        exclude = ("template_id",)


class ReferralInputSchema(Schema):
    """Refer a confirmed member's breach of the convention to a competent authority."""

    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    authority = Text(
        required=True,
        validate=validate.Length(1, 32),
        metadata={"description": "监管机关代码（其管辖范围须覆盖该企业）/ authority code"},
    )
    clauses = fields.List(
        Text(validate=validate.Length(1, 16)),
        required=True,
        validate=validate.Length(1, 20),
        metadata={"description": "违反的现行公约条款代码 / convention clauses breached"},
    )
    facts = Text(required=True, multiline=True, validate=validate.Length(10, MAX_FACTS))
    evidence = fields.List(
        Url(schemes={"http", "https"}, validate=validate.Length(max=500)),
        load_default=list,
        validate=validate.Length(max=MAX_EVIDENCE),
    )

    @validates_schema
    def unique_clauses(self, data: dict, **_: Any) -> None:
        codes = data.get("clauses", [])
        if len(codes) != len(set(codes)):
            raise ValidationError("条款代码不能重复 / clause codes must be unique", "clauses")


class ReferralDecisionSchema(Schema):
    """The authority accepts (it will handle it through its own procedure) or declines."""

    class Meta:
        unknown = RAISE

    accepted = fields.Boolean(required=True)
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))
    violation_id = Text(
        validate=validate.Length(1, 36),
        metadata={"description": "受理后依法记录的违法信息（可选）/ a violation it recorded"},
    )


# -- output ------------------------------------------------------------------------------
def _label(table: dict[str, tuple[str, str]], key: str | None, lang: int) -> str | None:
    return table[key][lang] if key in table else key


class OrganisationSchema(Schema):
    """What anyone may read about an organisation."""

    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    uscc = fields.String()
    division_code = fields.String()
    division_name = fields.Function(lambda o: city_name(o.division_code[:4] + "00"))
    kind = fields.String()
    kind_zh = fields.Function(lambda o: _label(ORGANISATION_KINDS, o.kind, 0))
    kind_en = fields.Function(lambda o: _label(ORGANISATION_KINDS, o.kind, 1))
    website = fields.String(allow_none=True)
    active = fields.Boolean()
    page = fields.Function(lambda o: f"/organisations/{o.code}")


class ConventionSchema(Schema):
    id = fields.String()
    organisation = fields.Function(lambda c: c.organisation.code)
    number = fields.Integer(metadata={"description": "第几版 / version number"})
    status = fields.String(metadata={"description": " | ".join(CONVENTION_STATUSES)})
    status_zh = fields.Function(lambda c: _label(CONVENTION_STATUSES, c.status, 0))
    title = fields.String()
    title_en = fields.String()
    preamble = fields.String()
    clauses = fields.List(fields.Dict())
    effective_from = fields.Date()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class FiguresSchema(Schema):
    """Coverage counts of a campaign (public: counts of public facts only)."""

    members = fields.Integer(metadata={"description": "confirmed members now"})
    joined = fields.Integer()
    published = fields.Integer(metadata={"description": "joined and published a pledge"})
    in_force = fields.Integer(metadata={"description": "a published pledge in force"})
    breached = fields.Integer()
    expired = fields.Integer()
    withdrawn = fields.Integer()
    not_joined = fields.Integer()
    rate = fields.Float(metadata={"description": "in_force / members (0 without members)"})


class CampaignSchema(Schema):
    id = fields.String()
    organisation = fields.Function(lambda c: c.organisation.code)
    title = fields.String()
    description = fields.String()
    template_id = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    deadline = fields.Date(allow_none=True)
    open = fields.Function(lambda c: c.open_on(clock.today()))
    created_at = fields.DateTime()
    version = fields.Integer()


class CampaignWithFiguresSchema(Schema):
    campaign = fields.Nested(CampaignSchema)
    figures = fields.Nested(FiguresSchema)


class MemberRowSchema(Schema):
    """One member in the organisation's view: public registry data and its public pledge
    state (never contacts, never a draft's content)."""

    uscc = fields.Function(lambda r: r.enterprise.uscc)
    name = fields.Function(lambda r: r.enterprise.name)
    city_code = fields.Function(lambda r: r.enterprise.city_code)
    state = fields.String(metadata={"description": " | ".join(PARTICIPATION_STATES)})
    state_zh = fields.Function(lambda r: _label(PARTICIPATION_STATES, r.state, 0))
    state_en = fields.Function(lambda r: _label(PARTICIPATION_STATES, r.state, 1))
    pledge_id = fields.String(allow_none=True, metadata={"description": "public pledge"})
    profile = fields.Function(lambda r: f"/enterprises/{r.enterprise.uscc}")


class CoverageSchema(Schema):
    campaign = fields.Nested(CampaignSchema)
    figures = fields.Nested(FiguresSchema)
    members = fields.List(fields.Nested(MemberRowSchema))


class MembershipSchema(Schema):
    id = fields.String()
    organisation = fields.Function(lambda m: m.organisation.code)
    organisation_name = fields.Function(lambda m: m.organisation.name)
    uscc = fields.Function(lambda m: m.enterprise.uscc)
    name = fields.Function(lambda m: m.enterprise.name)
    status = fields.String(metadata={"description": " | ".join(MEMBERSHIP_STATUSES)})
    status_zh = fields.Function(lambda m: _label(MEMBERSHIP_STATUSES, m.status, 0))
    message = fields.String(allow_none=True)
    invited_at = fields.DateTime()
    responded_at = fields.DateTime(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    ended_by_side = fields.String(allow_none=True)
    end_reason = fields.String(allow_none=True)
    version = fields.Integer()


class MemberSchema(Schema):
    """A membership in the organisation's member list, with the member's public pledge
    state (the best of its published pledges, credit/keyfirms/coverage.py; null unless
    confirmed)."""

    membership = fields.Nested(MembershipSchema)
    pledge_state = fields.String(allow_none=True)
    pledge_state_zh = fields.Function(
        lambda r: COVERAGE_STATES[r.pledge_state][0] if r.pledge_state else None
    )


class ParticipationSchema(Schema):
    id = fields.String()
    campaign_id = fields.String()
    uscc = fields.Function(lambda p: p.enterprise.uscc)
    joined_at = fields.DateTime()
    pledge_series_id = fields.String(allow_none=True)
    version = fields.Integer()


class ReferralSchema(Schema):
    """A referral as its organisation, the authority and operators see it."""

    id = fields.String()
    organisation = fields.Function(lambda r: r.organisation.code)
    organisation_name = fields.Function(lambda r: r.organisation.name)
    uscc = fields.Function(lambda r: r.enterprise.uscc)
    name = fields.Function(lambda r: r.enterprise.name)
    authority = fields.Function(lambda r: r.authority.code)
    authority_name = fields.Function(lambda r: r.authority.name)
    convention_id = fields.String()
    convention_number = fields.Function(lambda r: r.convention.number)
    clauses = fields.Function(lambda r: r.clauses_named())
    facts = fields.String()
    evidence = fields.List(fields.String())
    status = fields.String(metadata={"description": " | ".join(REFERRAL_STATUSES)})
    status_zh = fields.Function(lambda r: _label(REFERRAL_STATUSES, r.status, 0))
    status_en = fields.Function(lambda r: _label(REFERRAL_STATUSES, r.status, 1))
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    violation_id = fields.String(allow_none=True)
    version = fields.Integer()
