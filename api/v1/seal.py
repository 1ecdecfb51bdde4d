"""The credit seal in the API: its published rules, and the ``seal`` part of a firm's
standing (``GET /api/v1/enterprises/{uscc}/standing``, in ``api.v1.violations``), which
platforms read to show the seal in their own style."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api import urls
from api.auth import current_identity, public
from api.v1.common import Blueprint
from credit import seal

PREFIX = ""
blp = Blueprint("seal_api", __name__, description="诚信标识 / the credit seal")


class SealReasonSchema(Schema):
    code = fields.String(metadata={"description": "未满足的规则代码 / the rule not met"})
    text = fields.String(metadata={"description": "中文说明"})
    text_en = fields.String(metadata={"description": "in English"})


class SealSchema(Schema):
    eligible = fields.Boolean(
        metadata={"description": "今日是否可展示诚信标识 / may show the seal today"}
    )
    reasons = fields.List(
        fields.Nested(SealReasonSchema),
        metadata={"description": "未满足的每条规则 / each rule not met (empty when eligible)"},
    )
    grade = fields.String(allow_none=True, metadata={"description": "当前信用等级 / grade"})
    tier = fields.String(allow_none=True, metadata={"description": "A | B | C"})
    pledge_state = fields.String(
        metadata={"description": "in_force | breached | expired | withdrawn | none"}
    )
    pledge_valid_until = fields.Date(
        allow_none=True,
        metadata={"description": "在有效期内承诺的截止日 / the pledge in force ends on"},
    )
    since = fields.Date(
        allow_none=True,
        metadata={"description": "连续符合条件的起始日 / continuously eligible since"},
    )
    checked_on = fields.Date(metadata={"description": "核验日期 / the day it was checked"})
    rules_revision = fields.Integer(metadata={"description": "规则版本 / rules revision"})
    profile_url = fields.Function(
        lambda s: urls.external_url("pages.enterprise", uscc=s.uscc),
        metadata={"type": "string", "format": "uri", "description": "公开信用信息页"},
    )
    seal_url = fields.Function(
        lambda s: urls.external_url("seal.svg", uscc=s.uscc),
        metadata={
            "type": "string",
            "format": "uri",
            "description": "标识图片（?theme=light|dark&lang=zh|en）/ the seal image",
        },
    )


class SealRuleSchema(Schema):
    code = fields.String()
    title = fields.String()
    title_en = fields.String()
    failed = fields.String()
    failed_en = fields.String()
    reason = fields.String()
    reason_en = fields.String()
    cite = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()))


class SealRulesSchema(Schema):
    revision = fields.Integer()
    sources = fields.Dict(keys=fields.String(), values=fields.Raw())
    pledge_types = fields.List(fields.String())
    excluded_rating_tiers = fields.List(fields.String())
    blocking_severities = fields.List(fields.String())
    rules = fields.List(fields.Nested(SealRuleSchema))


@blp.route("/seal-rules", methods=["GET"])
@public
@blp.response(200, SealRulesSchema)
def seal_rules() -> Any:
    """诚信标识规则（逐条注明理由与依据）/ The credit seal's rules, each with its reason"""
    return seal.get_seal_rules(current_identity())


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def document_image(api: Any) -> None:
    """Describe ``/seal/{uscc}.svg`` (served by ``api.pages.seal``, outside ``/api/v1``) in
    the OpenAPI document, so platforms find it beside the standing and the fuzzers reach it."""
    from werkzeug.routing import Map, Rule

    from api.pages.seal import ROUTE

    rule = Rule(ROUTE, endpoint="seal.svg", defaults={})
    Map([rule])  # binds the rule: its converters name the path parameter
    api.spec.path(
        rule=rule,
        parameters=[],
        operations={
            "get": {
                "tags": ["seal_api"],
                "summary": "诚信标识图片（实时）/ The credit seal image, live",
                "description": "A static SVG showing the firm's current state (诚信经营 with "
                "its grade, or the neutral 未获诚信标识 · 查看信用信息), read on every request; "
                "Cache-Control: public, max-age=60, a strong ETag (If-None-Match gives 304), "
                "CORS *, never a cookie. Embed it in a link to the firm's profile.",
                "parameters": [
                    {
                        "name": "uscc",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "统一社会信用代码 / the firm's USCC",
                    },
                    {
                        "name": "theme",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["light", "dark"]},
                    },
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["zh", "en"]},
                    },
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The seal (image/svg+xml; charset=utf-8)",
                        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Unchanged since the ETag sent in If-None-Match"},
                    "400": _problem("A bad parameter or an invalid code (each field named)"),
                    "404": _problem("No firm with this code"),
                    "429": _problem("Too many requests from this address"),
                },
            }
        },
    )
