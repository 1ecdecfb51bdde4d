"""Public enterprise search by name fragment, former name, shop name or USCC."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from api.auth import public
from api.v1.common import Blueprint, PageMetaSchema, RegistryFilterArgs
from credit.enterprises.vocab import INDUSTRIES
from credit.regions import city_name
from search.queries import search_enterprises

PREFIX = "/search"
blp = Blueprint("search", __name__, description="信用搜索 / credit search")


class SearchArgs(RegistryFilterArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100),
                      metadata={"description":
                                "名称片段（两个汉字即可）、店铺名或统一社会信用代码"})


class EnterpriseHitSchema(Schema):
    uscc = fields.String()
    name = fields.String()
    former_names = fields.List(fields.String())
    shop_names = fields.List(fields.String())
    platform_names = fields.List(fields.String())
    city_code = fields.String()
    city_name = fields.String(allow_none=True)
    industry = fields.String()
    industry_name = fields.String()
    entity_type = fields.String()
    operator_type = fields.String()
    status = fields.String()
    legal_representative = fields.String(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"description": "信用等级 / credit grade"})
    tier = fields.String(allow_none=True, metadata={"description": "等 (A/B/C) / tier"})
    credit_score = fields.Integer(allow_none=True,
                                  metadata={"description": "信用分 0-1000 / credit score"})
    score = fields.Float(metadata={"description": "相关度 / relevance"})


class FacetBucketSchema(Schema):
    value = fields.String()
    label = fields.String(allow_none=True)
    count = fields.Integer()


class SearchResultSchema(PageMetaSchema):
    q = fields.String()
    backend = fields.String()
    items = fields.List(fields.Nested(EnterpriseHitSchema))
    facets = fields.Dict(keys=fields.String(),
                         values=fields.List(fields.Nested(FacetBucketSchema)))


_LABELS = {"city_code": city_name, "industry": lambda c: INDUSTRIES.get(c, (None,))[0]}


@blp.route("")
@public
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchResultSchema)
def search(args: dict[str, Any]) -> Any:
    """搜索经营者 / Search enterprises (two Chinese characters are enough)"""
    backend = current_app.extensions["credit.search"]
    result = search_enterprises(backend, args["q"], city=args.get("city"),
                                industry=args.get("industry"), page=args["page"],
                                size=args["size"])
    size = args["size"]
    return {
        "q": args["q"], "backend": backend.name, "page": args["page"], "size": size,
        "total": result.total, "pages": (result.total + size - 1) // size,
        "items": [{**h.source, "score": h.score} for h in result.hits],
        "facets": {f: [{"value": v, "label": _LABELS[f](v), "count": n} for v, n in buckets]
                   for f, buckets in result.facets.items()},
    }
