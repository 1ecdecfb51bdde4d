"""Violations: regulators record and revoke; the public reads records inside their window."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, optional_token, public, require_scope
from api.idempotency import idempotent
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of, expected_version, page_body
from api.v1.logrefs import logged, logged_one
from api.v1.seal import SealSchema
from credit import dates
from credit.organisations.schemas import OrganisationSchema
from credit.regions import JIANGSU_CITIES
from credit.text import Text
from credit.translog.refs import log_index_field
from credit.uow import unit_of_work
from credit.violations import registry, service
from credit.violations.schemas import (
    CommendationInputSchema,
    CorrectionInputSchema,
    RevocationSchema,
    SeriousListInputSchema,
    SeriousListRemovalSchema,
    ViolationInputSchema,
    ViolationSchema,
)
from credit.violations.vocab import CATEGORIES, SEVERITIES

PREFIX = ""
blp = Blueprint("violations", __name__, description="违法失信信息 / violations")


class ViolationListArgs(PageArgs):
    city = Text(validate=validate.OneOf(list(JIANGSU_CITIES)))
    category = Text(validate=validate.OneOf(list(CATEGORIES)))
    severity = Text(validate=validate.OneOf(list(SEVERITIES)))
    status = Text(validate=validate.OneOf(["published", "under_objection", "corrected"]))
    decided_from = dates.BoundedDate(dates.FILTER)
    decided_to = dates.BoundedDate(dates.FILTER)


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
    with unit_of_work(keep_loaded=True) as uow:
        v = service.record_violation(current_identity(), uow, data)
    return v, 201, {"ETag": etag_of(v.version)}


@blp.route("/violations", methods=["GET"])
@public
@blp.arguments(ViolationListArgs, location="query")
@blp.response(200, ViolationPageSchema)
def list_violations(args: dict[str, Any]) -> Any:
    """公示期内的违法失信信息 / Violations inside their publicity window"""
    page = service.list_violations(current_identity(), **args)
    return page_body(page, logged("violation", page.items))


@blp.route("/violations/<string:violation_id>", methods=["GET"])
@optional_token
@blp.response(200, ViolationSchema)
def get_violation(violation_id: str) -> Any:
    """一条违法失信信息 / One violation"""
    v = service.get_violation(current_identity(), violation_id)
    return logged_one("violation", v), 200, {"ETag": etag_of(v.version)}


@blp.route("/violations/<string:violation_id>/revocation", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(RevocationSchema)
@blp.response(200, ViolationSchema)
def revoke(body: dict[str, Any], violation_id: str) -> Any:
    """撤销（仅作出决定的机关，需 If-Match）/ Revoke (issuing authority; If-Match)"""
    with unit_of_work() as uow:
        v = service.revoke_violation(
            current_identity(),
            uow,
            violation_id,
            body["reason"],
            expected_version(),
            body.get("decision_revoked_on"),
        )
    return v, 200, {"ETag": etag_of(v.version)}


@blp.route("/enterprises/<string:uscc>/violations", methods=["GET"])
@optional_token
@blp.response(200, ViolationListSchema)
def enterprise_violations(uscc: str) -> Any:
    """一个经营者的违法失信信息（公示期内）/ An enterprise's violations"""
    items = service.list_enterprise_violations(current_identity(), uscc)
    return {"items": logged("violation", items)}


class StandingItemSchema(Schema):
    id = fields.String()
    authority = fields.Function(lambda x: x.authority.name)
    legal_basis = fields.String()
    title = fields.String()
    reason = fields.String()
    listed_on = fields.Date()
    remove_on = fields.Date()
    granted_on = fields.Date()
    valid_until = fields.Date()
    violation_id = fields.String(allow_none=True)
    removed_on = fields.Date(allow_none=True)
    removal_ground = fields.String(allow_none=True)
    removal_reason = fields.String(allow_none=True)
    log_index = log_index_field()


class StandingSchema(Schema):
    serious_list = fields.List(fields.Nested(StandingItemSchema))
    commendations = fields.List(fields.Nested(StandingItemSchema))
    seal = fields.Nested(
        SealSchema,
        metadata={"description": "诚信标识：是否可展示及原因 / the credit seal: may it be shown"},
    )
    organisations = fields.List(
        fields.Nested(OrganisationSchema),
        metadata={"description": "所属行业组织（已确认的会员关系）/ confirmed memberships"},
    )


class PublicityRulesSchema(Schema):
    revision = fields.Integer()
    sources = fields.Dict(keys=fields.String(), values=fields.Raw())
    counting = fields.Dict(keys=fields.String(), values=fields.Raw())
    authority_kinds = fields.Dict(keys=fields.String(), values=fields.Raw())
    versions = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()))
    regimes = fields.Dict(keys=fields.String(), values=fields.Raw())


@blp.route("/publicity-rules", methods=["GET"])
@optional_token
@blp.response(200, PublicityRulesSchema)
def publicity_rules() -> Any:
    """公示与信用修复规则（逐条注明依据） / Publicity and repair rules, each row cited"""
    return service.get_publicity_rules(current_identity())


class StatisticsArgs(Schema):
    class Meta:
        unknown = RAISE

    decided_from = dates.BoundedDate(dates.FILTER)
    decided_to = dates.BoundedDate(dates.FILTER)


class StatisticsSchema(Schema):
    city = fields.List(fields.List(fields.Raw()))
    category = fields.List(fields.List(fields.Raw()))
    severity = fields.List(fields.List(fields.Raw()))


@blp.route("/violations/<string:violation_id>/corrections", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(CorrectionInputSchema)
@blp.response(200, ViolationSchema)
def correct(body: dict[str, Any], violation_id: str) -> Any:
    """更正（追加记录，保留原值；需 If-Match）/ Correct a field (appended; If-Match)"""
    with unit_of_work() as uow:
        v = registry.correct_violation(
            current_identity(),
            uow,
            violation_id,
            body["field"],
            body["new_value"],
            body["reason"],
            expected_version(),
        )
    return v, 200, {"ETag": etag_of(v.version)}


@blp.route("/serious-list", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(SeriousListInputSchema)
@blp.response(201, StandingItemSchema)
def serious_list(body: dict[str, Any]) -> Any:
    """列入严重失信主体名单 / Put on the serious dishonesty list"""
    with unit_of_work() as uow:
        return registry.list_on_serious_list(current_identity(), uow, body)


@blp.route("/serious-list/<string:item_id>/removal", methods=["POST"])
@require_scope("violations:write")
@idempotent
@blp.arguments(SeriousListRemovalSchema)
@blp.response(200, StandingItemSchema)
def serious_list_removal(body: dict[str, Any], item_id: str) -> Any:
    """移出严重失信主体名单（列入机关；信用修复须列入满一年）/ Remove a listing early
    (the listing authority; after repair, at least a year on the list)"""
    with unit_of_work() as uow:
        return registry.remove_from_serious_list(current_identity(), uow, item_id, body)


@blp.route("/commendations", methods=["POST"])
@require_scope("commendations:write")
@idempotent
@blp.arguments(CommendationInputSchema)
@blp.response(201, StandingItemSchema)
def commend(body: dict[str, Any]) -> Any:
    """录入守信激励（如示范企业）/ Record a commendation"""
    with unit_of_work() as uow:
        return registry.commend(current_identity(), uow, body)


@blp.route("/enterprises/<string:uscc>/standing", methods=["GET"])
@public
@blp.response(200, StandingSchema)
def standing(uscc: str) -> Any:
    """严重失信名单、守信激励（有效期内）与诚信标识 / Serious-list entries and commendations in
    force, and the credit seal (eligible, reasons, grade, pledge state, since; CORS: any
    site may read it)"""
    from credit.organisations.service import public_memberships

    identity = current_identity()
    found = registry.enterprise_standing(identity, uscc)
    found["organisations"] = public_memberships(identity, uscc)
    logged("serious_list", found["serious_list"])
    logged("commendation", found["commendations"])
    return found


@blp.route("/regulator/statistics", methods=["GET"])
@require_scope("violations:write")
@blp.arguments(StatisticsArgs, location="query")
@blp.response(200, StatisticsSchema)
def statistics(args: dict[str, Any]) -> Any:
    """本机关管辖范围内的统计（按地市、类别、严重程度）/ Statistics in the jurisdiction"""
    return registry.statistics(current_identity(), **args)
