"""Integrity pledges: filing (enterprises), public reading (everyone), templates."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MaValidationError

from api.auth import current_identity, optional_token, public, require_scope
from api.errors import status_of
from api.idempotency import idempotent
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of, expected_version, page_body
from api.v1.logrefs import logged, logged_one
from credit import dates
from credit.errors import DomainError
from credit.pledges import service
from credit.pledges.schemas import (
    BatchItemSchema,
    BatchSchema,
    PledgeInputSchema,
    PledgePatchSchema,
    PledgeSchema,
    TemplateInputSchema,
    TemplateSchema,
    WithdrawSchema,
)
from credit.pledges.vocab import STATUS_LABELS
from credit.regions import JIANGSU_CITIES
from credit.text import Text
from credit.uow import unit_of_work

PREFIX = ""
blp = Blueprint("pledges", __name__, description="信用承诺 / integrity pledges")


class PledgeListArgs(PageArgs):
    template = Text(
        validate=validate.Length(1, 36),
        metadata={"description": "模板代码或 id / template code or id"},
    )
    status = Text(validate=validate.OneOf([s for s in STATUS_LABELS if s != "draft"]))
    city = Text(validate=validate.OneOf(list(JIANGSU_CITIES)))
    published_from = dates.BoundedDate(dates.FILTER)
    published_to = dates.BoundedDate(dates.FILTER)

    @validates_schema
    def ordered(self, data: dict, **_: Any) -> None:
        if (
            data.get("published_from")
            and data.get("published_to")
            and data["published_to"] < data["published_from"]
        ):
            raise MaValidationError("结束日期早于开始日期", "published_to")


class PledgePageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(PledgeSchema))


class PledgeListSchema(Schema):
    items = fields.List(fields.Nested(PledgeSchema))


class TemplateListSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))


class EmptySchema(Schema):
    class Meta:
        unknown = RAISE


def _with_etag(pledge: Any, status: int = 200) -> Any:
    return pledge, status, {"ETag": etag_of(pledge.version)}


# -- templates ------------------------------------------------------------------------
@blp.route("/pledge-templates", methods=["GET"])
@optional_token
@blp.response(200, TemplateListSchema)
def list_templates() -> Any:
    """承诺书模板（已发布）/ Published pledge templates"""
    return {"items": service.list_templates(current_identity())}


@blp.route("/pledge-templates/<string:template_id>", methods=["GET"])
@optional_token
@blp.response(200, TemplateSchema)
def get_template(template_id: str) -> Any:
    """一个模板版本 / One template version"""
    return service.get_template(current_identity(), template_id)


@blp.route("/pledge-templates", methods=["POST"])
@require_scope("admin")
@idempotent
@blp.arguments(TemplateInputSchema)
@blp.response(201, TemplateSchema)
def create_template(data: dict[str, Any]) -> Any:
    """新建模板版本（草稿，运营方）/ New template version (draft; operators)"""
    with unit_of_work() as uow:
        return service.create_template(current_identity(), uow, data)


@blp.route("/pledge-templates/<string:template_id>/publish", methods=["POST"])
@require_scope("admin")
@idempotent
@blp.arguments(EmptySchema)
@blp.response(200, TemplateSchema)
def publish_template(_: dict[str, Any], template_id: str) -> Any:
    """发布模板版本（发布后不可修改）/ Publish a template version (then immutable)"""
    with unit_of_work() as uow:
        return service.publish_template(current_identity(), uow, template_id)


# -- pledges --------------------------------------------------------------------------
@blp.route("/pledges", methods=["POST"])
@require_scope("pledges:write")
@idempotent
@blp.arguments(PledgeInputSchema)
@blp.response(201, PledgeSchema)
def create_pledge(data: dict[str, Any]) -> Any:
    """填报承诺（草稿）/ File a pledge (draft) from a published template"""
    with unit_of_work(keep_loaded=True) as uow:
        pledge = service.create_pledge(current_identity(), uow, data)
    return _with_etag(pledge, 201)


@blp.route("/pledges", methods=["GET"])
@public
@blp.arguments(PledgeListArgs, location="query")
@blp.response(200, PledgePageSchema)
def list_pledges(args: dict[str, Any]) -> Any:
    """公开的承诺（已公示、已替代、已撤回、已过期）/ Public pledges"""
    page = service.list_pledges(current_identity(), **args)
    return page_body(page, logged("pledge", page.items))


@blp.route("/pledges/<string:pledge_id>", methods=["GET"])
@optional_token
@blp.response(200, PledgeSchema)
def get_pledge(pledge_id: str) -> Any:
    """查看一份承诺（草稿仅本企业可见）/ One pledge (drafts: owner only)"""
    return _with_etag(logged_one("pledge", service.get_pledge(current_identity(), pledge_id)))


@blp.route("/pledges/<string:pledge_id>", methods=["PATCH"])
@require_scope("pledges:write")
@blp.arguments(PledgePatchSchema)
@blp.response(200, PledgeSchema)
def update_pledge(changes: dict[str, Any], pledge_id: str) -> Any:
    """修改草稿（需 If-Match）/ Edit a draft (If-Match)"""
    with unit_of_work() as uow:
        pledge = service.update_draft(
            current_identity(), uow, pledge_id, changes, expected_version()
        )
    return _with_etag(pledge)


@blp.route("/pledges/<string:pledge_id>/publish", methods=["POST"])
@require_scope("pledges:write")
@idempotent
@blp.arguments(EmptySchema)
@blp.response(200, PledgeSchema)
def publish_pledge(_: dict[str, Any], pledge_id: str) -> Any:
    """发布（公示）承诺（需 If-Match）/ Publish (If-Match)"""
    with unit_of_work(keep_loaded=True) as uow:
        pledge = service.publish_pledge(current_identity(), uow, pledge_id, expected_version())
    return _with_etag(pledge)


@blp.route("/pledges/<string:pledge_id>/amendments", methods=["POST"])
@require_scope("pledges:write")
@idempotent
@blp.arguments(EmptySchema)
@blp.response(201, PledgeSchema)
def amend_pledge(_: dict[str, Any], pledge_id: str) -> Any:
    """变更承诺：生成新版本草稿（可带 If-Match）/ Amend: a new draft version (If-Match)"""
    with unit_of_work() as uow:
        pledge = service.amend_pledge(current_identity(), uow, pledge_id, expected_version())
    return _with_etag(pledge, 201)


@blp.route("/pledges/<string:pledge_id>/withdraw", methods=["POST"])
@require_scope("pledges:write")
@idempotent
@blp.arguments(WithdrawSchema)
@blp.response(200, PledgeSchema)
def withdraw_pledge(body: dict[str, Any], pledge_id: str) -> Any:
    """撤回承诺（保留在公开记录中，需 If-Match）/ Withdraw (stays on record; If-Match)"""
    with unit_of_work() as uow:
        pledge = service.withdraw_pledge(
            current_identity(), uow, pledge_id, body["reason"], expected_version()
        )
    return _with_etag(pledge)


@blp.route("/enterprises/<string:uscc>/pledges", methods=["GET"])
@optional_token
@blp.response(200, PledgeListSchema)
def enterprise_pledges(uscc: str) -> Any:
    """一个经营者的承诺 / An enterprise's pledges"""
    items = service.list_enterprise_pledges(current_identity(), uscc)
    return {"items": logged("pledge", items)}


class BatchResultSchema(Schema):
    created = fields.Integer()
    failed = fields.Integer()
    results = fields.List(fields.Dict())


@blp.route("/pledges/batch", methods=["POST"])
@require_scope("pledges:write")
@idempotent(locate=False)
@blp.arguments(BatchSchema)
@blp.response(200, BatchResultSchema)
def batch_file(body: dict[str, Any]) -> Any:
    """平台代商户批量填报（每批 ≤ 500，逐条答复）/ Platform files for its merchants"""
    item_schema, out = BatchItemSchema(), PledgeSchema()
    results: list[dict[str, Any] | None] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(body["items"]):
        try:
            valid.append((index, item_schema.load(raw)))
            results.append(None)
        except MaValidationError as exc:
            results.append(
                {
                    "index": index,
                    "status": 400,
                    "errors": [
                        {"field": f, "message": m}
                        for f, msgs in exc.normalized_messages().items()
                        for m in (msgs if isinstance(msgs, list) else [str(msgs)])
                    ],
                }
            )
    outcomes = service.file_batch(current_identity(), [item for _, item in valid])
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            results[index] = {
                "index": index,
                "status": status_of(outcome),
                "title": outcome.title,
                "detail": outcome.detail,
                "errors": [{"field": e.field, "message": e.message} for e in outcome.errors],
            }
        else:
            results[index] = {"index": index, "status": 201, "pledge": out.dump(outcome)}
    created = sum(1 for r in results if r and r["status"] == 201)
    return {"created": created, "failed": len(results) - created, "results": results}
