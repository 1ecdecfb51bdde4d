"""Violations: regulators record and revoke; the public reads records inside their window."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from api.auth import current_identity, optional_token, public, require_scope
from api.idempotency import idempotent
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of, expected_version, page_body
from credit.regions import JIANGSU_CITIES
from credit.uow import unit_of_work
from credit.violations import service
from credit.violations.schemas import RevocationSchema, ViolationInputSchema, ViolationSchema
from credit.violations.vocab import CATEGORIES, TIERS

PREFIX = ""
blp = Blueprint("violations", __name__, description="违法失信信息 / violations")


class ViolationListArgs(PageArgs):
    city = fields.String(validate=validate.OneOf(list(JIANGSU_CITIES)))
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    tier = fields.String(validate=validate.OneOf(list(TIERS)))
    decided_from = fields.Date()
    decided_to = fields.Date()


class ViolationPageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(ViolationSchema))


class ViolationListSchema(Schema):
    items = fields.List(fields.Nested(ViolationSchema))


@blp.route("/violations", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(ViolationInputSchema)
@blp.response(201, ViolationSchema)
def record(data: dict[str, Any]) -> Any:
    """录入违法失信信息（管辖范围内）/ Record a violation (inside the jurisdiction)"""
    with unit_of_work() as uow:
        v = service.record_violation(current_identity(), uow, data)
    return v, 201, {"ETag": etag_of(v.version)}


@blp.route("/violations", methods=["GET"])
@public
@blp.arguments(ViolationListArgs, location="query")
@blp.response(200, ViolationPageSchema)
def list_violations(args: dict[str, Any]) -> Any:
    """公示期内的违法失信信息 / Violations inside their publicity window"""
    page = service.list_violations(current_identity(), **args)
    return page_body(page, page.items)


@blp.route("/violations/<string:violation_id>", methods=["GET"])
@optional_token
@blp.response(200, ViolationSchema)
def get_violation(violation_id: str) -> Any:
    """一条违法失信信息 / One violation"""
    v = service.get_violation(current_identity(), violation_id)
    return v, 200, {"ETag": etag_of(v.version)}


@blp.route("/violations/<string:violation_id>/revocation", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(RevocationSchema)
@blp.response(200, ViolationSchema)
def revoke(body: dict[str, Any], violation_id: str) -> Any:
    """撤销（仅作出决定的机关，需 If-Match）/ Revoke (issuing authority; If-Match)"""
    with unit_of_work() as uow:
        v = service.revoke_violation(current_identity(), uow, violation_id, body["reason"],
                                     expected_version())
    return v, 200, {"ETag": etag_of(v.version)}


@blp.route("/enterprises/<string:uscc>/violations", methods=["GET"])
@optional_token
@blp.response(200, ViolationListSchema)
def enterprise_violations(uscc: str) -> Any:
    """一个经营者的违法失信信息（公示期内）/ An enterprise's violations"""
    return {"items": service.list_enterprise_violations(current_identity(), uscc)}
