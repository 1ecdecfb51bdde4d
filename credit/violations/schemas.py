"""Input and output schemas for violations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from credit import clock
from credit.regions import city_name
from credit.text import Text
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, STATUSES, TIERS


class BreachedClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    pledge_id = Text(required=True, validate=validate.Length(1, 36))
    clause = Text(required=True, validate=validate.Length(1, 16))


class ViolationInputSchema(Schema):
    """What a regulator records. The authority is the caller's; windows are computed."""

    class Meta:
        unknown = RAISE

    uscc = Text(required=True, validate=validate.Length(18, 18))
    category = Text(required=True, validate=validate.OneOf(list(CATEGORIES)))
    tier = Text(required=True, validate=validate.OneOf(list(TIERS)))
    decision_number = Text(required=True, validate=validate.Length(4, 100))
    legal_basis = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    facts = Text(required=True, multiline=True, validate=validate.Length(2, 4000))
    penalty_type = Text(required=True, validate=validate.OneOf(list(PENALTY_TYPES)))
    penalty_amount = fields.Decimal(
        places=2,
        allow_none=True,
        metadata={"description": "元 (yuan), e.g. 5000.00", "minimum": 0, "maximum": 10**12},
    )
    decision_date = fields.Date(required=True)
    breached_clauses = fields.List(
        fields.Nested(BreachedClauseSchema), load_default=list, validate=validate.Length(max=20)
    )

    @validates("penalty_amount")
    def amount_in_range(self, value: Decimal | None, **_: Any) -> None:
        # Checked here, not with validate.Range: apispec would render Decimal bounds as
        # strings, which makes the OpenAPI document invalid.
        if value is not None and not 0 <= value <= 10**12:
            raise ValidationError("金额应在 0 到 1 万亿元之间")


class RevocationSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, multiline=True, validate=validate.Length(2, 500))


class ViolationSchema(Schema):
    id = fields.String()
    uscc = fields.Function(lambda v: v.enterprise.uscc)
    enterprise_name = fields.Function(lambda v: v.enterprise.name)
    city_name = fields.Function(lambda v: city_name(v.enterprise.city_code))
    authority = fields.Function(lambda v: v.authority.name)
    category = fields.String()
    category_name = fields.Function(lambda v: CATEGORIES[v.category][0])
    tier = fields.String(metadata={"description": "minor | general | serious"})
    tier_name = fields.Function(lambda v: TIERS[v.tier][0])
    decision_number = fields.String()
    legal_basis = fields.String()
    facts = fields.String()
    penalty_type = fields.String()
    penalty_type_name = fields.Function(lambda v: PENALTY_TYPES[v.penalty_type][0])
    penalty_amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    decision_date = fields.Date()
    rule_version = fields.String()
    repairable_from = fields.Date()
    publish_until = fields.Date()
    status = fields.Function(lambda v: v.public_status(clock.today()))
    status_name = fields.Function(lambda v: STATUSES[v.public_status(clock.today())][0])
    breached_clauses = fields.Function(
        lambda v: [{"pledge_id": c.pledge_id, "clause": c.clause_code} for c in v.clauses]
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
