"""Key e-commerce enterprises (重点电子商务企业): the public list with pledge coverage; the
commerce department's list keeping (add, remove with a reason, CSV upload, history),
coverage view and reminders; a listed firm's view of what is asked of it."""

from __future__ import annotations

import io
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, public, require_scope
from api.idempotency import idempotent
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of
from credit.keyfirms import importing, service
from credit.keyfirms.schemas import (
    DepartmentRowSchema,
    FiguresSchema,
    HistorySchema,
    ListFilterSchema,
    ListingInputSchema,
    ListingSchema,
    ReminderInputSchema,
    ReminderSchema,
    RemovalSchema,
    RowSchema,
)
from credit.keyfirms.vocab import COVERAGE_STATES, categories
from credit.text import Text
from credit.uow import unit_of_work
from credit.uscc_field import UsccCode

PREFIX = ""
SCOPE = "keyfirms:write"
blp = Blueprint(
    "key_enterprises", __name__, description="重点电子商务企业 / key e-commerce enterprises"
)


class KeyListArgs(PageArgs, ListFilterSchema):
    class Meta:
        unknown = RAISE


class KeyPageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(RowSchema))
    figures = fields.Nested(FiguresSchema)


class KeyCoverageSchema(Schema):
    items = fields.List(fields.Nested(DepartmentRowSchema))
    not_covered = fields.List(fields.Nested(DepartmentRowSchema))
    figures = fields.Nested(FiguresSchema)


class UploadSchema(Schema):
    """The API takes JSON only (api/middleware.py): the CSV file's text goes in
    ``content``; the console's upload form sends the file itself."""

    class Meta:
        unknown = RAISE

    filename = Text(load_default="upload.csv", validate=validate.Length(1, 100))
    content = Text(
        required=True,
        multiline=True,
        validate=validate.Length(1, 2_000_000),
        metadata={"description": "CSV text, columns: " + ", ".join(importing.COLUMNS)},
    )


class UploadResultSchema(Schema):
    added = fields.Integer()
    items = fields.List(fields.Nested(ListingSchema))


class HistoryArgs(Schema):
    class Meta:
        unknown = RAISE

    uscc = UsccCode()


class HistoryListSchema(Schema):
    items = fields.List(fields.Nested(HistorySchema))


class SkippedReminderSchema(Schema):
    uscc = fields.Function(lambda x: x.enterprise.uscc)
    name = fields.Function(lambda x: x.enterprise.name)
    category = fields.String()
    last_sent = fields.DateTime(metadata={"description": "上次提醒时间 / reminded at"})


class RemindersSentSchema(Schema):
    sent = fields.Integer(metadata={"description": "本次发送的提醒数 / reminders sent now"})
    skipped = fields.Integer(
        metadata={
            "description": "近期已就同一要求提醒、本次未重复发送的数量 / not sent again: the "
            "firm was reminded of the same requirement within quiet_days"
        }
    )
    quiet_days = fields.Integer(metadata={"description": "CREDIT_KEY_REMINDER_QUIET_DAYS"})
    items = fields.List(fields.Nested(ReminderSchema))
    skipped_items = fields.List(fields.Nested(SkippedReminderSchema))


class AskedSchema(Schema):
    listings = fields.List(fields.Nested(RowSchema))
    reminders = fields.List(fields.Nested(ReminderSchema))


class KeyCategorySchema(Schema):
    code = fields.String()
    zh = fields.String()
    en = fields.String()
    required_pledge_types = fields.List(fields.String())


class KeyVocabSchema(Schema):
    categories = fields.List(fields.Nested(KeyCategorySchema))
    coverage_states = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()))


class RemovalArgs(RemovalSchema):
    pass


@blp.route("/key-enterprises", methods=["GET"])
@public
@blp.arguments(KeyListArgs, location="query")
@blp.response(200, KeyPageSchema)
def list_key_enterprises(args: dict[str, Any]) -> Any:
    """重点电子商务企业名单及承诺覆盖情况 / The key-enterprise list with pledge coverage"""
    page_no, size = args.pop("page"), args.pop("size")
    page, figures = service.list_key_enterprises(current_identity(), args, page_no, size)
    return {
        "items": page.items,
        "page": page.page,
        "size": page.size,
        "total": page.total,
        "pages": page.pages,
        "figures": figures,
    }


@blp.route("/key-enterprises/categories", methods=["GET"])
@public
@blp.response(200, KeyVocabSchema)
def vocabulary() -> Any:
    """类别与承诺覆盖状态 / Categories and coverage states"""
    return {
        "categories": list(categories().values()),
        "coverage_states": {k: [zh, en, ok] for k, (zh, en, ok) in COVERAGE_STATES.items()},
    }


@blp.route("/key-enterprises", methods=["POST"])
@require_scope(SCOPE)
@idempotent
@blp.arguments(ListingInputSchema)
@blp.response(201, ListingSchema)
def add_listing(data: dict[str, Any]) -> Any:
    """列入名单（商务主管部门，管辖范围内）/ Add a firm (commerce department)"""
    with unit_of_work() as uow:
        listing = service.add_listing(current_identity(), uow, data)
    return listing, 201, {"ETag": etag_of(listing.version)}


@blp.route("/key-enterprises/<string:listing_id>", methods=["DELETE"])
@require_scope(SCOPE)
@blp.arguments(RemovalArgs)
@blp.response(200, ListingSchema)
def remove_listing(data: dict[str, Any], listing_id: str) -> Any:
    """移出名单（须说明理由，保留记录）/ Remove a firm, with the reason (kept)"""
    with unit_of_work() as uow:
        return service.remove_listing(current_identity(), uow, listing_id, data["reason"])


@blp.route("/key-enterprises/upload", methods=["POST"])
@require_scope(SCOPE)
@blp.arguments(UploadSchema)
@blp.response(201, UploadResultSchema)
def upload(data: dict[str, Any]) -> Any:
    """上传名单 CSV（全部导入或全部不导入，逐行报错）/ Upload a CSV list (all or nothing)"""
    with unit_of_work() as uow:
        report = service.upload_listings(
            current_identity(), uow, io.StringIO(data["content"], newline=""), data["filename"]
        )
    return {"added": len(report.added), "items": report.added}, 201


@blp.route("/key-enterprises/history", methods=["GET"])
@require_scope(SCOPE)
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, HistoryListSchema)
def history(args: dict[str, Any]) -> Any:
    """名单变更记录（管辖范围内）/ Every change to the list in the jurisdiction"""
    return {"items": service.listing_history(current_identity(), args.get("uscc"))}


@blp.route("/regulator/key-enterprises/coverage", methods=["GET"])
@require_scope(SCOPE)
@blp.arguments(ListFilterSchema, location="query")
@blp.response(200, KeyCoverageSchema)
def coverage(args: dict[str, Any]) -> Any:
    """承诺覆盖情况与未公示承诺的企业 / Coverage and the firms without a pledge in force"""
    rows, figures = service.department_coverage(current_identity(), args)
    return {"items": rows, "not_covered": [r for r in rows if not r.covered], "figures": figures}


@blp.route("/key-enterprises/reminders", methods=["POST"])
@require_scope(SCOPE)
@idempotent(locate=False)
@blp.arguments(ReminderInputSchema)
@blp.response(201, RemindersSentSchema)
def remind(data: dict[str, Any]) -> Any:
    """提醒未公示有效承诺的企业（近期已提醒的不重复发送）/ Remind every listed firm without a
    pledge in force (a firm reminded of the same requirement recently is skipped)"""
    quiet = current_app.config["CREDIT_KEY_REMINDER_QUIET_DAYS"]
    with unit_of_work() as uow:
        run = service.send_reminders(current_identity(), uow, data, quiet_days=quiet)
    return {
        "sent": len(run.sent),
        "skipped": len(run.skipped),
        "quiet_days": run.quiet_days,
        "items": run.sent,
        "skipped_items": run.skipped,
    }, 201


@blp.route("/key-enterprises/asked", methods=["GET"])
@require_scope("pledges:write")
@blp.response(200, AskedSchema)
def asked() -> Any:
    """本企业的重点企业名单情况与提醒（企业）/ What is asked of this firm, and by when"""
    result = service.what_is_asked(current_identity())
    return {"listings": result.rows, "reminders": result.reminders}
