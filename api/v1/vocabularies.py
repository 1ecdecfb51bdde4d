"""Code lists the API uses (cities, industries, operator types ...), with labels."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from api.auth import public
from api.v1.common import Blueprint
from credit.enterprises.vocab import INDUSTRIES, OPERATOR_TYPES, PLATFORMS, STATUSES
from credit.regions import JIANGSU_CITIES

PREFIX = "/vocabularies"
blp = Blueprint("vocabularies", __name__, description="代码表 / code lists")


class TermSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class VocabulariesSchema(Schema):
    cities = fields.List(fields.Nested(TermSchema))
    industries = fields.List(fields.Nested(TermSchema))
    operator_types = fields.List(fields.Nested(TermSchema))
    statuses = fields.List(fields.Nested(TermSchema))
    platforms = fields.List(fields.Nested(TermSchema))


def _terms(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "code": k,
            "name": v[0] if isinstance(v, tuple) else v,
            "name_en": v[1] if isinstance(v, tuple) else None,
        }
        for k, v in table.items()
    ]


@blp.route("")
@public
@blp.response(200, VocabulariesSchema)
def vocabularies() -> Any:
    """全部代码表 / All code lists"""
    return {
        "cities": _terms(JIANGSU_CITIES),
        "industries": _terms(INDUSTRIES),
        "operator_types": _terms(OPERATOR_TYPES),
        "statuses": _terms(STATUSES),
        "platforms": _terms(PLATFORMS),
    }
