"""Objections and credit repair: enterprises apply, the issuing authority decides."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, optional_token, require_scope
from api.idempotency import idempotent
from api.v1.calendar import DeadlineSchema
from api.v1.common import Blueprint
from credit.text import Text
from credit.uow import unit_of_work
from credit.violations import workflow

PREFIX = ""
blp = Blueprint("workflow", __name__, description="异议与信用修复 / objections and repair")


class ObjectionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    reasons = Text(required=True, multiline=True, validate=validate.Length(5, 4000))
    attachments = fields.List(
        Text(validate=validate.Length(2, 300)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "附件说明 / what each attachment shows"},
    )


class RepairInputSchema(Schema):
    class Meta:
        unknown = RAISE

    pledge_id = Text(
        required=True,
        validate=validate.Length(1, 36),
        metadata={"description": "已公示的信用修复承诺 / repair pledge"},
    )
    statement = Text(required=True, multiline=True, validate=validate.Length(5, 4000))


class DecisionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    accepted = fields.Boolean(
        required=True, metadata={"description": "异议：成立(true)/不成立；修复：同意(true)/不同意"}
    )
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 2000))


class ObjectionSchema(Schema):
    id = fields.String()
    violation_id = fields.String()
    reasons = fields.String()
    attachments = fields.List(fields.String())
    filed_at = fields.DateTime()
    due_date = fields.Date(
        allow_none=True,
        metadata={
            "description": "答复期限（工作日计算）；日历未覆盖时为 null，见 deadline / due "
            "date in working days; null when beyond the calendar (see deadline)"
        },
    )
    deadline = fields.Nested(
        DeadlineSchema,
        metadata={"description": "期限详情：是否暂定、是否可知 / provisional or unknown"},
    )
    extended_days = fields.Integer()
    extension_reason = fields.String(allow_none=True)
    status = fields.String(
        metadata={"description": "pending | upheld | rejected | closed (record revoked)"}
    )
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class RepairSchema(Schema):
    id = fields.String()
    violation_id = fields.String()
    pledge_id = fields.String()
    statement = fields.String()
    filed_at = fields.DateTime()
    due_date = fields.Date(
        allow_none=True,
        metadata={
            "description": "答复期限（工作日计算）；日历未覆盖时为 null，见 deadline / due "
            "date in working days; null when beyond the calendar (see deadline)"
        },
    )
    deadline = fields.Nested(
        DeadlineSchema,
        metadata={"description": "期限详情：是否暂定、是否可知 / provisional or unknown"},
    )
    status = fields.String(
        metadata={"description": "pending | approved | rejected | closed (record revoked)"}
    )
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class QueueSchema(Schema):
    items = fields.List(fields.Dict())


class QueueArgs(Schema):
    class Meta:
        unknown = RAISE

    status = Text(
        load_default="pending",
        validate=validate.OneOf(["pending", "upheld", "rejected", "approved", "closed"]),
    )


@blp.route("/violations/<string:violation_id>/objections", methods=["POST"])
@require_scope("objections:write")
@idempotent
@blp.arguments(ObjectionInputSchema)
@blp.response(201, ObjectionSchema)
def file_objection(body: dict[str, Any], violation_id: str) -> Any:
    """对本企业的记录提出异议 / Object to a record of one's own"""
    with unit_of_work() as uow:
        return workflow.file_objection(
            current_identity(), uow, violation_id, body["reasons"], body["attachments"]
        )


@blp.route("/objections/<string:objection_id>", methods=["GET"])
@optional_token
@blp.response(200, ObjectionSchema)
def get_objection(objection_id: str) -> Any:
    """异议（本企业与作出决定的机关可见）/ An objection (enterprise and issuer only)"""
    return workflow.get_objection(current_identity(), objection_id)


@blp.route("/objections/<string:objection_id>/decision", methods=["POST"])
@require_scope("violations:review")
@idempotent
@blp.arguments(DecisionInputSchema)
@blp.response(200, ObjectionSchema)
def decide_objection(body: dict[str, Any], objection_id: str) -> Any:
    """审查异议：成立则撤销记录 / Decide: upheld revokes the record"""
    with unit_of_work() as uow:
        return workflow.decide_objection(
            current_identity(), uow, objection_id, body["accepted"], body["reason"]
        )


class ExtensionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    days = fields.Integer(required=True, validate=validate.Range(min=1, max=15))
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))


@blp.route("/objections/<string:objection_id>/extension", methods=["POST"])
@require_scope("violations:review")
@idempotent
@blp.arguments(ExtensionInputSchema)
@blp.response(200, ObjectionSchema)
def extend_objection(body: dict[str, Any], objection_id: str) -> Any:
    """延长异议处理期限（工作日，合计不超过 20 个）/ Extend the due date (working days)"""
    with unit_of_work() as uow:
        return workflow.extend_objection(
            current_identity(), uow, objection_id, body["days"], body["reason"]
        )


@blp.route("/violations/<string:violation_id>/repairs", methods=["POST"])
@require_scope("repairs:write")
@idempotent
@blp.arguments(RepairInputSchema)
@blp.response(201, RepairSchema)
def apply_for_repair(body: dict[str, Any], violation_id: str) -> Any:
    """申请信用修复（最短公示期满后）/ Apply for credit repair (after the minimum period)"""
    with unit_of_work() as uow:
        return workflow.apply_for_repair(
            current_identity(), uow, violation_id, body["pledge_id"], body["statement"]
        )


@blp.route("/repairs/<string:application_id>", methods=["GET"])
@optional_token
@blp.response(200, RepairSchema)
def get_repair(application_id: str) -> Any:
    """信用修复申请 / A repair application (enterprise and issuer only)"""
    return workflow.get_repair(current_identity(), application_id)


@blp.route("/repairs/<string:application_id>/decision", methods=["POST"])
@require_scope("repairs:review")
@idempotent
@blp.arguments(DecisionInputSchema)
@blp.response(200, RepairSchema)
def decide_repair(body: dict[str, Any], application_id: str) -> Any:
    """审核信用修复：同意则结束公示 / Decide: approval ends publication"""
    with unit_of_work() as uow:
        return workflow.decide_repair(
            current_identity(), uow, application_id, body["accepted"], body["reason"]
        )


def _queue(kind: str, status: str) -> dict[str, Any]:
    dump = ObjectionSchema() if kind == "objections" else RepairSchema()
    items = workflow.authority_queue(current_identity(), kind, status)
    return {
        "items": [
            {
                **dump.dump(q.item),
                "deadline": DeadlineSchema().dump(q.deadline),
                "provisional": q.provisional,
                "overdue": q.overdue,
                "workdays_left": q.workdays_left,
                "decision_number": q.item.violation.decision_number,
                "uscc": q.item.violation.enterprise.uscc,
            }
            for q in items
        ]
    }


@blp.route("/regulator/objections", methods=["GET"])
@require_scope("violations:review")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, QueueSchema)
def objection_queue(args: dict[str, Any]) -> Any:
    """本机关待审异议（含到期日、是否逾期）/ The authority's objection queue"""
    return _queue("objections", args["status"])


@blp.route("/regulator/repairs", methods=["GET"])
@require_scope("repairs:review")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, QueueSchema)
def repair_queue(args: dict[str, Any]) -> Any:
    """本机关待审信用修复申请 / The authority's repair queue"""
    return _queue("repairs", args["status"])
