"""Which public fields are indexed, and how a row becomes a search document.

Only what the public view shows goes into the index, masked the same way (the index is
public data). Index specs carry a version: a mapping change bumps it and a reindex builds
the new index beside the old one.
"""

from __future__ import annotations

from typing import Any

from credit.enterprises.models import Enterprise
from credit.enterprises.schemas import public_legal_representative
from credit.enterprises.vocab import INDUSTRIES, PLATFORMS
from credit.ratings.models import CurrentRating
from credit.regions import city_name
from search.backend import Document, IndexSpec

ENTERPRISES = IndexSpec(
    name="enterprises",
    text_fields={"name": 3.0, "former_names": 1.5, "shop_names": 2.0},
    keyword_fields=("uscc", "name_exact", "city_code", "industry", "entity_type",
                    "operator_type", "status", "platforms", "grade", "tier"),
    exact_field="name_exact",
    id_field="uscc",
    sort_field="uscc",
    version=2,  # v2: grade, tier and credit score from the ratings
)

#: A document's version combines the row's and its rating's, so either change makes a
#: newer document and a late write of an older pair is skipped (external_gte).
RATING_VERSION_SPAN = 1_000_000


def enterprise_version(enterprise_version: int, rating_version: int) -> int:
    return enterprise_version * RATING_VERSION_SPAN + rating_version

SPECS: dict[str, IndexSpec] = {ENTERPRISES.name: ENTERPRISES}


def enterprise_document(e: Enterprise, rating: CurrentRating | None = None) -> Document:
    """The public search document; ``rating`` is the enterprise's current rating."""
    source: dict[str, Any] = {
        "uscc": e.uscc,
        "name": e.name,
        "name_exact": e.name,
        "former_names": list(e.former_names or []),
        "shop_names": [s.shop_name for s in e.shops],
        "platforms": sorted({s.platform for s in e.shops}),
        "platform_names": sorted({PLATFORMS.get(s.platform, s.platform) for s in e.shops}),
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
        "grade": rating.grade if rating else None,
        "tier": rating.tier if rating else None,
        "credit_score": rating.score if rating else None,
        "rating_model": rating.model_version if rating else None,
    }
    return Document(id=e.id, version=enterprise_version(e.version,
                                                        rating.version if rating else 0),
                    source=source)
