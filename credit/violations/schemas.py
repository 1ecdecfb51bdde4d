"""Input and output schemas for violations, corrections, the serious dishonesty list and
commendations (the REST API and the regulator console both load input with these)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from credit import clock, dates, periods, publicity
from credit.regions import city_name
from credit.text import Text, text_value
from credit.translog.refs import log_index_field
from credit.uscc_field import UsccCode
from credit.violations import rules
from credit.violations.vocab import CATEGORIES, PENALTY_AMOUNT, PENALTY_TYPES, SEVERITIES, STATUSES

#: The record states the regulator's list filters by (``credit.violations.overview``).
RECORD_STATE_KEYS = (
    "published",
    "under_objection",
    "not_published",
    "ended",
    "repaired",
    "revoked",
)


class BreachedClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    pledge_id = Text(required=True, validate=validate.Length(1, 36))
    clause = Text(required=True, validate=validate.Length(1, 16))
    breach_reason = Text(
        multiline=True,
        validate=validate.Length(5, 1000),
        metadata={
            "description": "认定违反违诺对照表以外条款的理由（存储并公示）/ why a clause the "
            "breach table does not give this category is named (stored and shown)"
        },
    )


def penalty_amount_problem(penalty_type: str | None, amount: Decimal | None) -> str | None:
    """The message when ``amount`` does not fit ``penalty_type`` (see ``PENALTY_AMOUNT``)."""
    rule = PENALTY_AMOUNT.get(penalty_type or "")
    if rule == "required" and amount is None:
        return "罚款须填写金额 / a fine needs its amount"
    if rule == "forbidden" and amount is not None:
        name = PENALTY_TYPES[penalty_type][0]  # type: ignore[index]
        return (
            f"“{name}”不是财产罚，不能填写金额（行政处罚法第九条）/ a "
            f"{PENALTY_TYPES[penalty_type][1]} carries no amount (Administrative Penalty "  # type: ignore[index]
            "Law Art. 9)"
        )
    return None


class ViolationInputSchema(Schema):
    """What a regulator records. The authority is the caller's; windows are computed."""

    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    category = Text(required=True, validate=validate.OneOf(list(CATEGORIES)))
    severity = Text(
        required=True,
        validate=validate.OneOf(list(SEVERITIES)),
        metadata={"description": "minor | general | serious（轻微 / 一般 / 严重）"},
    )
    decision_number = Text(required=True, validate=validate.Length(4, 100))
    legal_basis = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    facts = Text(required=True, multiline=True, validate=validate.Length(2, 4000))
    penalty_type = Text(required=True, validate=validate.OneOf(list(PENALTY_TYPES)))
    penalty_amount = fields.Decimal(
        places=2,
        allow_none=True,
        metadata={"description": "元 (yuan), e.g. 5000.00", "minimum": 0, "maximum": 10**12},
    )
    decision_date = dates.BoundedDate(dates.DECISION, required=True)
    published_on = dates.BoundedDate(
        dates.DECISION,
        metadata={
            "description": "公示日期（本机关公示该处罚的日期，默认今天；市场监管部门的公示期"
            "自此起算） / when the authority published it (default today)"
        },
    )
    publish_minor = fields.Boolean(
        load_default=False,
        metadata={
            "description": "轻微失信信息确有必要公示（最长3个月，须说明理由） / publish a minor "
            "record the authority deems it necessary to (at most 3 months, with a reason)"
        },
    )
    publish_minor_reason = Text(multiline=True, validate=validate.Length(2, 1000))
    conduct_date = dates.BoundedDate(
        dates.DECISION,
        metadata={
            "description": "违法行为发生之日（默认为决定日期，不晚于决定日期）/ the day of the "
            "conduct (default: the decision date; not after it)"
        },
    )
    breached_clauses = fields.List(
        fields.Nested(BreachedClauseSchema), load_default=list, validate=validate.Length(max=20)
    )

    @validates_schema
    def minor_flag_has_reason(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("publish_minor") and not data.get("publish_minor_reason"):
            raise ValidationError(
                "公示轻微失信信息须说明理由 / say why the record must be published",
                "publish_minor_reason",
            )
        if data.get("publish_minor_reason") and not data.get("publish_minor"):
            raise ValidationError(
                "只有决定公示轻微失信信息时才填写理由 / only with publish_minor",
                "publish_minor_reason",
            )

    @validates_schema
    def amount_fits_penalty(self, data: dict[str, Any], **_: Any) -> None:
        # Here as well as in the service, so a form reports it together with any field
        # error (a date out of bounds stops the load before the service runs).
        if "penalty_type" not in data:
            return
        problem = penalty_amount_problem(data["penalty_type"], data.get("penalty_amount"))
        if problem:
            raise ValidationError(problem, "penalty_amount")

    @validates_schema
    def conduct_not_after_decision(self, data: dict[str, Any], **_: Any) -> None:
        conduct, decided = data.get("conduct_date"), data.get("decision_date")
        if conduct and decided and conduct > decided:
            raise ValidationError(
                "违法行为发生之日不能晚于决定日期 / the conduct cannot be after the decision",
                "conduct_date",
            )

    @validates("penalty_amount")
    def amount_in_range(self, value: Decimal | None, **_: Any) -> None:
        # Checked here, not with validate.Range: apispec would render Decimal bounds as
        # strings, which makes the OpenAPI document invalid.
        if value is not None and not 0 <= value <= 10**12:
            raise ValidationError("金额应在 0 到 1 万亿元之间")


#: The fields of a record its authority may correct (dates are not among them: a wrong
#: decision date means revoking the record and recording it again).
CORRECTABLE = ("facts", "legal_basis", "penalty_type", "penalty_amount", "category")


class CorrectionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    field = Text(required=True, validate=validate.OneOf(list(CORRECTABLE)))
    new_value = fields.Raw(
        required=True,
        allow_none=True,
        validate=text_value,
        metadata={"description": "新值（字符串；金额可为数字）"},
    )
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))


class SeriousListInputSchema(Schema):
    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    legal_basis = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    listed_on = dates.BoundedDate(dates.DECISION, required=True)
    remove_on = dates.BoundedDate(dates.STANDING_END, required=True)
    violation_id = Text(
        validate=validate.Length(1, 36),
        metadata={
            "description": "列入所依据的违法失信信息（撤销后自动移出）/ the record the listing "
            "rests on (revoking it removes the listing)"
        },
    )


#: Grounds for removing a listing before its end (移出).
REMOVAL_GROUNDS: dict[str, tuple[str, str]] = {
    "credit_repair": ("信用修复，提前移出", "early removal after credit repair"),
    "basis_revoked": (
        "列入所依据的行政处罚被撤销、确认违法或无效",
        "the penalty it rests on was revoked or held unlawful or void",
    ),
    "error": ("列入错误", "listed in error"),
}


class SeriousListRemovalSchema(Schema):
    """Early removal (移出) by the listing authority, with its ground, date and reason."""

    class Meta:
        unknown = RAISE

    ground = Text(required=True, validate=validate.OneOf(list(REMOVAL_GROUNDS)))
    removed_on = dates.BoundedDate(
        dates.DECISION,
        required=True,
        metadata={"description": "移出决定日期 / the date of the removal decision"},
    )
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 2000))


class CommendationInputSchema(Schema):
    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    title = Text(
        required=True,
        validate=validate.Length(2, 200),
        metadata={"description": "如：江苏省电子商务示范企业"},
    )
    legal_basis = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    granted_on = dates.BoundedDate(dates.DECISION, required=True)
    valid_until = dates.BoundedDate(dates.STANDING_END, required=True)


class RevocationSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, multiline=True, validate=validate.Length(2, 500))
    decision_revoked_on = dates.BoundedDate(
        dates.DECISION,
        metadata={
            "description": "处罚决定被撤销的日期（默认今天；撤回期限自此起算） / when the "
            "decision itself was revoked (default today)"
        },
    )


class ViolationSchema(Schema):
    id = fields.String()
    uscc = fields.Function(lambda v: v.enterprise.uscc)
    enterprise_name = fields.Function(lambda v: v.enterprise.name)
    city_name = fields.Function(lambda v: city_name(v.enterprise.city_code))
    authority = fields.Function(lambda v: v.authority.name)
    category = fields.String()
    category_name = fields.Function(lambda v: CATEGORIES[v.category][0])
    severity = fields.String(metadata={"description": "minor | general | serious"})
    severity_name = fields.Function(lambda v: SEVERITIES[v.severity][0])
    decision_number = fields.String()
    legal_basis = fields.String()
    facts = fields.String()
    penalty_type = fields.String()
    penalty_type_name = fields.Function(lambda v: PENALTY_TYPES[v.penalty_type][0])
    penalty_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    decision_date = fields.Date()
    conduct_date = fields.Date()
    rule_version = fields.String()
    regime = fields.String(
        metadata={"description": "NDRC | SAMR: the publicity rules its authority follows"}
    )
    regime_name = fields.Function(lambda v: rules.regimes()[v.regime].title[0])
    published = fields.Boolean()
    publish_minor = fields.Boolean()
    publish_minor_reason = fields.String(allow_none=True)
    published_on = fields.Date(allow_none=True)
    public_from = fields.Date(allow_none=True)
    publish_by = fields.Date(
        allow_none=True,
        metadata={"description": "公示期限：应于此日前公示 / the last day to publish it"},
    )
    published_late = fields.Function(
        lambda v: periods.late(v.published_on, v.publish_by),
        metadata={"description": "逾期公示 / published after publish_by (null: unknown)"},
    )
    repairable = fields.Function(lambda v: not v.repair_excluded)
    repairable_from = fields.Date()
    publish_until = fields.Date()
    decision_revoked_on = fields.Date(allow_none=True)
    withdraw_by = fields.Date(allow_none=True)
    withdrawn_late = fields.Function(
        lambda v: (
            periods.late(v.revoked_at.astimezone(clock.CHINA).date(), v.withdraw_by)
            if v.revoked_at
            else None
        ),
        metadata={"description": "逾期撤回 / withdrawn after withdraw_by (null: not revoked)"},
    )
    status = fields.Function(lambda v: publicity.public_status(v, clock.today()))
    status_name = fields.Function(lambda v: STATUSES[publicity.public_status(v, clock.today())][0])
    breached_clauses = fields.Function(
        lambda v: [
            {"pledge_id": c.pledge_id, "clause": c.clause_code, "breach_reason": c.breach_reason}
            for c in v.clauses
        ],
        metadata={
            "description": "breach_reason: 违诺对照表以外的条款的认定理由（表内条款为 null）/ "
            "why a clause outside the breach table was named (null inside it)"
        },
    )
    corrections = fields.Function(
        lambda v: [
            {
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "reason": c.reason,
                "corrected_at": c.corrected_at.isoformat(),
            }
            for c in v.corrections
        ]
    )
    revoked_at = fields.DateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    version = fields.Integer()
    log_index = log_index_field()


class RecordFiltersSchema(Schema):
    """The regulator's records list (its search box and filters, kept in the page's URL)."""

    class Meta:
        unknown = RAISE

    q = Text(validate=validate.Length(1, 100))
    category = Text(validate=validate.OneOf(list(CATEGORIES)))
    severity = Text(validate=validate.OneOf(list(SEVERITIES)))
    status = Text(validate=validate.OneOf(list(RECORD_STATE_KEYS)))
    decided_from = dates.BoundedDate(dates.DECISION)
    decided_to = dates.BoundedDate(dates.DECISION)
    page = fields.Integer(validate=validate.Range(1, 10_000))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("decided_from"), data.get("decided_to")
        if start and end and start > end:
            raise ValidationError(
                "结束日期不能早于开始日期 (the end is before the start)", "decided_to"
            )
