"""Data exchange: the public penalty records in the national "双公示" format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, request, stream_with_context
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import UnsupportedMediaType

from api.auth import current_identity, public, require_scope
from api.v1.common import Blueprint
from credit import clock, dates
from credit.errors import FieldError, ValidationFailed
from credit.exchange import jobs, penalties, penalty_import
from credit.exchange.spreadsheet import csv_lines
from credit.regions import JIANGSU_CITIES
from credit.text import Text
from credit.uow import unit_of_work

PREFIX = "/exchange"
blp = Blueprint("exchange", __name__, description="数据交换 / data exchange")


class PenaltyExportArgs(Schema):
    since = dates.BoundedDate(
        dates.FILTER, metadata={"description": "处罚决定日期不早于 / decided on or after"}
    )
    until = dates.BoundedDate(
        dates.FILTER, metadata={"description": "处罚决定日期不晚于 / decided on or before"}
    )
    city = Text(
        validate=validate.OneOf(list(JIANGSU_CITIES)),
        metadata={"description": "经营者所在设区市代码 / the firm's city (GB/T 2260)"},
    )
    format = Text(
        load_default="json",
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "json | csv (UTF-8 with BOM)"},
    )

    @validates_schema
    def ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("起始日期晚于截止日期 / since is after until", "until")


class PenaltyColumnSchema(Schema):
    code = fields.String()
    name = fields.String()
    description = fields.String()


class PenaltyExportSchema(Schema):
    format = fields.String(metadata={"description": "行政处罚 双公示"})
    columns = fields.List(fields.Nested(PenaltyColumnSchema))
    total = fields.Integer()
    items = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        metadata={"description": "每行以列代码为键 / each row keyed by column code"},
    )


def _json_body(total: int, rows: Iterator[dict[str, str]]) -> Iterator[str]:
    head = {
        "format": "行政处罚 双公示",
        "columns": [
            {"code": c.code, "name": c.name, "description": c.description}
            for c in penalties.COLUMNS
        ],
        "total": total,
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "items": ['
    first = True
    for row in rows:
        yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]}"


def _csv_body(rows: Iterator[dict[str, str]]) -> Iterator[str]:
    codes = [c.code for c in penalties.COLUMNS]
    return csv_lines(codes, ([row[c] for c in codes] for row in rows))


@blp.route("/penalties", methods=["GET"])
@public
@blp.arguments(PenaltyExportArgs, location="query")
@blp.response(200, PenaltyExportSchema)
def export_penalties(args: dict[str, Any]) -> Any:
    """公示中的行政处罚信息（双公示数据项，JSON 或 CSV）/ Public penalty records in the
    national format (JSON or CSV), oldest decision first"""
    fmt = args.pop("format")
    identity = current_identity()
    rows = penalties.export_penalties(identity, **args)
    if fmt == "csv":
        name = f"penalties-{clock.today():%Y%m%d}.csv"
        return Response(
            stream_with_context(_csv_body(rows)),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "public, max-age=60",
            },
        )
    total = penalties.count_public_penalties(identity, **args)
    return Response(
        stream_with_context(_json_body(total, rows)),
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=60"},
    )


class RowErrorSchema(Schema):
    field = fields.String(metadata={"description": "列代码 / the column"})
    message = fields.String()
    code = fields.String()


class RowResultSchema(Schema):
    row = fields.Integer(metadata={"description": "文件中的行号（表头为第 1 行）/ row in the file"})
    outcome = fields.String(metadata={"description": "created | unchanged | updated | refused"})
    decision_number = fields.String()
    violation_id = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(RowErrorSchema))


class ImportReportSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    ignored_columns = fields.List(fields.String())
    results = fields.List(fields.Nested(RowResultSchema))


def report_body(results: list, ignored: list[str]) -> dict[str, Any]:
    counts = penalty_import.outcome_counts(results)
    return {"rows": len(results), **counts, "ignored_columns": ignored, "results": results}


def _upload() -> tuple[bytes, str]:
    """The uploaded file and its media type: the request body itself, or the ``file`` of
    a multipart form (a browser's upload)."""
    if request.mimetype == "multipart/form-data":
        sent = request.files.get("file")
        if sent is None:
            raise ValidationFailed(
                "缺少文件 / no file", [FieldError("file", "缺少文件 / no file", "required")]
            )
        name = (sent.filename or "").lower()
        kind = (
            penalty_import.XLSX
            if name.endswith(".xlsx")
            else penalty_import.JSON
            if name.endswith(".json")
            else penalty_import.CSV
            if name.endswith(".csv")
            else sent.mimetype
        )
        return sent.read(), kind
    return request.get_data(), request.mimetype


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "queued | running | done"})
    total_rows = fields.Integer()
    done_rows = fields.Integer()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    report = fields.Nested(
        ImportReportSchema,
        allow_none=True,
        metadata={"description": "逐行结果（完成后）/ the per-row report, once done"},
    )


def _job_body(job: jobs.ExchangeJob) -> dict[str, Any]:
    report = None
    if job.status == "done":
        report = report_body(jobs.job_results(job), job.ignored_columns)
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "total_rows": job.total_rows,
        "done_rows": job.done_rows,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "report": report,
    }


_FILE_BODY = {
    "required": True,
    "description": "双公示格式的文件（表头为列代码、旧列名或中文列名）/ a file of the format",
    "content": {
        penalty_import.CSV: {"schema": {"type": "string"}},
        penalty_import.XLSX: {"schema": {"type": "string", "format": "binary"}},
        penalty_import.JSON: {
            "schema": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


@blp.route("/penalties", methods=["POST"])
@require_scope("violations:write")
@blp.doc(requestBody=_FILE_BODY)
@blp.response(200, ImportReportSchema)
@blp.alt_response(202, schema=JobSchema, description="作为任务导入 / imported as a job")
@blp.alt_response(
    400, description="文件无法读取或缺少必需的列 / unreadable file or missing columns"
)
@blp.alt_response(413, description="文件过大 / file too large")
@blp.alt_response(415, description="文件类型不支持 / not CSV, JSON or XLSX")
def import_penalties() -> Any:
    """导入行政处罚信息（双公示格式：CSV、XLSX 或 JSON；逐行结果）/ Import penalty records in
    the national format (CSV, XLSX or JSON; a result per row)"""
    data, kind = _upload()
    if kind not in penalty_import.MEDIA_TYPES:
        raise UnsupportedMediaType(
            "文件类型应为 text/csv、application/json 或 XLSX / CSV, JSON or XLSX expected"
        )
    upload = penalty_import.read_upload(data, kind)
    if len(upload.rows) > jobs.SYNC_ROWS:
        with unit_of_work(keep_loaded=True) as uow:
            job = jobs.queue_penalty_import(current_identity(), uow, upload)
        location = f"/api/v1/exchange/jobs/{job.id}"
        # Not through the decorator's schema (the 200's): the job as it is documented.
        answer = jsonify(JobSchema().dump(_job_body(job)))
        answer.status_code, answer.headers["Location"] = 202, location
        return answer
    results = penalty_import.import_rows(current_identity(), upload.rows)
    return report_body(results, upload.ignored_columns)


@blp.route("/jobs/<string:job_id>", methods=["GET"])
@require_scope("violations:write")
@blp.response(200, JobSchema)
@blp.alt_response(404, description="不存在或非本机关的任务 / unknown, or another authority's")
def get_job(job_id: str) -> Any:
    """导入任务的进度与逐行结果 / An import job's progress and, once done, its report"""
    return _job_body(jobs.get_job(current_identity(), job_id))
