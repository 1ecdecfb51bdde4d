"""The public profile of an enterprise, and credit reports: issued, stored, verified.

``build_profile`` assembles, from the same service functions the REST API calls, what the
public may see of one enterprise (registry data with natural persons masked, the rating
with its reasons, its history, published pledges, violations inside their publicity
window, the serious list and commendations) as plain JSON-ready data. The profile page
renders it; a credit report stores it as a snapshot, so a report can later be verified and
compared with the record as it stands.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from credit import clock, publicity, weblinks
from credit import uscc as uscc_mod
from credit.enterprises import service as enterprises
from credit.enterprises.schemas import public_business_contact, public_legal_representative
from credit.enterprises.vocab import INDUSTRIES, OPERATOR_TYPES, PLATFORMS, STATUSES
from credit.errors import NotFound
from credit.extensions import db
from credit.identity import Identity
from credit.masking import mask_person_name
from credit.permissions import can_read_public, require
from credit.pledges import service as pledges
from credit.pledges.vocab import PLEDGE_TYPES, STATUS_LABELS
from credit.ratings import service as ratings
from credit.ratings.catalog import catalog
from credit.reports import logproof
from credit.reports.models import CreditReport
from credit.translog import service as translog
from credit.translog.notes import Verifier
from credit.uow import UnitOfWork
from credit.violations import registry
from credit.violations import service as violations
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES
from credit.violations.vocab import STATUSES as VIOLATION_STATUSES

#: Ratings shown in the history chart (the newest ones).
HISTORY_POINTS = 24
#: Reasons shown on each side of the grade.
TOP_REASONS = 5
#: Pledge states shown on a profile (older versions of an amended pledge are not).
SHOWN_PLEDGE_STATES = ("published", "expired", "withdrawn")
#: At most this many pledges and violations are listed (newest first); the counts are all.
MAX_LISTED = 50
REPORT_NO = re.compile(r"^JSCR\d{8}[0-9A-F]{12}$")

ENTITY_TYPES_EN = {
    "enterprise": "enterprise",
    "individual_business": "individual business",
    "farmer_cooperative": "farmer cooperative",
    "other": "other organisation",
}


def _words(view: Any) -> Any:
    """The model version the rating was made under: its words for grades and tiers."""
    return catalog().get(view.model_version)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _pair(table: dict, key: str | None) -> list[str]:
    value = table.get(key or "", (key or "", key or ""))
    return [value[0], value[1]]


def _enterprise(ent: Any) -> dict[str, Any]:
    return {
        "uscc": ent.uscc,
        "name": ent.name,
        "former_names": list(ent.former_names or []),
        "entity_type": [
            uscc_mod.ENTITY_TYPE_LABELS.get(ent.entity_type, ent.entity_type),
            ENTITY_TYPES_EN.get(ent.entity_type, ent.entity_type),
        ],
        "operator_type": _pair(OPERATOR_TYPES, ent.operator_type),
        "city_code": ent.city_code,
        "district_code": ent.district_code,
        "industry": ent.industry,
        "industry_label": _pair(INDUSTRIES, ent.industry),
        "registration_date": _iso(ent.registration_date),
        "status": ent.status,
        "status_label": _pair(STATUSES, ent.status),
        "legal_representative": public_legal_representative(ent),
        "shops": [_shop(s) for s in ent.shops],
        "business_contact": _business_contact(ent),
    }


def _shop(s: Any) -> dict[str, Any]:
    """A shop with its link only if the link passes the publishing rule (credit.weblinks),
    and the host it goes to, in ASCII and as people read it."""
    try:
        link = weblinks.check_shop_url(s.url) if s.url else None
    except weblinks.LinkError:
        link = None
    return {
        "platform": s.platform,
        "platform_name": PLATFORMS.get(s.platform, s.platform),
        "shop_name": s.shop_name,
        "url": link.url if link else None,
        "host": link.host if link else None,
        "host_unicode": link.host_unicode if link else None,
    }


def _business_contact(ent: Any) -> dict[str, Any] | None:
    """The business contact, only while the firm has marked it public."""
    contact = public_business_contact(ent)
    if contact is None:
        return None
    return {"phone": contact.phone, "email": contact.email, "address": contact.address}


def _factor(f: dict[str, Any]) -> dict[str, Any]:
    return {"code": f["code"], "points": f["points"], "text": [f["text"], f["text_en"]]}


def _rating(view: Any) -> dict[str, Any]:
    return {
        "grade": view.grade,
        "tier": view.tier,
        "tier_label": list(_words(view).tier_words[view.tier]),
        "grade_label": list(_words(view).grade_words[view.grade]),
        "score": view.score,
        "model_version": view.model_version,
        "as_of": _iso(view.as_of),
        "next_change": _iso(view.next_change),
        "hard_rules": list(view.hard_rules),
        "caps": [
            {
                "code": c["code"],
                "binding": c["binding"],
                "until": _iso(c["until"]),
                "text": [c["text"], c["text_en"]],
                "lift": [c["lift"], c["lift_en"]],
            }
            for c in view.caps
        ],
        "raised": [_factor(f) for f in view.raised[:TOP_REASONS]],
        "lowered": [_factor(f) for f in view.lowered[:TOP_REASONS]],
        "families": [
            {"family": f["family"], "label": [f["label"], f["label_en"]], "points": f["points"]}
            for f in view.families
        ],
    }


def _pledge(p: Any, today: date) -> dict[str, Any]:
    breached = set(p.breached_clauses())
    texts = {c["code"]: c for c in p.template.clauses}
    return {
        "id": p.id,
        "title": [p.template.title, p.template.title_en],
        "type": _pair(PLEDGE_TYPES, p.template.type),
        "status": p.public_status(today),
        "status_label": _pair(STATUS_LABELS, p.public_status(today)),
        "compliance": "breached" if breached else "kept",
        "valid_from": _iso(p.valid_from),
        "valid_until": _iso(p.valid_until),
        "published_on": _iso(p.published_at.astimezone(clock.CHINA).date())
        if p.published_at
        else None,
        "signer": f"{mask_person_name(p.signer_name)}（{p.signer_title}）",
        "clauses": [
            {
                "code": code,
                "text": [
                    texts.get(code, {}).get("text", code),
                    texts.get(code, {}).get("text_en", code),
                ],
                "breached": code in breached,
            }
            for code in p.clauses
        ],
        "extra_commitments": list(p.extra_commitments or []),
    }


def _violation(v: Any, today: date) -> dict[str, Any]:
    status = publicity.public_status(v, today)
    return {
        "id": v.id,
        "category": v.category,
        "category_label": _pair(CATEGORIES, v.category),
        "severity": v.severity,
        "severity_label": _pair(SEVERITIES, v.severity),
        "authority": v.authority.name,
        "decision_number": v.decision_number,
        "decision_date": _iso(v.decision_date),
        "publish_until": _iso(v.publish_until),
        "repairable_from": _iso(v.repairable_from),
        "repairable": not v.repair_excluded,
        "regime": v.regime,
        "published_on": _iso(v.published_on),
        "publish_minor": v.publish_minor,
        "legal_basis": v.legal_basis,
        "facts": v.facts,
        "penalty": _pair(PENALTY_TYPES, v.penalty_type),
        "penalty_amount": str(v.penalty_amount) if v.penalty_amount is not None else None,
        "status": status,
        "status_label": _pair(VIOLATION_STATUSES, status),
        "corrected": bool(v.corrections),
    }


def build_profile(identity: Identity, code: str) -> dict[str, Any]:
    """Everything the caller may see of one enterprise, as plain data (newest first)."""
    require(can_read_public(identity))
    today = clock.today()
    ent = enterprises.get_enterprise(identity, code)
    rating = ratings.get_rating(identity, ent.uscc, with_log_index=False)
    trend = ratings.rating_trend(identity, ent.uscc, HISTORY_POINTS)
    shown = [
        p
        for p in pledges.list_enterprise_pledges(identity, ent.uscc)
        if p.public_status(today) in SHOWN_PLEDGE_STATES
    ]
    records = [
        v
        for v in violations.list_enterprise_violations(identity, ent.uscc)
        if publicity.is_public(v, today)
    ]
    standing = registry.enterprise_standing(identity, ent.uscc, with_seal=False)
    listed = [
        {
            "id": s.id,
            "authority": s.authority.name,
            "legal_basis": s.legal_basis,
            "reason": s.reason,
            "listed_on": _iso(s.listed_on),
            "remove_on": _iso(s.remove_on),
        }
        for s in standing["serious_list"]
    ]
    ends = [v.publish_until for v in records] + [s.remove_on for s in standing["serious_list"]]
    profile = {
        "enterprise": _enterprise(ent),
        "rating": _rating(rating),
        "history": [
            {
                "as_of": _iso(r.as_of),
                "score": r.score,
                "grade": r.grade,
                "tier": r.tier,
                "model_version": r.model_version,
            }
            for r in trend
        ],
        "pledges": [_pledge(p, today) for p in shown[:MAX_LISTED]],
        "pledges_total": len(shown),
        "violations": [_violation(v, today) for v in records[:MAX_LISTED]],
        "violations_total": len(records),
        "serious_list": listed,
        #: public serious records (all of them, not only the listed ones): the profile's top
        "serious_violations": sum(1 for v in records if v.severity == "serious"),
        "commendations": [
            {
                "id": c.id,
                "title": c.title,
                "authority": c.authority.name,
                "legal_basis": c.legal_basis,
                "granted_on": _iso(c.granted_on),
                "valid_until": _iso(c.valid_until),
            }
            for c in standing["commendations"]
        ],
        "negative_until": _iso(max(ends)) if ends else None,
    }
    # The rating is logged under its firm's id; a replay (not rated yet) has no entry.
    rated = [{"id": ent.id}] if rating.stored else []
    translog.attach_log_indexes_to_lists(
        db.session, [("rating", rated), *((kind, profile[key]) for kind, key in LOGGED_LISTS)]
    )
    profile["rating"]["log_index"] = rated[0]["log_index"] if rated else None
    return profile


#: The profile's lists of records, each with the kind the public log names them by.
LOGGED_LISTS = (
    ("violation", "violations"),
    ("pledge", "pledges"),
    ("serious_list", "serious_list"),
    ("commendation", "commendations"),
)


def without_log_indexes(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` without the ``log_index`` of its records and rating: a report's snapshot
    and digest cover the record, not where the log holds it (an index appears when the
    log's consumer has run), and reports issued before the log had none."""
    out = {**profile, "rating": _drop_index(profile["rating"])}
    for _, key in LOGGED_LISTS:
        out[key] = [_drop_index(item) for item in profile.get(key, [])]
    return out


def _drop_index(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "log_index"}


# -- reports ---------------------------------------------------------------------------
def digest_of(snapshot: dict[str, Any]) -> str:
    blob = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def issue_report(identity: Identity, uow: UnitOfWork, code: str) -> CreditReport:
    """A credit report of the public record now, with the public-log proof of what it shows
    (``credit.reports.logproof``). Idempotent: the same content on the same day is the same
    report number (and row), also when two requests issue it at once (the insert skips an
    existing number instead of failing on it); asked again once a newer checkpoint covers
    records its proof could not prove yet, the row's proof is completed."""
    require(can_read_public(identity))
    shown = build_profile(identity, code)
    profile = without_log_indexes(shown)
    digest = digest_of(profile)
    today = clock.today()
    number = f"JSCR{today:%Y%m%d}{digest[:12].upper()}"
    ent = enterprises.get_enterprise(identity, code)  # found once already by the profile
    existing = uow.session.get(CreditReport, number)
    if existing is not None:
        if logproof.pending(existing.log_proof):
            proof = logproof.build(uow.session, logproof.logged_items(shown, ent.id))
            if existing.log_proof is None or logproof.proven(proof) > logproof.proven(
                existing.log_proof
            ):
                existing.log_proof = proof
        return existing
    row = {
        "report_no": number,
        "enterprise_id": ent.id,
        "uscc": profile["enterprise"]["uscc"],
        "issued_on": today,
        "issued_at": clock.now(),
        "model_version": profile["rating"]["model_version"],
        "grade": profile["rating"]["grade"],
        "score": profile["rating"]["score"],
        "content_digest": digest,
        "snapshot": profile,
        "log_proof": logproof.build(uow.session, logproof.logged_items(shown, ent.id)),
    }
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    uow.session.execute(
        insert(CreditReport).values(**row).on_conflict_do_nothing(index_elements=["report_no"])
    )
    return uow.session.get(CreditReport, number, populate_existing=True)


def get_report(identity: Identity, report_no: str) -> CreditReport:
    require(can_read_public(identity))
    number = report_no.strip().upper()
    report = db.session.get(CreditReport, number) if REPORT_NO.match(number) else None
    if report is None:
        raise NotFound(f"未找到编号为 {report_no[:40]} 的信用报告")
    return report


def _records(profile: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, key in (
        ("violation", "violations"),
        ("pledge", "pledges"),
        ("commendation", "commendations"),
        ("serious_list", "serious_list"),
    ):
        for item in profile.get(key, []):
            out[(kind, item["id"])] = item
    return out


def _describe(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    if kind == "violation":
        category = item["category_label"]
        severity = item.get("severity_label") or item["tier_label"]  # a snapshot before 0013
        text = [
            f"{item['decision_number']}（{category[0]}，{severity[0]}）",
            f"{item['decision_number']} ({category[1]}, {severity[1]})",
        ]
    elif kind == "pledge":
        text = item["title"]
    elif kind == "commendation":
        text = [item["title"], item["title"]]
    else:
        text = ["严重失信主体名单", "serious dishonesty list"]
    kinds = {
        "violation": ["违法失信信息", "violation"],
        "pledge": ["信用承诺", "pledge"],
        "commendation": ["表彰", "commendation"],
        "serious_list": ["严重失信主体名单", "serious list"],
    }
    return {"kind": kind, "kind_label": kinds[kind], "id": item["id"], "text": text}


#: Keys of a profile's violation rows renamed since reports were first issued: a report's
#: snapshot keeps the names it was issued with (its digest covers them).
_RENAMED_VIOLATION_KEYS = {"severity": "tier", "severity_label": "tier_label"}


def _as_issued_before_rename(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` with its violation rows under their names before migration 0013, so a
    report issued then still reads as unchanged when the record is the same."""
    rows = [
        {_RENAMED_VIOLATION_KEYS.get(k, k): v for k, v in row.items()}
        for row in profile.get("violations", [])
    ]
    return {**profile, "violations": rows}


def _as_issued_before_caps(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` without the caps in words its rating carries since issue 17, so a report
    issued before still reads as unchanged when nothing else changed."""
    rating = profile.get("rating")
    if not isinstance(rating, dict) or "caps" not in rating:
        return profile
    return {**profile, "rating": {k: v for k, v in rating.items() if k != "caps"}}


_SHOP_KEYS_SINCE_ISSUE_17 = ("host", "host_unicode", "platform_name_en")


def _as_issued_before_shop_links(profile: dict[str, Any]) -> dict[str, Any]:
    """``profile`` as reports were issued before migration 0016 (issue 17): shops without
    their host and English platform name, and no ``business_contact`` key while the firm
    publishes none, so a report issued then still reads as unchanged when the record is the
    same."""
    ent = dict(profile["enterprise"])
    if ent.get("business_contact") is None:
        ent.pop("business_contact", None)
    ent["shops"] = [
        {k: v for k, v in shop.items() if k not in _SHOP_KEYS_SINCE_ISSUE_17}
        for shop in ent.get("shops", [])
    ]
    return {**profile, "enterprise": ent}


#: How the snapshot a report keeps changed shape: each function turns a profile into the
#: shape reports had before one change. A report issued in any earlier era still reads as
#: unchanged while the record is the same: its digest is one of the current profile's with
#: any of these applied (eight digests at most, computed only on verification).
_EARLIER_SHAPES = (_as_issued_before_caps, _as_issued_before_shop_links, _as_issued_before_rename)


def _unchanged(report: CreditReport, current: dict[str, Any]) -> bool:
    shapes = [current]
    for earlier in _EARLIER_SHAPES:
        shapes += [earlier(shape) for shape in shapes]
    return report.content_digest in {digest_of(shape) for shape in shapes}


def verify_report(
    identity: Identity, report_no: str, log_keys: Sequence[Verifier] = ()
) -> dict[str, Any]:
    """Is this report genuine (issued here, snapshot intact), what has changed since, and
    does its public-log proof verify with ``log_keys`` (the log's verifier keys)."""
    report = get_report(identity, report_no)
    genuine = digest_of(report.snapshot) == report.content_digest
    current = without_log_indexes(build_profile(identity, report.uscc))
    then, now = _records(report.snapshot), _records(current)
    added = [_describe(k, now[(k, i)]) for k, i in now if (k, i) not in then]
    ended = [_describe(k, then[(k, i)]) for k, i in then if (k, i) not in now]
    changed = [
        _describe(k, now[(k, i)])
        for k, i in now
        if (k, i) in then and then[(k, i)].get("status") != now[(k, i)].get("status")
    ]
    was, is_ = report.snapshot["rating"], current["rating"]
    return {
        "report": report,
        "genuine": genuine,
        "current": current,
        "unchanged": _unchanged(report, current),
        "grade_then": was["grade"],
        "score_then": was["score"],
        "tier_then": was["tier"],
        "grade_now": is_["grade"],
        "score_now": is_["score"],
        "tier_now": is_["tier"],
        "added": added,
        "ended": ended,
        "changed": changed,
        "log": logproof.check(db.session, report.log_proof, log_keys),
    }
