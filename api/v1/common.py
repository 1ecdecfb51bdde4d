"""Shared argument schemas and helpers for v1 resources."""

from __future__ import annotations

import re
from typing import Any

import flask_smorest
from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from webargs.flaskparser import FlaskParser

from credit.enterprises.vocab import INDUSTRIES
from credit.regions import JIANGSU_CITIES
from credit.text import Text

MAX_WINDOW = 10_000  # deepest result reachable by paging (Elasticsearch's default window)


class PageArgs(Schema):
    class Meta:
        unknown = RAISE

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1),
        metadata={"description": "页码，从 1 开始 / page number"},
    )
    size = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "每页条数 (≤ 100) / page size"},
    )

    @validates_schema
    def bounded(self, data: dict[str, Any], **_: Any) -> None:
        limit = min(current_app.config["CREDIT_PAGE_SIZE_MAX"], 100)
        if data.get("size", 20) > limit:
            raise ValidationError(f"每页最多 {limit} 条", "size")
        if data.get("page", 1) * data.get("size", 20) > MAX_WINDOW:
            raise ValidationError(f"只能翻阅前 {MAX_WINDOW} 条结果，请缩小查询范围", "page")


class RegistryFilterArgs(PageArgs):
    city = Text(
        validate=validate.OneOf(list(JIANGSU_CITIES)),
        metadata={"description": "地市代码，如 320500 / city code"},
    )
    industry = Text(
        validate=validate.OneOf(list(INDUSTRIES)),
        metadata={"description": "行业代码 / industry code"},
    )


class PageMetaSchema(Schema):
    page = fields.Integer()
    size = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


#: One entity tag as we issue them: "<version>" (weak W/ tolerated), ASCII digits only.
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?([0-9]{1,18})"?\s*$', re.ASCII)


def expected_version() -> int | None:
    """The version an ``If-Match: "<version>"`` header names (None when absent).

    Anything else (several tags, ``*``, non-ASCII bytes, which gunicorn hands over as
    latin-1 text, digits of other scripts) is a 400 naming the header; ``str.isdigit``
    accepted "²", which ``int`` then refused with a 500."""
    from flask import request

    from credit.errors import FieldError, ValidationFailed

    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _IF_MATCH.match(header)
    if match is None:
        raise ValidationFailed(
            'If-Match 应为读取时得到的 ETag，如 "3"',
            [
                FieldError(
                    "If-Match",
                    '应为一个 ETag，如 "3" / must be one entity tag as read, e.g. "3"',
                    "invalid",
                    "header",
                )
            ],
        )
    return int(match.group(1))


def etag_of(version: int) -> str:
    return f'"{version}"'


def page_body(page: Any, items: list[Any]) -> dict[str, Any]:
    return {
        "items": items,
        "page": page.page,
        "size": page.size,
        "total": page.total,
        "pages": page.pages,
    }


class StrictParser(FlaskParser):
    """webargs excludes unknown query parameters by default; let each schema's
    ``Meta.unknown = RAISE`` decide instead, so a misspelt parameter is an error.

    JSON bodies are the request's own parse (``api.inputs``: bounded depth, checked
    text, cached), not a second unbounded ``json.loads``; an empty body is no body."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # noqa: RUF012

    def _raw_load_json(self, req: Any) -> Any:
        from webargs import core

        from api.inputs import has_json_body

        return req.get_json() if has_json_body(req) else core.missing

    def _get_schema(self, argmap: Any, req: Any) -> Schema:
        """One instance per schema class for the process: webargs would build one per
        request, and building a marshmallow schema deep-copies every declared field (a
        twentieth of a pledge write's CPU). ``load`` keeps no state on the instance, so
        threads share it safely (tests/api/test_argument_schemas.py)."""
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = _ARGUMENT_SCHEMAS.get(argmap)
            if schema is None:
                schema = _ARGUMENT_SCHEMAS.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


#: The argument schemas in use, by class (filled on first use; see StrictParser).
_ARGUMENT_SCHEMAS: dict[type, Schema] = {}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()
