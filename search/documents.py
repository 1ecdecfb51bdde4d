"""Which public fields are indexed, and how rows become search documents.

Only what the public views show goes into the index, masked the same way (the index is
public data): enterprises, pledges while they are the published version, and violations
while they are inside their publicity window. Text fields are indexed folded (``t_*``:
full-width and half-width alike) beside the display values. Index specs carry a version: a
mapping change bumps it and a reindex builds the new index beside the old one.

A document's version is the change-feed position it reflects (the newest event the
indexer had seen when it read the rows), so a late write of an older state never
overwrites a newer one, whichever row or rating changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from credit import publicity
from credit.clock import CHINA
from credit.enterprises.models import Enterprise
from credit.enterprises.schemas import public_legal_representative
from credit.enterprises.vocab import INDUSTRIES, PLATFORMS
from credit.pledges.models import Pledge, PledgeTemplate
from credit.ratings.models import CurrentRating
from credit.regions import city_name, district_name
from credit.violations.models import Violation
from credit.violations.vocab import CATEGORIES, SEVERITIES
from search.backend import Document, IndexSpec, fold
from search.pinyin import spelled

ENTERPRISES = IndexSpec(
    name="enterprises",
    # t_place: where a firm is and what it trades in, in words (city, district, industry
    # name; a query's trade words also match as the industry name: search.variants), so
    # 南京 鼓楼 零食 finds the food firms of 鼓楼区 whatever their names say; weighted least,
    # so a name that says it ranks first.
    text_fields={"t_name": 3.0, "t_former": 1.5, "t_shops": 2.0, "t_place": 0.5},
    keyword_fields=(
        "uscc",
        "name_exact",
        "city_code",
        "district_code",
        "industry",
        "entity_type",
        "operator_type",
        "status",
        "platforms",
        "grade",
        "tier",
        "flags",
        "key_category",
    ),
    exact_field="name_exact",
    prefix_field="name_exact",
    id_field="uscc",
    id_by_start=True,  # a code typed so far (``search.queries``)
    sort_field="uscc",
    score_field="credit_score",
    date_field="registration_date",
    facet_fields=("city_code", "industry", "grade", "tier"),
    # The name in pinyin and its initials (search.pinyin), matched only when a query that
    # found nothing as typed is read as pinyin.
    named_text_fields={"t_pinyin": 1.0, "t_initials": 1.0},
    near_miss_fields=("t_name", "t_former", "t_shops"),
    # v7: t_place holds the industry's name only (trade words are matched when searched);
    # v6: t_place; v5: t_pinyin, t_initials; v4: key_category (重点电子商务企业
    # categories); v3: folded text, flags, score
    version=7,
)

PLEDGES = IndexSpec(
    name="pledges",
    text_fields={"t_enterprise": 2.0, "t_title": 1.0, "t_commitments": 1.0},
    keyword_fields=(
        "id",
        "uscc",
        "enterprise_exact",
        "city_code",
        "industry",
        "template_code",
        "category",
        "compliance",
        "status",
        "grade",
        "tier",
    ),
    exact_field="enterprise_exact",
    id_field="uscc",
    sort_field="id",
    score_field="credit_score",
    date_field="published_on",
    near_miss_fields=("t_enterprise", "t_title"),
    facet_fields=("city_code", "industry", "grade", "tier", "category"),
)

VIOLATIONS = IndexSpec(
    name="violations",
    text_fields={
        "t_enterprise": 2.0,
        "t_decision": 1.5,
        "t_facts": 1.0,
        "t_basis": 0.5,
        "t_authority": 1.0,
    },
    keyword_fields=(
        "id",
        "uscc",
        "enterprise_exact",
        "decision_exact",
        "city_code",
        "industry",
        "category",
        "severity",
        "status",
        "authority",
        "grade",
    ),
    exact_field="decision_exact",
    id_field="uscc",
    sort_field="id",
    score_field="credit_score",
    date_field="decision_date",
    near_miss_fields=("t_enterprise",),
    facet_fields=("city_code", "industry", "grade", "severity", "category"),
    version=2,  # v2: a record's severity (was "tier", a word the rating tier keeps)
)

SPECS: dict[str, IndexSpec] = {s.name: s for s in (ENTERPRISES, PLEDGES, VIOLATIONS)}


#: The flags that warn a reader, in words (Chinese, English), most serious first: results,
#: suggestions and the profile say them so, never as a bare code or a colour.
WARNING_FLAGS: dict[str, tuple[str, str]] = {
    "serious_list": ("列入严重失信主体名单", "on the serious-dishonesty list"),
    "serious_violation": (
        "有公示中的严重违法失信信息",
        "has a serious violation in publicity",
    ),
}


def warnings_of(flags: list[str] | None) -> list[tuple[str, str]]:
    """The warnings a document's flags carry, in words, most serious first."""
    present = set(flags or ())
    return [words for flag, words in WARNING_FLAGS.items() if flag in present]


@dataclass
class EnterpriseStats:
    """Counts and flags of an enterprise's public records, for its document."""

    published_pledges: int = 0
    active_violations: int = 0
    #: serious_list, serious_violation, under_objection, commended (FLAG_WORDS names them)
    flags: list[str] = field(default_factory=list)
    #: Key-enterprise categories the firm is listed in today (credit/keyfirms).
    key_categories: list[str] = field(default_factory=list)


class RatingFields(NamedTuple):
    """What a document shows of a firm's current rating, read as a row: a rebuild reads
    a rating for each of millions of documents, and a rating object cost as much as
    building the document around it."""

    grade: str
    tier: str
    score: int
    model_version: str


#: What ``sa.select(*RATING_COLUMNS)`` reads into a :class:`RatingFields`.
RATING_COLUMNS = tuple(getattr(CurrentRating, name) for name in RatingFields._fields)


class FirmRow(NamedTuple):
    """The columns of a firm that documents show, read as a row (the same reason as
    :class:`RatingFields`: a firm object cost more than its document). Its fields are
    ``Enterprise``'s attributes of the same names (``FIRM_COLUMNS``)."""

    id: str
    uscc: str
    name: str
    former_names: list
    entity_type: str
    operator_type: str
    city_code: str
    district_code: str | None
    industry: str
    registration_date: date | None
    status: str
    legal_representative: str | None
    legal_representative_kind: str


#: What ``sa.select(*FIRM_COLUMNS)`` reads into a :class:`FirmRow`.
FIRM_COLUMNS = tuple(getattr(Enterprise, name) for name in FirmRow._fields)

#: A current rating as an object or as the row of the fields a document shows.
Rating = CurrentRating | RatingFields
#: A firm as an object or as the row of the fields a record's document shows.
Firm = Enterprise | FirmRow


def _rating_fields(rating: Rating | None) -> dict[str, Any]:
    return {
        "grade": rating.grade if rating else None,
        "tier": rating.tier if rating else None,
        "credit_score": rating.score if rating else None,
    }


def _as_said(e: Firm) -> str:
    """The name as people say it: without the 市 after its city and without its district
    (宿迁市沭阳县顺俊… -> 宿迁顺俊…), for the pinyin fields (a query in pinyin names the
    city and the trade name)."""
    name = fold(e.name)
    city = city_name(e.city_code) or ""
    if city and name.startswith(city):
        name = city[:-1] + name[len(city) :]
    district = district_name(e.district_code) or ""
    short = city[:-1]
    if district and short and name.startswith(short + district):
        name = short + name[len(short) + len(district) :]
    return name


def enterprise_document(
    e: Firm,
    rating: Rating | None = None,
    stats: EnterpriseStats | None = None,
    version: int = 1,
    shops: list[tuple[str, str]] | None = None,
) -> Document:
    """The public search document of an enterprise, with its rating and record counts.
    ``shops``: its (shop name, platform) pairs in their order, when the caller read them
    in bulk (a rebuild: a third of an enterprise document's cost was loading shop objects);
    always given with a :class:`FirmRow`, which has no shops."""
    stats = stats or EnterpriseStats()
    if shops is None:
        shops = [(s.shop_name, s.platform) for s in e.shops]
    names = [name for name, _ in shops]
    pinyin = [spelled(n) for n in dict.fromkeys([fold(e.name), _as_said(e)])]
    source: dict[str, Any] = {
        "uscc": e.uscc,
        "name": e.name,
        "name_exact": fold(e.name),
        "former_names": list(e.former_names or []),
        "shop_names": names,
        "t_name": fold(e.name),
        "t_former": [fold(n) for n in e.former_names or []],
        "t_shops": [fold(n) for n in names],
        "t_pinyin": [p[0] for p in pinyin],
        "t_initials": [p[1] for p in pinyin],
        "t_place": _place_words(e),
        "platforms": sorted({p for _, p in shops}),
        "platform_names": sorted({PLATFORMS.get(p, p) for _, p in shops}),
        "city_code": e.city_code,
        "city_name": city_name(e.city_code),
        "district_code": e.district_code,
        "industry": e.industry,
        "industry_name": INDUSTRIES[e.industry][0],
        "entity_type": e.entity_type,
        "operator_type": e.operator_type,
        "status": e.status,
        "legal_representative": public_legal_representative(e),
        "registration_date": e.registration_date.isoformat() if e.registration_date else None,
        **_rating_fields(rating),
        "rating_model": rating.model_version if rating else None,
        "published_pledges": stats.published_pledges,
        "active_violations": stats.active_violations,
        "flags": sorted(stats.flags),
        "key_category": sorted(stats.key_categories),
    }
    return Document(id=e.id, version=version, source=source)


def _place_words(e: Firm) -> list[str]:
    """Where a firm is and what it trades in: its city, district and industry, by name."""
    words = [city_name(e.city_code), district_name(e.district_code), INDUSTRIES[e.industry][0]]
    return [w for w in words if w]


def is_indexed_pledge(p: Pledge) -> bool:
    """The published version of a series (expired ones too: they show kept or breached)."""
    return p.status == "published"


def pledge_document(
    p: Pledge,
    rating: Rating | None,
    today: date,
    version: int,
    e: Firm | None = None,
    template: PledgeTemplate | None = None,
    breached: list[str] | None = None,
) -> Document:
    """``e``, ``template`` and ``breached`` (``Pledge.breached_clauses``): the pledge's,
    when the caller loaded them in bulk."""
    e = e or p.enterprise
    template = template or p.template
    breached = p.breached_clauses() if breached is None else breached
    commitments = list(p.extra_commitments or [])
    source: dict[str, Any] = {
        "id": p.id,
        "uscc": e.uscc,
        "enterprise_name": e.name,
        "enterprise_exact": fold(e.name),
        "t_enterprise": fold(e.name),
        "t_title": fold(template.title),
        "t_commitments": [fold(c) for c in commitments],
        "city_code": e.city_code,
        "city_name": city_name(e.city_code),
        "industry": e.industry,
        "industry_name": INDUSTRIES[e.industry][0],
        "template_code": template.code,
        "title": template.title,
        "category": template.type,
        "extra_commitments": commitments,
        "clauses": list(p.clauses),
        "breached_clauses": breached,
        "compliance": "breached" if breached else "kept",
        "status": p.public_status(today),
        "valid_from": p.valid_from.isoformat(),
        "valid_until": p.valid_until.isoformat(),
        "published_on": (
            p.published_at.astimezone(CHINA).date().isoformat() if p.published_at else None
        ),
        **_rating_fields(rating),
    }
    return Document(id=p.id, version=version, source=source)


def violation_document(
    v: Violation,
    rating: Rating | None,
    today: date,
    version: int,
    e: Firm | None = None,
    authority: str | None = None,
    corrected: bool | None = None,
) -> Document:
    """``e``, ``authority`` (its name) and ``corrected`` (whether it has corrections):
    the record's, when loaded in bulk."""
    e = e or v.enterprise
    authority = authority or v.authority.name
    source: dict[str, Any] = {
        "id": v.id,
        "uscc": e.uscc,
        "enterprise_name": e.name,
        "enterprise_exact": fold(e.name),
        "t_enterprise": fold(e.name),
        "decision_number": v.decision_number,
        "decision_exact": fold(v.decision_number),
        "t_decision": fold(v.decision_number),
        "t_facts": fold(v.facts),
        "t_basis": fold(v.legal_basis),
        "t_authority": fold(authority),
        "facts": v.facts,
        "legal_basis": v.legal_basis,
        "authority": authority,
        "city_code": e.city_code,
        "city_name": city_name(e.city_code),
        "industry": e.industry,
        "industry_name": INDUSTRIES[e.industry][0],
        "category": v.category,
        "category_name": CATEGORIES[v.category][0],
        "severity": v.severity,
        "severity_name": SEVERITIES[v.severity][0],
        "penalty_type": v.penalty_type,
        "penalty_amount": str(v.penalty_amount) if v.penalty_amount is not None else None,
        "decision_date": v.decision_date.isoformat(),
        "publish_until": v.publish_until.isoformat(),
        "status": publicity.public_status(v, today, corrected),
        "grade": rating.grade if rating else None,
        "credit_score": rating.score if rating else None,
    }
    return Document(id=v.id, version=version, source=source)
