"""What a record says publicly now, as a log event: its kind and id, the event type its state
stands for, the public content the entry commits to, and whether that content may be
served now.

Event types are ``<kind>.<state>``:

- ``pledge.published``, ``.expired``, ``.withdrawn``, ``.superseded`` (a version of a
  pledge as its public state reads: ``expired`` from the dates);
- ``violation.published``, ``.under_objection``, ``.corrected`` while shown, then
  ``.window_ended``, ``.repaired`` or ``.revoked`` when it leaves view (logged only for a
  record that had been logged as shown);
- ``objection.upheld|rejected|closed`` and ``repair.approved|rejected|closed`` (decisions);
- ``serious_list.entered`` (in force) and ``serious_list.left``;
- ``commendation.granted``;
- ``rating.changed`` (grade, score, tier, model version and inputs digest of a firm's
  latest rating; the record id is the firm's internal id).

Content is the substance the public pages show, in fields that do not depend on the day
they are read (so that ``credit log verify`` can compare a record with what was logged)
and never a natural person's name unmasked (the signer of a pledge is masked as on the
pages; objection reasons and repair statements are left out). A record that leaves view
commits to nothing but its id and state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import publicity
from credit.enterprises.models import Enterprise
from credit.masking import mask_person_name
from credit.pledges.models import Pledge
from credit.ratings.models import RatingRecord
from credit.violations.models import (
    Commendation,
    Objection,
    RepairApplication,
    SeriousListEntry,
    Violation,
)

#: Entity types of the change feed the log follows.
WATCHED = frozenset(
    {"pledge", "violation", "objection", "repair", "serious_list", "commendation", "rating"}
)
#: Public states of a pledge (as the profile shows them).
SHOWN_PLEDGE_STATES = frozenset({"published", "expired", "withdrawn"})
#: Event types after which the record is out of public view for good: its content and
#: salt are deleted from the log (``credit.translog.appender``).
LEAVING = frozenset(
    {
        "pledge.superseded",
        "violation.window_ended",
        "violation.repaired",
        "violation.revoked",
        "serious_list.left",
    }
)
#: Event types that time alone brings (a sweep records them within its interval), so a
#: record read in that state before the sweep ran is "pending", not edited.
TIME_DRIVEN = frozenset(
    {
        "pledge.expired",
        "violation.published",
        "violation.window_ended",
        "serious_list.entered",
        "serious_list.left",
    }
)
_VIOLATION_LEFT = {"ended": "window_ended", "repaired": "repaired", "revoked": "revoked"}


@dataclass(frozen=True)
class Fact:
    kind: str
    record_id: str
    event_type: str
    content: dict[str, Any]
    #: The record is shown now: its latest entry's content and salt may be served.
    public: bool


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def pledge_fact(p: Pledge, today: date) -> Fact | None:
    status = p.public_status(today)
    if status == "draft" or p.published_at is None:
        return None
    kind = f"pledge.{status}"
    if kind in LEAVING:
        return Fact("pledge", p.id, kind, {"id": p.id, "status": status}, False)
    content = {
        "id": p.id,
        "uscc": p.enterprise.uscc,
        "series_id": p.series_id,
        "series_version": p.series_version,
        "template_id": p.template_id,
        "clauses": list(p.clauses),
        "extra_commitments": list(p.extra_commitments or []),
        "breached_clauses": sorted(p.breached_clauses()),
        "valid_from": _iso(p.valid_from),
        "valid_until": _iso(p.valid_until),
        "published_at": p.published_at.isoformat(),
        "signer": f"{mask_person_name(p.signer_name)}（{p.signer_title}）",
        "status": status,
    }
    return Fact("pledge", p.id, kind, content, status in SHOWN_PLEDGE_STATES)


def violation_fact(v: Violation, today: date) -> Fact | None:
    status = publicity.public_status(v, today)
    if status in _VIOLATION_LEFT:
        state = _VIOLATION_LEFT[status]
        return Fact("violation", v.id, f"violation.{state}", {"id": v.id, "status": state}, False)
    if status not in publicity.PUBLIC_STATES:
        return None
    content = {
        "id": v.id,
        "uscc": v.enterprise.uscc,
        "authority": v.authority.name,
        "decision_number": v.decision_number,
        "decision_date": _iso(v.decision_date),
        "category": v.category,
        "severity": v.severity,
        "legal_basis": v.legal_basis,
        "facts": v.facts,
        "penalty_type": v.penalty_type,
        "penalty_amount": str(v.penalty_amount) if v.penalty_amount is not None else None,
        "published_on": _iso(v.published_on),
        "public_from": _iso(v.public_from),
        "publish_until": _iso(v.publish_until),
        "repairable_from": _iso(v.repairable_from),
        "corrections": len(v.corrections),
        "status": status,
    }
    return Fact("violation", v.id, f"violation.{status}", content, True)


def _decision_fact(kind: str, case: Objection | RepairApplication, today: date) -> Fact | None:
    if case.status == "pending":
        return None
    content = {
        "id": case.id,
        "violation_id": case.violation_id,
        "decision": case.status,
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
    }
    shown = publicity.is_public(case.violation, today)
    return Fact(kind, case.id, f"{kind}.{case.status}", content, shown)


def serious_fact(entry: SeriousListEntry, today: date) -> Fact | None:
    if entry.listed_on > today:
        return None
    if entry.removed_at is not None or entry.remove_on <= today:
        content = {"id": entry.id, "status": "left"}
        return Fact("serious_list", entry.id, "serious_list.left", content, False)
    content = {
        "id": entry.id,
        "uscc": entry.enterprise.uscc,
        "authority": entry.authority.name,
        "legal_basis": entry.legal_basis,
        "reason": entry.reason,
        "violation_id": entry.violation_id,
        "listed_on": _iso(entry.listed_on),
        "remove_on": _iso(entry.remove_on),
        "status": "entered",
    }
    return Fact("serious_list", entry.id, "serious_list.entered", content, True)


def commendation_fact(c: Commendation, today: date) -> Fact:
    content = {
        "id": c.id,
        "uscc": c.enterprise.uscc,
        "title": c.title,
        "authority": c.authority.name,
        "legal_basis": c.legal_basis,
        "granted_on": _iso(c.granted_on),
        "valid_until": _iso(c.valid_until),
    }
    shown = c.granted_on <= today <= c.valid_until
    return Fact("commendation", c.id, "commendation.granted", content, shown)


def rating_facts(session: Session, enterprise_ids: Iterable[str]) -> dict[str, Fact]:
    """The latest rating of each firm (one query for the lot: a rescore changes many)."""
    ids = sorted(set(enterprise_ids))
    out: dict[str, Fact] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        latest = (
            sa.select(sa.func.max(RatingRecord.id))
            .where(RatingRecord.enterprise_id.in_(chunk))
            .group_by(RatingRecord.enterprise_id)
        )
        rows = session.execute(
            sa.select(
                RatingRecord.enterprise_id,
                Enterprise.uscc,
                RatingRecord.grade,
                RatingRecord.score,
                RatingRecord.tier,
                RatingRecord.model_version,
                RatingRecord.inputs_digest,
                RatingRecord.as_of,
            )
            .join(Enterprise, Enterprise.id == RatingRecord.enterprise_id)
            .where(RatingRecord.id.in_(latest))
        )
        for eid, uscc, grade, score, tier, model, inputs, as_of in rows:
            content = {
                "uscc": uscc,
                "grade": grade,
                "score": score,
                "tier": tier,
                "model_version": model,
                "inputs_digest": inputs,
                "as_of": as_of.isoformat(),
            }
            out[eid] = Fact("rating", eid, "rating.changed", content, True)
    return out


def fact_of(session: Session, kind: str, record_id: str, today: date) -> Fact | None:
    """The fact one record stands for now (None: nothing public to log)."""
    if kind == "pledge":
        pledge = session.get(Pledge, record_id)
        return pledge_fact(pledge, today) if pledge else None
    if kind == "violation":
        v = session.get(Violation, record_id)
        return violation_fact(v, today) if v else None
    if kind == "objection":
        objection = session.get(Objection, record_id)
        return _decision_fact(kind, objection, today) if objection else None
    if kind == "repair":
        application = session.get(RepairApplication, record_id)
        return _decision_fact(kind, application, today) if application else None
    if kind == "serious_list":
        entry = session.get(SeriousListEntry, record_id)
        return serious_fact(entry, today) if entry else None
    if kind == "commendation":
        item = session.get(Commendation, record_id)
        return commendation_fact(item, today) if item else None
    if kind == "rating":
        return rating_facts(session, [record_id]).get(record_id)
    return None


def related_to_violation(session: Session, violation_id: str) -> list[tuple[str, str]]:
    """The decisions logged about a record, which leave view with it."""
    out = [
        ("objection", i)
        for i in session.scalars(
            sa.select(Objection.id).where(Objection.violation_id == violation_id)
        )
    ]
    out += [
        ("repair", i)
        for i in session.scalars(
            sa.select(RepairApplication.id).where(RepairApplication.violation_id == violation_id)
        )
    ]
    return out
