"""Consumer pages (no sign-in): home, search results, enterprise profile, credit report,
report verification, statistics and the USCC check.

Views read the query, call the same functions the REST API calls (search through
``api.v1.search.run_search``, the rest through ``credit`` services with the caller's
Identity) and render a template. The profile, report and verification views are in
``api.pages.profiles``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError

from api.auth import current_identity, public
from api.pages import charts, labels
from api.v1.search import MAX_OFFSET, SEARCH_ARGS, run_search
from credit import clock, publicity
from credit import uscc as uscc_mod
from credit.enterprises import service as enterprises
from credit.errors import FieldError, ValidationFailed
from credit.pledges import service as pledges
from credit.regions import JIANGSU_CITIES
from credit.reports.service import ENTITY_TYPES_EN
from credit.violations import registry
from credit.violations import service as violations
from credit.violations.vocab import CATEGORIES, SEVERITIES
from search import queries
from search.backend import BackendUnavailable, looks_like_uscc

bp = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


@bp.context_processor
def _vocabulary() -> dict[str, Any]:
    return {"labels": labels}


PAGE_SIZE = 20
LATEST = 5
FILTERS = ("city", "industry", "grade", "tier", "severity", "category", "key_category")
SCALARS = ("q", "type", "date_from", "date_to", "sort", "page", "cursor")
#: The filters the public record's feed takes (``api.pages.feeds``).
FEED_FILTERS = ("city", "category", "severity")
#: Deepest page reachable (PageArgs' window: 10,000 results).
MAX_PAGE = 10_000 // PAGE_SIZE


@bp.get("/")
@public
def home():
    identity = current_identity()
    today = clock.today()
    latest = {
        "pledge": [
            {
                "uscc": p.enterprise.uscc,
                "enterprise_name": p.enterprise.name,
                "title": (p.template.title, p.template.title_en),
                "published_on": p.published_at.astimezone(clock.CHINA).date(),
                "compliance": "breached" if p.breached_clauses() else "kept",
                "repair": p.template.type == "credit_repair",
            }
            for p in pledges.latest_pledges(identity, LATEST)
        ],
        "violation": [
            {
                "uscc": v.enterprise.uscc,
                "enterprise_name": v.enterprise.name,
                "severity": v.severity,
                "category": v.category,
                "decision_number": v.decision_number,
                "decision_date": v.decision_date,
                "status": publicity.public_status(v, today),
            }
            for v in violations.latest_violations(identity, LATEST)
        ],
    }
    return render_template("public/home.html", latest=latest)


# -- search ------------------------------------------------------------------------------
def _raw_args() -> dict[str, Any]:
    """The query string as ``SEARCH_ARGS`` takes it: empty values and unknown names left
    out (the language switch, tracking parameters), the filters as lists."""
    raw: dict[str, Any] = {}
    for name in SCALARS:
        value = request.args.get(name, "").strip()
        if value:
            raw[name] = value
    for name in FILTERS:
        values = [v for v in request.args.getlist(name) if v]
        if values:
            raw[name] = values
    raw["size"] = PAGE_SIZE
    return raw


def _load(raw: dict[str, Any]) -> dict[str, Any]:
    try:
        return SEARCH_ARGS.load(raw)
    except ValidationError as exc:
        problems = []
        for name, messages in exc.normalized_messages().items():
            if isinstance(messages, dict):  # a list field: {index: [messages]}
                messages = [m for ms in messages.values() for m in ms]
            problems.extend(FieldError(name, str(m), "invalid", "query") for m in messages)
        raise ValidationFailed(
            "搜索条件有误，请修改后重试 (please correct the search)", problems
        ) from None


class _Links:
    """URLs of this search with one thing changed (filters, sort, type, page)."""

    def __init__(self, raw: dict[str, Any]):
        self.base = {k: v for k, v in raw.items() if k not in {"page", "cursor", "size"}}

    def url(self, **changes: Any) -> str:
        params = {**self.base, **changes}
        params = {k: v for k, v in params.items() if v not in (None, "", [])}
        return url_for("pages.search", **params)

    def toggle(self, name: str, value: str) -> str:
        current = list(self.base.get(name, []))
        chosen = [v for v in current if v != value] if value in current else [*current, value]
        return self.url(**{name: chosen})


def _view_model(args: dict[str, Any], raw: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    kind = args["type"]
    links = _Links(raw)
    facets = []
    for name in queries.FIELDS[kind]:
        selected = set(args.get(name) or ())
        buckets = [
            {
                "value": b["value"],
                "label": labels.facet_value(kind, name, b["value"]),
                "count": b["count"],
                "selected": b["value"] in selected,
                "url": links.toggle(name, b["value"]),
            }
            for b in found["facets"].get(name, [])
        ]
        if buckets:
            facets.append(
                {
                    "name": name,
                    "title": labels.FACET_NAMES[name],
                    "buckets": buckets,
                    "open": bool(selected),
                }
            )
    active = [
        {
            "name": name,
            "title": labels.FACET_NAMES[name],
            "label": labels.facet_value(kind, name, value),
            "url": links.toggle(name, value),
        }
        for name in FILTERS
        for value in args.get(name) or ()
    ]
    items = []
    for item in found["items"]:
        # The search layer HTML-escapes the text and adds only <em>: safe to mark as such.
        marks = {
            k: [Markup(f) for f in v]  # noqa: S704
            for k, v in (item.get("highlights") or {}).items()
        }
        items.append(
            {
                **item,
                "marks": marks,
                "city": labels.city(item.get("city_code")),
                "tier_words": labels.tier(item.get("tier")),
            }
        )
    page = args["page"]
    next_url = None
    if found["next_cursor"] and page < MAX_PAGE:
        if (page + 1) * PAGE_SIZE <= MAX_OFFSET and not args.get("cursor"):
            next_url = links.url(page=page + 1)
        else:
            next_url = links.url(page=page + 1, cursor=found["next_cursor"])
    prev_url = None
    if page > 1 and not args.get("cursor"):
        prev_url = links.url(page=page - 1) if page > 2 else links.url()
    return {
        "hits": items,
        "facets": facets,
        "active": active,
        "sorts": [
            {"value": s, "label": pair, "url": links.url(sort=s), "current": s == args["sort"]}
            for s, pair in labels.SORTS.items()
        ],
        "types": [
            {
                "value": k,
                "label": pair,
                "url": url_for("pages.search", q=args["q"], type=k)
                if args["q"]
                else url_for("pages.search", type=k),
                "current": k == kind,
            }
            for k, pair in labels.TYPES.items()
        ],
        "next_url": next_url,
        "prev_url": prev_url,
        "first_url": links.url() if page > 1 else None,
        "clear_url": url_for("pages.search", q=args["q"], type=kind),
    }


@bp.get("/search")
@public
def search():
    raw = _raw_args()
    args = _load(raw)
    context = {"args": args}
    try:
        found = run_search(args)
    except BackendUnavailable:
        current_app.logger.warning("search page: search backend unavailable")
        body = render_template("public/search.html", unavailable=True, **context)
        return body, 503, {"Retry-After": "5"}
    code = uscc_mod.code_like(args["q"])
    if args["type"] == "enterprise" and code and args["page"] == 1:
        exact = [i for i in found["items"] if i.get("uscc") == code]
        if exact:  # a USCC typed in full (any width, any case) leads to its profile
            return redirect(url_for("pages.enterprise", uscc=code))
    return render_template(
        "public/search.html",
        found=found,
        code_like=looks_like_uscc(args["q"]),
        code_check=_code_hint(args["q"]),
        view=_view_model(args, raw, found),
        feed_url=_feed_url(args),
        **context,
    )


def _feed_url(args: dict[str, Any]) -> str | None:
    """The Atom feed of the records this violation search lists, when a feed can say it:
    no text typed, no dates, no other filter, and at most one city, category and severity."""
    said = ("q", "date_from", "date_to", *(n for n in FILTERS if n not in FEED_FILTERS))
    if args["type"] != "violation" or any(args.get(n) for n in said):
        return None
    chosen = {n: args.get(n) or [] for n in FEED_FILTERS}
    if any(len(v) > 1 for v in chosen.values()):
        return None
    return url_for("feeds.violations_atom", **{n: v[0] for n, v in chosen.items() if v})


def _code_hint(query: str) -> uscc_mod.UsccCheck | None:
    """When the query is (nearly) a USCC that fails the check, what is wrong, position by
    position: the same answer as the USCC check page."""
    if not (uscc_mod.code_like(query) or uscc_mod.looks_like_an_attempt(query)):
        return None
    result = uscc_mod.check(query)
    return None if result.valid else result


# -- statistics --------------------------------------------------------------------------
@bp.get("/stats")
@public
def stats():
    data = registry.public_statistics(current_identity())
    city_pairs = {code: labels.city(code) for code in JIANGSU_CITIES}

    def by_city(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
        found = dict(rows)
        return [(code, found.get(code, 0)) for code in JIANGSU_CITIES]

    series = {
        "pledges_by_city": by_city(data["pledges_by_city"]),
        "violations_by_city": by_city(data["violations_by_city"]),
        "violations_by_category": data["violations_by_category"],
        "violations_by_severity": data["violations_by_severity"],
        "pledges_by_month": data["pledges_by_month"],
        "violations_by_month": data["violations_by_month"],
        "grades": data["grades"],
    }
    names = {
        "pledges_by_city": lambda c: city_pairs.get(c, (c, c)),
        "violations_by_city": lambda c: city_pairs.get(c, (c, c)),
        "violations_by_category": lambda c: CATEGORIES.get(c, (c, c)),
        "violations_by_severity": lambda c: SEVERITIES.get(c, (c, c)),
        "pledges_by_month": lambda m: (m, m),
        "violations_by_month": lambda m: (m, m),
        "grades": lambda g: (g, g),
    }
    tiers: dict[str, dict[str, int]] = {code: {} for code in JIANGSU_CITIES}
    for code, tier, n in data["tiers_by_city"]:
        tiers.setdefault(code, {})[tier] = n
    tier_table = [
        {
            "city": city_pairs.get(code, (code, code)),
            "A": t.get("A", 0),
            "B": t.get("B", 0),
            "C": t.get("C", 0),
        }
        for code, t in tiers.items()
    ]
    series["trustworthy_by_city"] = [(code, t.get("A", 0)) for code, t in tiers.items()]
    names["trustworthy_by_city"] = lambda c: city_pairs.get(c, (c, c))
    named = {key: [(names[key](k), n) for k, n in rows] for key, rows in series.items()}
    chart = {key: charts.bars([(k, n) for k, n in rows]) for key, rows in series.items()}
    return render_template(
        "public/stats.html", data=data, named=named, chart=chart, tier_table=tier_table
    )


# -- USCC check --------------------------------------------------------------------------
MAX_CODE_INPUT = 64


@bp.get("/uscc")
@public
def uscc_check():
    code = request.args.get("code", "").strip()[:MAX_CODE_INPUT]
    result = None
    if code:
        report = enterprises.check_uscc(current_identity(), code)
        check = report.check
        result = {
            "code": check.code,
            "valid": check.valid,
            "faults": check.faults,
            "notes": check.notes,
            **uscc_mod.describe(check),
            "entity_type": (
                uscc_mod.ENTITY_TYPE_LABELS.get(check.entity_type or "", ""),
                ENTITY_TYPES_EN.get(check.entity_type or "", ""),
            ),
            "city": labels.city(check.city_code) if check.in_jiangsu else None,
            "division_code": check.division_code,
            "in_jiangsu": check.in_jiangsu,
            "registered": report.registered,
            "registered_name": report.name,
        }
    return render_template("public/uscc.html", code=code, result=result, max_length=MAX_CODE_INPUT)


from api.pages import profiles  # noqa: E402,F401  (registers the profile routes on bp)
