"""Code lists the API uses (cities, industries, operator types ...), with labels."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api.auth import public
from api.v1.common import Blueprint
from credit.enterprises.vocab import INDUSTRIES, OPERATOR_TYPES, PLATFORMS, PLATFORMS_EN, STATUSES
from credit.regions import JIANGSU_CITIES, JIANGSU_CITIES_EN

PREFIX = "/vocabularies"
blp = Blueprint("vocabularies", __name__, description="代码表 / code lists")


class TermSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()


class VocabulariesSchema(Schema):
    cities = fields.List(fields.Nested(TermSchema))
    industries = fields.List(fields.Nested(TermSchema))
    operator_types = fields.List(fields.Nested(TermSchema))
    statuses = fields.List(fields.Nested(TermSchema))
    platforms = fields.List(fields.Nested(TermSchema))


def _terms(table: dict[str, Any], english: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Terms with both names: a (zh, en) pair, or a name with its English in ``english``."""
    out = []
    for code, value in table.items():
        zh, en = value if isinstance(value, tuple) else (value, (english or {})[code])
        out.append({"code": code, "name": zh, "name_en": en})
    return out


@blp.route("")
@public
@blp.response(200, VocabulariesSchema)
def vocabularies() -> Any:
    """全部代码表 / All code lists"""
    return {
        "cities": _terms(JIANGSU_CITIES, JIANGSU_CITIES_EN),
        "industries": _terms(INDUSTRIES),
        "operator_types": _terms(OPERATOR_TYPES),
        "statuses": _terms(STATUSES),
        "platforms": _terms(PLATFORMS, PLATFORMS_EN),
    }
