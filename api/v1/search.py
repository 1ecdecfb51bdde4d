"""Public search over enterprises, pledges and violations, and suggestions for the box."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.auth import public
from api.v1.common import Blueprint, PageArgs, PageMetaSchema
from credit import dates
from credit.enterprises.vocab import INDUSTRIES
from credit.keyfirms.vocab import categories as key_categories
from credit.pledges.vocab import PLEDGE_TYPES
from credit.ratings.catalog import catalog_for_labels
from credit.regions import JIANGSU_CITIES, city_name
from credit.scoring.model import GRADES
from credit.text import Text
from credit.violations.vocab import CATEGORIES, SEVERITIES
from search import queries
from search.backend import SORTS
from search.documents import WARNING_FLAGS

PREFIX = ""
blp = Blueprint("search", __name__, description="信用搜索 / credit search")

#: Offset paging reaches this deep; beyond it a cursor continues (search_after).
MAX_OFFSET = 1000
#: The rating tiers a search may filter on (their words come from the current model).
TIERS = ("A", "B", "C")


class SearchArgs(PageArgs):
    class Meta:
        unknown = RAISE

    q = Text(
        load_default="",
        multiline=True,  # whitespace of any kind separates words (queries.clean)
        validate=validate.Length(max=100),
        metadata={
            "description": "名称片段（两个汉字即可）、店铺名、决定书文号或统一"
            "社会信用代码 / name fragment, shop, decision "
            "number or USCC"
        },
    )
    type = Text(load_default="enterprise", validate=validate.OneOf(list(queries.TYPES)))
    city = fields.List(
        Text(validate=validate.OneOf(list(JIANGSU_CITIES))),
        metadata={"description": "地市代码，可多个 / city codes"},
    )
    industry = fields.List(Text(validate=validate.OneOf(list(INDUSTRIES))))
    grade = fields.List(Text(validate=validate.OneOf(list(GRADES))))
    tier = fields.List(
        Text(),
        metadata={"description": "enterprise/pledge: A|B|C（信用等次 / the rating tier）"},
    )
    severity = fields.List(
        Text(validate=validate.OneOf(list(SEVERITIES))),
        metadata={"description": "violation: minor|general|serious（轻微 / 一般 / 严重）"},
    )
    category = fields.List(
        Text(),
        metadata={
            "description": "pledge: 承诺类型; violation: 违法类别 (see /api/v1/vocabularies)"
        },
    )
    key_category = fields.List(
        Text(validate=validate.OneOf(list(key_categories()))),
        metadata={"description": "enterprise: 重点电子商务企业类别 / key-enterprise category"},
    )
    date_from = dates.BoundedDate(
        dates.FILTER,
        metadata={"description": "pledge: 公示日; violation: 决定日; enterprise: 成立日"},
    )
    date_to = dates.BoundedDate(dates.FILTER)
    sort = Text(
        load_default="relevance",
        validate=validate.OneOf(list(SORTS)),
        metadata={"description": "relevance | score (信用分) | date (最新)"},
    )
    cursor = Text(
        validate=validate.Length(max=2000),
        metadata={"description": "上一页返回的 next_cursor，用于深翻页 / from next_cursor"},
    )

    @validates_schema
    def consistent(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("type", "enterprise")
        errors: dict[str, list[str]] = {}
        if data.get("tier") and kind == "violation":
            errors["tier"] = [
                "违法失信信息按 severity（轻微/一般/严重）筛选 / filter violations by severity"
            ]
        elif any(t not in TIERS for t in data.get("tier", [])):
            errors["tier"] = [f"取值应为 {', '.join(TIERS)} / must be one of them"]
        if data.get("key_category") and kind != "enterprise":
            errors["key_category"] = ["仅适用于 enterprise / only for enterprises"]
        if data.get("severity") and kind != "violation":
            errors["severity"] = ["仅适用于 violation / only for violations"]
        categories = {"pledge": set(PLEDGE_TYPES), "violation": set(CATEGORIES)}.get(kind)
        if data.get("category") and categories is None:
            errors["category"] = ["仅适用于 pledge 与 violation / only for pledges and violations"]
        elif categories and any(c not in categories for c in data.get("category", [])):
            errors["category"] = ["未知的类别 / unknown category"]
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            errors["date_to"] = ["不能早于 date_from / before date_from"]
        if data.get("cursor") is None and data.get("page", 1) * data.get("size", 20) > MAX_OFFSET:
            errors["page"] = [
                f"翻页最多到第 {MAX_OFFSET} 条，更深请用 next_cursor / beyond "
                f"{MAX_OFFSET} results, continue with next_cursor"
            ]
        if errors:
            raise ValidationError(errors)


class FacetBucketSchema(Schema):
    value = fields.String()
    label = fields.String(allow_none=True)
    count = fields.Integer()


class SearchResultSchema(PageMetaSchema):
    q = fields.String()
    type = fields.String()
    backend = fields.String()
    sort = fields.String()
    items = fields.List(
        fields.Dict(),
        metadata={
            "description": "命中记录（公开字段，已脱敏）及 highlights（<em> 标出的匹配片段）/ hits "
            "with highlighted fragments"
        },
    )
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetBucketSchema)))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "继续下一页 / pass as cursor for the next page"}
    )
    searched_as = fields.String(
        allow_none=True,
        metadata={
            "description": "q 无结果时改搜的写法（城市名加或去“市”，或按拼音、首字母）/ what was "
            "searched instead when q found nothing (the city with or without 市, or q read as "
            "pinyin or initials); null otherwise"
        },
    )
    near_miss = fields.Boolean(
        metadata={
            "description": "q 及其各种写法都无结果时，列出与 q 相差一个字（错字、漏字或多字）的"
            "名称 / true when q found nothing in any form and the items are names one "
            "character off it (a wrong, missing or extra character)"
        },
    )


class SuggestArgs(Schema):
    class Meta:
        unknown = RAISE

    q = Text(required=True, multiline=True, validate=validate.Length(1, 100))
    size = fields.Integer(load_default=8, validate=validate.Range(1, 20))


class WarningSchema(Schema):
    flag = fields.String(metadata={"description": "serious_list | serious_violation"})
    text = fields.String()
    text_en = fields.String()


class SuggestionSchema(Schema):
    uscc = fields.String()
    name = fields.String()
    city_name = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    highlight = fields.String(allow_none=True)
    grade_text = fields.String(allow_none=True, metadata={"description": "等级释义 / grade words"})
    grade_text_en = fields.String(allow_none=True)
    warnings = fields.List(
        fields.Nested(WarningSchema),
        metadata={"description": "名单与严重记录（文字）/ list membership, serious records"},
    )


class SuggestResultSchema(Schema):
    q = fields.String()
    items = fields.List(fields.Nested(SuggestionSchema))


def _label(kind: str, facet: str, value: str) -> str | None:
    if facet == "city":
        return city_name(value)
    if facet == "industry":
        return INDUSTRIES.get(value, (None,))[0]
    if facet == "tier":  # a score's tier, in the current model's words (never 守信/失信)
        return catalog_for_labels().get().tier_words.get(value, (None,))[0]
    if facet == "severity":
        return SEVERITIES.get(value, (None,))[0]
    if facet == "key_category":
        found = key_categories().get(value)
        return found.zh if found else None
    if facet == "category":
        table = PLEDGE_TYPES if kind == "pledge" else CATEGORIES
        return table.get(value, (None,))[0]
    return value


def _fingerprint(args: dict[str, Any], backend: str) -> str:
    """What a cursor belongs to: the query (everything but page and cursor) and the
    backend whose sort values it carries."""
    keys = (
        "q",
        "type",
        "city",
        "industry",
        "grade",
        "tier",
        "severity",
        "category",
        "key_category",
        "date_from",
        "date_to",
        "sort",
        "size",
    )
    blob = json.dumps([backend, *(str(args.get(k)) for k in keys)], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


#: Cursors are signed with the app's secret under their own salt, bound to their query by
#: the fingerprint in the salt: the token holds only the sort values, so it stays short.
CURSOR_SALT = "credit.search-cursor.v1"
_NUMBER = (int, float)
#: The types of a hit's sort values, per backend and sort (``search/tantivy_index.py``
#: ``_by_key`` and ``_ranked``; ``search/elastic.py`` ``_sort``: score or _score, or a date
#: as epoch milliseconds, then the tie-breaking key; the relevance order's tier first on
#: both). A cursor that does not fit is refused before it reaches a backend, where it
#: would fail as a 500.
CURSOR_SHAPES: dict[tuple[str, str], tuple[Any, ...]] = {
    ("embedded", "relevance"): (int, _NUMBER, str),
    ("embedded", "score"): (_NUMBER, str),
    ("embedded", "date"): (str, str),
    ("elasticsearch", "relevance"): (int, _NUMBER, str),
    ("elasticsearch", "score"): (_NUMBER, str),
    ("elasticsearch", "date"): (_NUMBER, str),
}
MAX_CURSOR_TEXT = 200  # longest string sort value (a USCC or an id in practice)


def _signer(args: dict[str, Any], backend: str) -> URLSafeSerializer:
    return URLSafeSerializer(
        current_app.secret_key,
        salt=f"{CURSOR_SALT}:{_fingerprint(args, backend)}",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _encode(args: dict[str, Any], backend: str, after: tuple) -> str:
    return _signer(args, backend).dumps(list(after))


def _fits(value: Any, kind: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return len(value) <= MAX_CURSOR_TEXT


def cursor_fits(after: Any, backend: str, sort: str) -> bool:
    """Whether decoded sort values have the types ``sort`` needs on ``backend``."""
    if not isinstance(after, list) or not after:
        return False
    shape = CURSOR_SHAPES.get((backend, sort))
    if shape is None:  # a backend without a declared shape: a few scalars at least
        shape = (str | int | float,) * len(after) if len(after) <= 4 else ()
    return len(after) == len(shape) and all(map(_fits, after, shape))


def _decode(args: dict[str, Any], backend: str) -> tuple:
    from credit.errors import FieldError, ValidationFailed

    signer = _signer(args, backend)
    try:
        after = signer.loads(args["cursor"])
        # Base64 leaves spare bits in a last character: two spellings of one signature
        # both verify. Only the spelling the server issued is a cursor.
        if signer.dumps(after) != args["cursor"]:
            raise BadData("not the issued spelling")
    except BadData:
        raise ValidationFailed(
            "翻页游标无效",
            [
                FieldError(
                    "cursor",
                    "游标无效、被改动或属于另一查询，请用相同条件从第一页重新开始 / the cursor "
                    "is invalid, altered or belongs to another query",
                    "invalid",
                    "query",
                )
            ],
        ) from None
    if not cursor_fits(after, backend, args["sort"]):
        raise ValidationFailed(
            "翻页游标无效",
            [
                FieldError(
                    "cursor",
                    "游标的取值与排序方式不符 / the cursor's values do not fit the sort",
                    "mismatch",
                    "query",
                )
            ],
        )
    return tuple(after)


def _grade_words(grade: str | None) -> dict[str, str | None]:
    """A grade's words in the model in force (a bare "CCC" tells a reader nothing)."""
    zh, en = catalog_for_labels().get().grade_words.get(grade or "", (None, None))
    return {"grade_text": zh, "grade_text_en": en}


def _public(source: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in source.items() if not k.startswith("t_") and not k.endswith("_exact")}


#: The hot public routes load their arguments with one schema instance each: given the
#: class, webargs builds (deep-copies) a new schema per request, about 1 ms.
SEARCH_ARGS, SUGGEST_ARGS = SearchArgs(), SuggestArgs()


@blp.route("/search")
@public
@blp.arguments(SEARCH_ARGS, location="query")
@blp.response(200, SearchResultSchema)
@blp.alt_response(503, description="搜索服务暂不可用 / search unavailable")
def search(args: dict[str, Any]) -> Any:
    """信用搜索：经营者、信用承诺、违法失信信息 / Search enterprises, pledges, violations"""
    return run_search(args)


def run_search(args: dict[str, Any]) -> dict[str, Any]:
    """The search as the API answers it (``args`` loaded by ``SearchArgs``); the public
    search page calls this too, so both give the same results, facets and cursors."""
    backend = current_app.extensions["credit.search"]
    kind, size = args["type"], args["size"]
    after = _decode(args, backend.name) if args.get("cursor") else None
    filters = {k: tuple(args.get(k) or ()) for k in queries.FIELDS[kind]}
    found = queries.search(
        backend,
        kind,
        args["q"],
        filters=filters,
        sort=args["sort"],
        date_from=args["date_from"].isoformat() if args.get("date_from") else None,
        date_to=args["date_to"].isoformat() if args.get("date_to") else None,
        page=args["page"],
        size=size,
        after=after,
    )
    result = found.result
    hits = result.hits
    offset = 0 if after else (args["page"] - 1) * size
    more = len(hits) == size and (after is not None or offset + size < result.total)
    fields_ = queries.FIELDS[kind]
    return {
        "q": args["q"],
        "type": kind,
        "backend": backend.name,
        "sort": args["sort"],
        "page": args["page"],
        "size": size,
        "total": result.total,
        "pages": (result.total + size - 1) // size,
        "items": [
            {**_public(h.source), "relevance": h.score, "highlights": hl}
            for h, hl in zip(hits, found.highlights, strict=True)
        ],
        "facets": {
            api: [
                {"value": v, "label": _label(kind, api, v), "count": n}
                for v, n in result.facets.get(field, [])
            ]
            for api, field in fields_.items()
        },
        "next_cursor": _encode(args, backend.name, hits[-1].sort) if more and hits else None,
        "searched_as": found.searched_as,
        "near_miss": found.near_miss,
    }


@blp.route("/suggest")
@public
@blp.arguments(SUGGEST_ARGS, location="query")
@blp.response(200, SuggestResultSchema)
def suggest(args: dict[str, Any]) -> Any:
    """搜索框联想：名称与统一社会信用代码前缀 / Suggestions: names and USCC prefixes"""
    backend = current_app.extensions["credit.search"]
    hits = queries.suggest(backend, args["q"], args["size"])
    items = []
    for h in hits:
        marked = queries.highlight("enterprise", h, args["q"]).get("name", [None])[0]
        items.append(
            {
                "uscc": h.source["uscc"],
                "name": h.source["name"],
                "city_name": h.source.get("city_name"),
                "grade": h.source.get("grade"),
                "tier": h.source.get("tier"),
                "highlight": marked,
                **_grade_words(h.source.get("grade")),
                "warnings": [
                    {"flag": flag, "text": zh, "text_en": en}
                    for flag, (zh, en) in WARNING_FLAGS.items()
                    if flag in (h.source.get("flags") or ())
                ],
            }
        )
    return {"q": args["q"], "items": items}
