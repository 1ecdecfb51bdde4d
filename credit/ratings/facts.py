"""Build ``credit.scoring`` facts from the database, in bulk.

One query per table for a whole batch of enterprises (a list of ids, or a range of ids for
a full rescore), read as plain driver rows: a million enterprises are rated in passes of a
few thousand without ORM objects. The statements are built with SQLAlchemy and run without
its result processing (four times faster on SQLite); the few conversions needed are made
here, for both databases.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.clock import CHINA
from credit.enterprises.models import Enterprise, Shop
from credit.pledges.models import Pledge, PledgeBreach, PledgeTemplate
from credit.scoring.facts import (
    BreachFact,
    CommendationFact,
    EnterpriseFacts,
    PledgeFact,
    SeriousListFact,
    ViolationFact,
)
from credit.violations.models import (
    Commendation,
    RepairApplication,
    SeriousListEntry,
    Violation,
)


class Selection:
    """Which enterprises: explicit ids, or the id range ``(after, upto]``."""

    def __init__(
        self, ids: Sequence[str] | None = None, after: str | None = None, upto: str | None = None
    ):
        self.ids = list(ids) if ids is not None else None
        self.after, self.upto = after, upto

    def where(self, column: sa.ColumnElement) -> sa.ColumnElement:
        if self.ids is not None:
            return column.in_(self.ids)
        clauses = []
        if self.after is not None:
            clauses.append(column > self.after)
        if self.upto is not None:
            clauses.append(column <= self.upto)
        return sa.and_(sa.true(), *clauses)

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        """Which bounds the selection has: statements of one shape differ only in values."""
        return (self.ids is not None, self.after is not None, self.upto is not None)

    def params(self) -> dict[str, Any]:
        """The values of :func:`bound_where`'s parameters."""
        if self.ids is not None:
            return {"sel_ids": self.ids}
        return {"sel_after": self.after, "sel_upto": self.upto}


def bound_where(shape: tuple[bool, bool, bool], column: sa.ColumnElement) -> sa.ColumnElement:
    """:meth:`Selection.where` with the values as parameters (see ``Selection.params``), so
    a statement built once serves every selection of its shape."""
    by_ids, after, upto = shape
    if by_ids:
        return column.in_(sa.bindparam("sel_ids", expanding=True))
    clauses = []
    if after:
        clauses.append(column > sa.bindparam("sel_after"))
    if upto:
        clauses.append(column <= sa.bindparam("sel_upto"))
    return sa.and_(sa.true(), *clauses)


_CST = timedelta(hours=8)


def _day(value: Any) -> date | None:
    """A stored UTC instant as its date in China (text on SQLite, aware on PostgreSQL)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (datetime.fromisoformat(value) + _CST).date()  # naive UTC text
    return value.astimezone(CHINA).date()


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _public_from(public_from: Any, decided: Any) -> date | None:
    """A record's first public day when it differs from its decision date (SAMR's
    periods run from publication), else None."""
    day = _date(public_from)
    return None if day is None or day == _date(decided) else day


@lru_cache(maxsize=4096)
def _clauses(value: str) -> tuple[str, ...]:
    """A pledge's clause codes from their JSON text. The pledges statement reads the column
    as text on every database: most pledges share a few lists, each parsed once here
    (psycopg parsed each row's JSON itself, about 6 of a full rescore's 19 CPU seconds of
    reading on PostgreSQL)."""
    return tuple(json.loads(value))


def driver_rows(
    session: Session, stmt: sa.Select, params: dict[str, Any] | None = None
) -> list[tuple]:
    """Run ``stmt`` and return the driver's rows, skipping SQLAlchemy's result processing.
    Executed through SQLAlchemy so its statement cache applies: compiling the statements
    again for every call was most of a profile page's reading of one firm's facts."""
    result = session.connection().execute(stmt, params or {})
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


@dataclass(frozen=True)
class _FactStatements:
    """The statements :func:`load_facts` runs for one shape of selection."""

    ents: sa.Select
    shops: sa.Select
    breaches: sa.Select
    pledges: sa.Select
    repaired: sa.Select
    violations: sa.Select
    commendations: sa.Select
    listed: sa.Select


@lru_cache(maxsize=8)
def _fact_statements(shape: tuple[bool, bool, bool]) -> _FactStatements:
    """Built once per process and shape: building them and computing their cache keys was
    a fifth of a profile page's CPU (which reads one firm's facts twice)."""

    def where(column: sa.ColumnElement) -> sa.ColumnElement:
        return bound_where(shape, column)

    return _FactStatements(
        ents=sa.select(
            Enterprise.id,
            Enterprise.uscc,
            Enterprise.status,
            Enterprise.registration_date,
            sa.or_(
                Enterprise.customer_service_phone.is_not(None),
                Enterprise.customer_service_email.is_not(None),
            ),
        )
        .where(where(Enterprise.id))
        .order_by(Enterprise.id),
        shops=sa.select(Shop.enterprise_id, sa.func.count())
        .where(where(Shop.enterprise_id))
        .group_by(Shop.enterprise_id),
        breaches=sa.select(
            PledgeBreach.pledge_id,
            PledgeBreach.violation_id,
            PledgeBreach.clause_code,
            PledgeBreach.recorded_at,
            PledgeBreach.revoked_at,
        )
        .join(Pledge, Pledge.id == PledgeBreach.pledge_id)
        .where(where(Pledge.enterprise_id))
        .order_by(PledgeBreach.pledge_id, PledgeBreach.id),
        pledges=sa.select(
            Pledge.id,
            Pledge.series_id,
            Pledge.enterprise_id,
            PledgeTemplate.type,
            sa.cast(Pledge.clauses, sa.Text),
            Pledge.published_at,
            Pledge.valid_from,
            Pledge.valid_until,
            Pledge.withdrawn_at,
            Pledge.superseded_at,
        )
        .join(PledgeTemplate, PledgeTemplate.id == Pledge.template_id)
        .where(where(Pledge.enterprise_id), Pledge.published_at.is_not(None))
        .order_by(Pledge.enterprise_id, Pledge.id),
        # From the selection's repaired records to their applications: joined the other
        # way, SQLite read every application of the registry for each batch (0.35 s a
        # batch of 5,000 firms at a million, half of all reading).
        repaired=sa.select(
            RepairApplication.violation_id, sa.func.max(RepairApplication.decided_at)
        )
        .where(
            RepairApplication.violation_id.in_(
                sa.select(Violation.id).where(
                    where(Violation.enterprise_id), Violation.status == "repaired"
                )
            ),
            RepairApplication.status == "approved",
        )
        .group_by(RepairApplication.violation_id),
        violations=sa.select(
            Violation.id,
            Violation.enterprise_id,
            Violation.decision_number,
            Violation.severity,
            Violation.category,
            Violation.decision_date,
            Violation.published,
            Violation.repairable_from,
            Violation.publish_until,
            Violation.status,
            Violation.revoked_at,
            Violation.objection_pending,
            Violation.public_from,
        )
        .where(where(Violation.enterprise_id))
        .order_by(Violation.enterprise_id, Violation.id),
        commendations=sa.select(
            Commendation.id,
            Commendation.enterprise_id,
            Commendation.title,
            Commendation.granted_on,
            Commendation.valid_until,
        )
        .where(where(Commendation.enterprise_id))
        .order_by(Commendation.enterprise_id, Commendation.id),
        listed=sa.select(
            SeriousListEntry.id,
            SeriousListEntry.enterprise_id,
            SeriousListEntry.listed_on,
            SeriousListEntry.remove_on,
            SeriousListEntry.removed_at,
        )
        .where(where(SeriousListEntry.enterprise_id))
        .order_by(SeriousListEntry.enterprise_id, SeriousListEntry.id),
    )


def load_facts(
    session: Session,
    selection: Selection,
    firms: tuple[list[tuple], dict[str, int]] | None = None,
) -> dict[str, EnterpriseFacts]:
    """Facts of the selected enterprises, keyed by enterprise id. ``firms``: their rows
    (id, uscc, status, registration date, has a contact) and shop counts when the caller
    holds them already (see ``_held_firm``)."""
    q = _fact_statements(selection.shape)
    on = selection.params()
    if firms is None:
        ents = driver_rows(session, q.ents, on)
        if not ents:
            return {}
        shops = dict(driver_rows(session, q.shops, on))
    else:
        ents, shops = firms

    # A dependent list is read only when its parents exist: one firm (a profile) often has
    # no pledge, and hardly any has a repaired record.
    pledge_rows = driver_rows(session, q.pledges, on)
    breaches: dict[str, list[BreachFact]] = defaultdict(list)
    for pledge_id, violation_id, clause, recorded, revoked in (
        driver_rows(session, q.breaches, on) if pledge_rows else ()
    ):
        breaches[pledge_id].append(BreachFact(violation_id, clause, _day(recorded), _day(revoked)))

    pledges: dict[str, list[PledgeFact]] = defaultdict(list)
    for (
        pid,
        series,
        ent_id,
        ptype,
        clauses,
        published,
        valid_from,
        valid_until,
        withdrawn,
        superseded,
    ) in pledge_rows:
        pledges[ent_id].append(
            PledgeFact(
                pid,
                series,
                ptype,
                _clauses(clauses),
                _day(published),
                _date(valid_from),
                _date(valid_until),
                _day(withdrawn),
                _day(superseded),
                tuple(breaches.get(pid, ())),
            )
        )

    violation_rows = driver_rows(session, q.violations, on)
    status_column = 9  # of a violation row
    repaired = (
        dict(driver_rows(session, q.repaired, on))
        if any(row[status_column] == "repaired" for row in violation_rows)
        else {}
    )
    violations: dict[str, list[ViolationFact]] = defaultdict(list)
    for (
        vid,
        ent_id,
        number,
        severity,
        category,
        decided,
        published,
        repairable,
        until,
        status,
        revoked,
        objection,
        public_from,
    ) in violation_rows:
        ended = (
            _day(revoked)
            if status == "revoked"
            else _day(repaired.get(vid))
            if status == "repaired"
            else None
        )
        violations[ent_id].append(
            ViolationFact(
                vid,
                number,
                severity,
                category,
                _date(decided),
                bool(published),
                _date(repairable),
                _date(until),
                status,
                ended,
                bool(objection),
                _public_from(public_from, decided),
            )
        )

    commendations: dict[str, list[CommendationFact]] = defaultdict(list)
    for cid, ent_id, title, granted, until in driver_rows(session, q.commendations, on):
        commendations[ent_id].append(CommendationFact(cid, title, _date(granted), _date(until)))

    listed: dict[str, list[SeriousListFact]] = defaultdict(list)
    for sid, ent_id, listed_on, remove_on, removed in driver_rows(session, q.listed, on):
        listed[ent_id].append(
            SeriousListFact(sid, _date(listed_on), _date(remove_on), _day(removed))
        )

    return {
        eid: EnterpriseFacts(
            eid,
            code,
            status,
            _date(registered),
            shops.get(eid, 0),
            bool(contact),
            tuple(pledges.get(eid, ())),
            tuple(violations.get(eid, ())),
            tuple(commendations.get(eid, ())),
            tuple(listed.get(eid, ())),
        )
        for eid, code, status, registered, contact in ents
    }


def firm_facts(session: Session, enterprise_id: str) -> EnterpriseFacts:
    """One firm's facts (``KeyError`` if it does not exist), read once per transaction and
    again after each flush: a profile page asks for them for the seal and for the caps of
    its rating."""
    from credit.uow import transaction_memo

    known = transaction_memo("firm_facts", session, until_flush=True)
    facts = known.get(enterprise_id)
    if facts is None:
        held = _held_firm(session, enterprise_id)
        loaded = load_facts(session, Selection(ids=[enterprise_id]), held)
        facts = known[enterprise_id] = loaded[enterprise_id]
    return facts


#: What a firm's own row gives its facts; a page about the firm has loaded all of it.
_FIRM_ATTRIBUTES = frozenset(
    {"uscc", "status", "registration_date", "customer_service_phone", "customer_service_email"}
)


def _held_firm(session: Session, enterprise_id: str) -> tuple[list[tuple], dict[str, int]] | None:
    """The firm's facts row and shop count from the enterprise the session already holds,
    as loaded and unchanged (a page found it by its code, shops included): two statements
    fewer. None when the session does not hold it so (then they are read)."""
    ent = session.identity_map.get(session.identity_key(Enterprise, (enterprise_id,)))
    if ent is None:
        return None
    state = sa.inspect(ent)
    if state.modified or "shops" in state.unloaded or _FIRM_ATTRIBUTES & state.unloaded:
        return None
    if any(sa.inspect(shop).modified or shop in session.deleted for shop in ent.shops):
        return None
    contact = ent.customer_service_phone is not None or ent.customer_service_email is not None
    row = (ent.id, ent.uscc, ent.status, ent.registration_date, contact)
    return [row], {ent.id: len(ent.shops)}


# -- replays in two views -------------------------------------------------------------------
#: ``legal``: what the rules say applied on the day (decision dates, validity dates, the
#: dates of removal decisions), whenever the platform learnt of them. ``recorded``: what was
#: known and public on the day: only what the platform had recorded by then, counted from when
#: it was recorded or published, with values as they stood then.
VIEWS = ("legal", "recorded")
DEFAULT_VIEW = "legal"


@dataclass(frozen=True)
class RecordBasis:
    """How one record was placed in a replay: which of its dates the view counted it from."""

    kind: str  # violation | pledge | serious_list | commendation
    ref: str
    legal_date: date  # decision date, in-force date, listing date, grant date
    recorded_on: date | None  # when the platform recorded (or published) it
    basis: (
        str  # decision_date | recorded_at | in_force_from | published_at | listed_on | granted_on
    )
    counted_from: date | None
    known: bool  # part of this view on the day (recorded view: recorded by then)


def _amending(session: Session, enterprise_id: str) -> set[str]:
    """Ids of pledge versions whose publication superseded an earlier version."""
    return {
        sid
        for (sid,) in driver_rows(
            session,
            sa.select(Pledge.superseded_by_id).where(
                Pledge.enterprise_id == enterprise_id, Pledge.superseded_by_id.is_not(None)
            ),
        )
    }


def _recorded_days(session: Session, model: Any, one: Selection) -> dict[str, date | None]:
    """The day each of the selected enterprise's ``model`` rows was recorded."""
    rows = driver_rows(
        session, sa.select(model.id, model.recorded_at).where(one.where(model.enterprise_id))
    )
    return {row_id: _day(at) for row_id, at in rows}


def view_facts(
    session: Session, enterprise_id: str, as_of: date, view: str
) -> tuple[EnterpriseFacts, list[RecordBasis]]:
    """One enterprise's facts as ``view`` places them on ``as_of``, and how each record was
    placed (for the answer to say)."""
    from credit.pledges.versions import in_force_from
    from credit.violations.models import Correction

    if view not in VIEWS:
        raise ValueError(f"unknown view {view}")
    facts = load_facts(session, Selection(ids=[enterprise_id]))[enterprise_id]
    one = Selection(ids=[enterprise_id])
    v_recorded = _recorded_days(session, Violation, one)
    c_recorded = _recorded_days(session, Commendation, one)
    s_rows = {
        sid: (_day(at), _date(removed_on))
        for sid, at, removed_on in driver_rows(
            session,
            sa.select(
                SeriousListEntry.id, SeriousListEntry.recorded_at, SeriousListEntry.removed_on
            ).where(one.where(SeriousListEntry.enterprise_id)),
        )
    }
    basis: list[RecordBasis] = []

    if view == "legal":
        amending = _amending(session, enterprise_id)
        decided = {v.id: v.decision_date for v in facts.violations}
        pledges = []
        for p in facts.pledges:
            start = in_force_from(p.published_on, p.valid_from, p.id in amending)
            pledges.append(
                replace(
                    p,
                    published_on=start,
                    breaches=tuple(
                        replace(b, recorded_on=decided.get(b.violation_id, b.recorded_on))
                        for b in p.breaches
                    ),
                )
            )
            basis.append(
                RecordBasis("pledge", p.id, start, p.published_on, "in_force_from", start, True)
            )
        listings = []
        for s in facts.serious_list:
            legal_removal = s_rows.get(s.id, (None, None))[1]
            listings.append(replace(s, removed_on=legal_removal or s.removed_on))
            basis.append(
                RecordBasis(
                    "serious_list",
                    s.id,
                    s.listed_on,
                    s_rows.get(s.id, (None, None))[0],
                    "listed_on",
                    s.listed_on,
                    True,
                )
            )
        for v in facts.violations:
            basis.append(
                RecordBasis(
                    "violation",
                    v.id,
                    v.decision_date,
                    v_recorded.get(v.id),
                    "decision_date",
                    v.decision_date,
                    True,
                )
            )
        for c in facts.commendations:
            basis.append(
                RecordBasis(
                    "commendation",
                    c.id,
                    c.granted_on,
                    c_recorded.get(c.id),
                    "granted_on",
                    c.granted_on,
                    True,
                )
            )
        out = replace(facts, pledges=tuple(pledges), serious_list=tuple(listings))
        return out, basis

    # recorded: what the platform had recorded by the end of as_of, as it stood then
    later_category: dict[str, str] = {}
    for vid, old, at in driver_rows(
        session,
        sa.select(Correction.violation_id, Correction.old_value, Correction.corrected_at)
        .join(Violation, Violation.id == Correction.violation_id)
        .where(one.where(Violation.enterprise_id), Correction.field == "category")
        .order_by(Correction.corrected_at.desc()),
    ):
        if _day(at) > as_of and old:
            later_category[vid] = old  # the earliest later correction is read last
    violations = []
    for v in facts.violations:
        recorded = v_recorded.get(v.id) or v.decision_date
        known = recorded <= as_of
        if known:
            violations.append(replace(v, category=later_category.get(v.id, v.category)))
        late = recorded > v.decision_date
        basis.append(
            RecordBasis(
                "violation",
                v.id,
                v.decision_date,
                recorded,
                "recorded_at" if late else "decision_date",
                max(recorded, v.decision_date),
                known,
            )
        )
    for p in facts.pledges:
        start = None if p.published_on is None else max(p.published_on, p.valid_from)
        basis.append(
            RecordBasis(
                "pledge",
                p.id,
                p.valid_from,
                p.published_on,
                "published_at",
                start,
                p.published_on is not None and p.published_on <= as_of,
            )
        )
    commendations = []
    for c in facts.commendations:
        recorded = c_recorded.get(c.id) or c.granted_on
        if recorded <= as_of:
            commendations.append(c)
        basis.append(
            RecordBasis(
                "commendation",
                c.id,
                c.granted_on,
                recorded,
                "recorded_at" if recorded > c.granted_on else "granted_on",
                max(recorded, c.granted_on),
                recorded <= as_of,
            )
        )
    listings = []
    for s in facts.serious_list:
        recorded = s_rows.get(s.id, (None, None))[0] or s.listed_on
        if recorded <= as_of:
            listings.append(s)
        basis.append(
            RecordBasis(
                "serious_list",
                s.id,
                s.listed_on,
                recorded,
                "recorded_at" if recorded > s.listed_on else "listed_on",
                max(recorded, s.listed_on),
                recorded <= as_of,
            )
        )
    out = replace(
        facts,
        violations=tuple(violations),
        commendations=tuple(commendations),
        serious_list=tuple(listings),
    )
    return out, basis
