"""Input and output schemas for templates and pledges."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from credit import clock, dates
from credit.masking import mask_person_name
from credit.pledges.vocab import PLEDGE_TYPES, STATUS_LABELS
from credit.text import Text
from credit.translog.refs import log_index_field
from credit.uscc_field import UsccCode


class ClauseSchema(Schema):
    class Meta:
        unknown = RAISE

    code = Text(required=True, validate=validate.Regexp(r"^[A-Z][A-Z0-9_-]{1,15}$"))
    text = Text(required=True, multiline=True, validate=validate.Length(2, 1000))
    text_en = Text(required=True, multiline=True, validate=validate.Length(2, 1000))
    required = fields.Boolean(load_default=True)


class TemplateInputSchema(Schema):
    class Meta:
        unknown = RAISE

    code = Text(required=True, validate=validate.Regexp(r"^[A-Z][A-Z0-9-]{1,31}$"))
    type = Text(required=True, validate=validate.OneOf(list(PLEDGE_TYPES)))
    title = Text(required=True, validate=validate.Length(2, 200))
    title_en = Text(required=True, validate=validate.Length(2, 200))
    preamble = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    preamble_en = Text(required=True, multiline=True, validate=validate.Length(2, 2000))
    clauses = fields.List(
        fields.Nested(ClauseSchema), required=True, validate=validate.Length(1, 50)
    )

    @validates_schema
    def unique_codes(self, data: dict, **_: Any) -> None:
        codes = [c["code"] for c in data.get("clauses", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError("条款代码不能重复", "clauses")


def _clause_out(clause: dict) -> dict:
    """A template clause as published, with the categories the breach table lets breach it
    (the table, not the stored template, is the source of truth)."""
    from credit.violations.breaches import categories_for

    out = {k: clause[k] for k in ("code", "text", "text_en", "required") if k in clause}
    out["breaking_categories"] = categories_for(clause["code"])
    return out


class TemplateSchema(Schema):
    id = fields.String()
    code = fields.String()
    version = fields.Integer()
    type = fields.String()
    type_name = fields.Function(lambda t: PLEDGE_TYPES[t.type][0])
    title = fields.String()
    title_en = fields.String()
    preamble = fields.String()
    preamble_en = fields.String()
    clauses = fields.Function(
        lambda t: [_clause_out(c) for c in t.clauses],
        metadata={
            "description": "breaking_categories: 可违反该条款的违法类别（平台违诺对照表）/ "
            "the violation categories that can breach it (the platform's breach table)"
        },
    )
    status = fields.String()
    published_at = fields.DateTime(allow_none=True)


#: The longest validity period of a pledge.
MAX_SPAN_DAYS = 5 * 366


class PledgeInputSchema(Schema):
    """A new pledge (draft). Enterprise, status and dates of state changes are server-owned."""

    class Meta:
        unknown = RAISE

    template_id = Text(required=True, validate=validate.Length(1, 36))
    clauses = fields.List(
        Text(validate=validate.Length(1, 16)),
        required=True,
        validate=validate.Length(1, 50),
    )
    extra_commitments = fields.List(
        Text(validate=validate.Length(2, 500)),
        load_default=list,
        validate=validate.Length(max=20),
    )
    valid_from = dates.BoundedDate(dates.PLEDGE_START, required=True)
    valid_until = dates.BoundedDate(dates.PLEDGE_END, required=True)
    signer_name = Text(required=True, validate=validate.Length(2, 100))
    signer_title = Text(required=True, validate=validate.Length(2, 100))
    consent_to_publish = fields.Boolean(required=True)
    repair_for = Text(
        load_default=None,
        validate=validate.Length(1, 36),
        metadata={
            "description": "信用修复承诺所针对的本企业失信记录 id；仅信用修复型模板需要且必填 / "
            "the id of the firm's own record this credit-repair pledge is for: required with "
            "a credit_repair template, refused with any other"
        },
    )

    @validates_schema
    def period(self, data: dict, **_: Any) -> None:
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            raise ValidationError(
                "有效期截止日不能早于起始日 / valid_until is before valid_from", "valid_until"
            )
        if start and end and (end - start).days > MAX_SPAN_DAYS:
            raise ValidationError("有效期最长 5 年 / at most 5 years", "valid_until")


class PledgePatchSchema(PledgeInputSchema):
    """Changes to a draft: any subset of the input fields except the template."""

    class Meta:
        unknown = RAISE
        exclude = ("template_id", "repair_for")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(partial=True, **kwargs)


class BatchItemSchema(PledgeInputSchema):
    """One merchant's pledge in a platform's batch."""

    uscc = UsccCode(required=True)
    publish = fields.Boolean(load_default=True)


class BatchSchema(Schema):
    class Meta:
        unknown = RAISE

    items = fields.List(fields.Dict(), required=True, validate=validate.Length(1, 500))


class WithdrawSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, multiline=True, validate=validate.Length(2, 500))


class PledgeSchema(Schema):
    """The pledge as anyone may read it; the signer's name is masked."""

    id = fields.String()
    series_id = fields.String()
    series_version = fields.Integer()
    uscc = fields.Function(lambda p: p.enterprise.uscc)
    enterprise_name = fields.Function(lambda p: p.enterprise.name)
    template_id = fields.String()
    template_code = fields.Function(lambda p: p.template.code)
    template_version = fields.Function(lambda p: p.template.version)
    type = fields.Function(lambda p: p.template.type)
    title = fields.Function(lambda p: p.template.title)
    status = fields.Function(lambda p: p.public_status(clock.today()))
    status_name = fields.Function(lambda p: STATUS_LABELS[p.public_status(clock.today())][0])
    clauses = fields.Function(
        lambda p: [
            {"code": c["code"], "text": c["text"], "text_en": c["text_en"]}
            for c in p.template.clauses
            if c["code"] in p.clauses
        ]
    )
    extra_commitments = fields.List(fields.String())
    compliance = fields.Function(
        lambda p: "breached" if p.breached_clauses() else "kept",
        metadata={"description": "kept | breached (守诺 / 违诺)"},
    )
    breached_clauses = fields.Function(lambda p: p.breached_clauses())
    valid_from = fields.Date()
    valid_until = fields.Date()
    signer_name = fields.Function(lambda p: mask_person_name(p.signer_name))
    signer_title = fields.String()
    consent_to_publish = fields.Boolean()
    published_at = fields.DateTime(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    superseded_by_id = fields.String(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)
    version = fields.Integer()
    url = fields.Function(lambda p: f"/api/v1/pledges/{p.id}")
    log_index = log_index_field()
