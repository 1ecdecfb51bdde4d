"""The public USCC utility: is this code genuine, what does it say, is it registered here."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, public
from api.v1.common import Blueprint
from credit import uscc as uscc_mod
from credit.enterprises import service
from credit.regions import city_name
from credit.text import Text

PREFIX = "/uscc"
blp = Blueprint("uscc", __name__, description="统一社会信用代码校验 / USCC checks")


class FaultSchema(Schema):
    code = fields.String(
        metadata={
            "description": "length | charset | authority | category | division | check_17 | "
            "check_18 (notes: not_jiangsu | national | province_level)"
        }
    )
    position = fields.String(
        allow_none=True,
        metadata={"description": "位置，如 1、2、3-8、5,9；null 指整个代码 / positions"},
    )
    message = fields.String()
    message_en = fields.String()


class AuthoritySchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    unverified = fields.Boolean(
        metadata={"description": "该代码表条目未与标准原文核对 / table entry not verified"}
    )


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()


class UsccReportSchema(Schema):
    code = fields.String(metadata={"description": "NFKC 折叠、大写后的代码 / the code as read"})
    valid = fields.Boolean()
    faults = fields.List(fields.Nested(FaultSchema))
    notes = fields.List(
        fields.Nested(FaultSchema),
        metadata={"description": "不影响有效性的说明 / remarks that do not make it invalid"},
    )
    authority = fields.Nested(AuthoritySchema, allow_none=True)
    category = fields.Nested(CategorySchema, allow_none=True)
    province_code = fields.String(allow_none=True)
    province_name = fields.String(allow_none=True)
    entity_type = fields.String(allow_none=True)
    entity_type_name = fields.String(allow_none=True)
    division_code = fields.String(allow_none=True)
    city_code = fields.String(allow_none=True)
    city_name = fields.String(allow_none=True)
    in_jiangsu = fields.Boolean()
    registered = fields.Boolean(metadata={"description": "是否已在本平台登记"})
    registered_name = fields.String(allow_none=True)


class BatchCheckSchema(Schema):
    class Meta:
        unknown = RAISE

    codes = fields.List(
        Text(validate=validate.Length(max=64)),
        required=True,
        validate=validate.Length(min=1, max=100),
    )


class BatchReportSchema(Schema):
    results = fields.List(fields.Nested(UsccReportSchema))


def _report(code: str) -> dict[str, Any]:
    r = service.check_uscc(current_identity(), code)
    c = r.check
    return {
        "code": c.code,
        "valid": c.valid,
        "faults": c.faults,
        "notes": c.notes,
        **uscc_mod.describe(c),
        "entity_type": c.entity_type,
        "entity_type_name": uscc_mod.ENTITY_TYPE_LABELS.get(c.entity_type or ""),
        "division_code": c.division_code,
        "city_code": c.city_code,
        "city_name": city_name(c.city_code),
        "in_jiangsu": c.in_jiangsu,
        "registered": r.registered,
        "registered_name": r.name,
    }


@blp.route("/<string:code>")
@public
@blp.response(200, UsccReportSchema)
def check_code(code: str) -> Any:
    """校验一个统一社会信用代码 / Check one code: validity with reasons, type, city, registration"""
    return _report(code)


@blp.route("/batch-check", methods=["POST"])
@public
@blp.arguments(BatchCheckSchema)
@blp.response(200, BatchReportSchema)
def batch_check(body: dict[str, Any]) -> Any:
    """批量校验（最多 100 个）/ Check up to 100 codes at once"""
    return {"results": [_report(c) for c in body["codes"]]}
