"""Open data: the DCAT-style catalogue of the daily snapshots, and their files.

Files are served by Flask's ``send_file(conditional=True)``: a strong ETag (the file's
SHA-256, as the catalogue gives it), ``If-None-Match`` (304), ``Range`` (206, one or more
ranges) and ``If-Range``. A day or a file name a snapshot does not hold is a problem+json
404; names are matched against the fixed set a snapshot holds, never used as a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, send_file
from marshmallow import Schema, fields

from api import urls
from api.auth import current_identity, public
from api.pages.about import site
from api.v1.common import Blueprint
from credit.opendata import catalogue, snapshots

PREFIX = "/open-data"
blp = Blueprint("open_data", __name__, description="开放数据 / open data")

#: How long a client or a cache may reuse a file without asking (a day may be rebuilt).
FILE_MAX_AGE = 300


def root() -> Path:
    return Path(current_app.config["CREDIT_OPEN_DATA_DIR"])


class ChecksumSchema(Schema):
    algorithm = fields.String(metadata={"description": "sha256"})
    value = fields.String(metadata={"description": "十六进制 / hex"})


class DistributionSchema(Schema):
    title = fields.String(metadata={"description": "文件名 / file name"})
    media_type = fields.String(metadata={"description": "application/gzip"})
    format = fields.String(
        metadata={"description": "压缩包内的格式 / inside: text/csv | application/x-ndjson"}
    )
    compress_format = fields.String()
    byte_size = fields.Integer()
    checksum = fields.Nested(ChecksumSchema)
    row_count = fields.Integer()
    download_url = fields.String()


class DatasetSchema(Schema):
    name = fields.String(metadata={"description": "enterprises | pledges | violations | ratings"})
    title = fields.String()
    title_en = fields.String()
    description = fields.String()
    description_en = fields.String()
    issued = fields.String(metadata={"description": "生成时间 / built at (ISO 8601)"})
    row_count = fields.Integer()
    distributions = fields.List(fields.Nested(DistributionSchema))


class SnapshotSchema(Schema):
    date = fields.String(metadata={"description": "YYYY-MM-DD"})
    issued = fields.String()
    model_version = fields.String(metadata={"description": "当时的评分模型版本 / model in force"})
    manifest_url = fields.String()
    datasets = fields.List(fields.Nested(DatasetSchema))


class LicenceSchema(Schema):
    title = fields.String()
    title_en = fields.String()
    url = fields.String()


class PublisherSchema(Schema):
    name = fields.String()
    name_en = fields.String()
    url = fields.String()


class CatalogueSchema(Schema):
    title = fields.String()
    title_en = fields.String()
    description = fields.String()
    description_en = fields.String()
    licence = fields.Nested(LicenceSchema)
    publisher = fields.Nested(PublisherSchema)
    landing_page = fields.String()
    issued = fields.String(allow_none=True, metadata={"description": "最早保留的快照 / oldest"})
    modified = fields.String(allow_none=True, metadata={"description": "最新快照 / newest"})
    datasets = fields.List(
        fields.Nested(DatasetSchema), metadata={"description": "最新快照 / the newest snapshot"}
    )
    snapshots = fields.List(fields.Nested(SnapshotSchema))


def get_catalogue() -> dict[str, Any]:
    who = site()
    return catalogue.get_catalogue(
        current_identity(), root(), urls.public_url(), (who.operator, who.operator_en)
    )


@blp.route("", methods=["GET"])
@public
@blp.response(200, CatalogueSchema)
def open_data_catalogue() -> Any:
    """开放数据目录（DCAT 风格：数据集、文件、大小、行数与 SHA-256）/ The open-data
    catalogue (DCAT-style: datasets, files, sizes, row counts and SHA-256)"""
    return get_catalogue(), 200, {"Cache-Control": "public, max-age=60"}


_FILE_RESPONSES = {
    "200": {
        "description": "文件（gzip 压缩的 CSV 或 JSON Lines，或 manifest.json）/ the file",
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": {
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    "206": {
        "description": "所请求的字节范围（Range）/ the requested byte range(s)",
        "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
    },
    "304": {"description": "未变化（If-None-Match）/ unchanged since the ETag sent"},
    "416": {"description": "范围不可满足 / range not satisfiable"},
}


@blp.route("/<string:day>/<string:name>", methods=["GET"])
@public
@blp.doc(responses=_FILE_RESPONSES)
@blp.alt_response(404, description="没有这一天的快照或这个文件 / no such snapshot or file")
def open_data_file(day: str, name: str) -> Any:
    """下载快照文件（支持 Range、ETag）/ Download a snapshot's file (Range and ETag work)"""
    found = snapshots.find_file(current_identity(), root(), day, name)
    response = send_file(
        found.path,
        mimetype=found.media_type,
        as_attachment=True,
        download_name=f"{day}-{name}",
        conditional=True,
        etag=found.sha256 or True,
        max_age=FILE_MAX_AGE,
    )
    response.cache_control.public = True
    return response
