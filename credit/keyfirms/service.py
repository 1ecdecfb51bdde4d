"""Key-enterprise services: the commerce department keeps the list (add, remove, CSV
upload, history), sees pledge coverage and reminds uncovered firms; the public reads the
list with each firm's coverage; a firm reads what is asked of it.

Who may write: a regulator identity holding ``keyfirms:write`` whose authority is of kind
``commerce`` (credit/data/publicity_rules.json ``authority_kinds``), for firms its
jurisdiction covers (``credit.publicity.covers``).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock, publicity, uscc
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.idlists import ids_parameter, uses_arrays
from credit.keyfirms import importing
from credit.keyfirms.coverage import coverage_states
from credit.keyfirms.models import KeyListing, KeyListingEvent, KeyReminder
from credit.keyfirms.vocab import COVERAGE_STATES, COVERED, categories
from credit.pagination import Page
from credit.permissions import (
    can_manage_registry,
    can_read_public,
    commerce_authority,
    is_owner,
    require,
)
from credit.regions import city_name
from credit.uow import UnitOfWork


@dataclass(frozen=True)
class Row:
    """One active listing with its firm and coverage state on the day asked."""

    listing: KeyListing
    enterprise: Enterprise
    state: str

    @property
    def covered(self) -> bool:
        return self.state in COVERED


@dataclass
class Figures:
    """Coverage counts (listings) overall and by state, city, category and industry."""

    total: int = 0
    covered: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_city: dict[str, list[int]] = field(default_factory=dict)
    by_category: dict[str, list[int]] = field(default_factory=dict)
    by_industry: dict[str, list[int]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return round(self.covered / self.total, 4) if self.total else 0.0


# -- who may write -----------------------------------------------------------------------
def _department(identity: Identity) -> Authority:
    authority = commerce_authority(identity)
    require(
        authority is not None,
        "只有持有 keyfirms:write 的商务主管部门可以维护重点电子商务企业名单 / only a "
        "commerce department holding keyfirms:write keeps the key-enterprise list",
    )
    assert authority is not None
    return authority


def _firm(identity: Identity, code: str, where: str = "uscc") -> Enterprise:
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
    if ent is None:
        raise ValidationFailed(
            "未登记的经营者", [FieldError(where, f"平台未登记此经营者 / not registered: {code}")]
        )
    if not publicity.covers(identity, ent):
        raise ValidationFailed(
            "不在管辖范围内",
            [FieldError(where, "该经营者不在本机关管辖范围 / outside your jurisdiction", "scope")],
        )
    return ent


# -- the list ----------------------------------------------------------------------------
def _history(
    uow: UnitOfWork, listing: KeyListing, action: str, reason: str, actor: str, source: str
) -> None:
    uow.session.add(
        KeyListingEvent(
            listing_id=listing.id,
            enterprise_id=listing.enterprise_id,
            action=action,
            category=listing.category,
            reason=reason,
            actor=actor,
            source=source,
            occurred_at=clock.now(),
        )
    )


def _active(enterprise_id: str, category: str) -> KeyListing | None:
    return db.session.scalar(
        sa.select(KeyListing).where(
            KeyListing.enterprise_id == enterprise_id,
            KeyListing.category == category,
            KeyListing.removed_at.is_(None),
        )
    )


def _add(
    identity: Identity, uow: UnitOfWork, authority: Authority, ent: Enterprise, data: dict, source
) -> KeyListing:
    now = clock.now()
    listing = KeyListing(
        enterprise_id=ent.id,
        authority_id=authority.id,
        category=data["category"],
        reason=data["reason"],
        listed_from=data["listed_from"],
        listed_until=data.get("listed_until"),
        added_by=identity.subject,
        created_at=now,
    )
    listing.listed_when_recorded = listing.listed_on(clock.today())
    uow.session.add(listing)
    uow.session.flush()
    _history(uow, listing, "added", data["reason"], identity.subject, source)
    uow.record("key_listing", listing.id, listing.version)
    return listing


def add_listing(
    identity: Identity, uow: UnitOfWork, data: dict[str, Any], source: str = "api"
) -> KeyListing:
    """Put a firm on the list (``data`` loaded by ``ListingInputSchema``). A firm is on
    the list once per category: a second listing in the same category is a conflict."""
    authority = _department(identity)
    ent = _firm(identity, data["uscc"])
    if _active(ent.id, data["category"]) is not None:
        raise Conflict(
            f"{ent.name} 已在“{categories()[data['category']].zh}”类别名单中 / already listed "
            "in this category"
        )
    return _add(identity, uow, authority, ent, data, source)


def remove_listing(
    identity: Identity, uow: UnitOfWork, listing_id: str, reason: str, source: str = "api"
) -> KeyListing:
    """Take a firm off the list; the listing stays, with who, when and why."""
    _department(identity)
    listing = db.session.get(KeyListing, listing_id)
    if listing is None or not publicity.covers(identity, listing.enterprise):
        raise NotFound("未找到该名单记录 / no such listing")
    if listing.removed_at is not None:
        raise Conflict("该企业已移出名单 / already removed")
    listing.removed_at = clock.now()
    listing.removed_by = identity.subject
    listing.removal_reason = reason
    uow.session.flush()
    _history(uow, listing, "removed", reason, identity.subject, source)
    uow.record("key_listing", listing.id, listing.version)
    return listing


@dataclass(frozen=True)
class UploadReport:
    added: list[KeyListing]
    filename: str


def upload_listings(
    identity: Identity,
    uow: UnitOfWork,
    text: TextIO,
    filename: str = "upload.csv",
    source: str = "api",
) -> UploadReport:
    """Add every row of a CSV file, or none: any bad line (a field, a duplicate code in
    the file, a firm not registered or outside the jurisdiction, already listed) fails the
    whole upload with one error per line and column (``field`` = ``line 3: uscc``)."""
    authority = _department(identity)
    errors: list[importing.RowError] = []
    try:
        rows = list(importing.read_rows(text, errors))
    except importing.HeaderError as exc:
        raise ValidationFailed(str(exc), [FieldError("file", str(exc), "header")]) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        message = f"不是 UTF-8 编码的 CSV 文件 / not a UTF-8 CSV file ({type(exc).__name__})"
        raise ValidationFailed(message, [FieldError("file", message, "encoding")]) from None
    firms: list[tuple[Enterprise, dict]] = []
    for line, record in rows:
        try:
            ent = _firm(identity, record["uscc"])
        except ValidationFailed as exc:
            errors.extend(importing.RowError(line, "uscc", e.message) for e in exc.errors)
            continue
        if _active(ent.id, record["category"]) is not None:
            errors.append(
                importing.RowError(
                    line, "category", "已在该类别名单中 / already listed in this category"
                )
            )
            continue
        firms.append((ent, record))
    if errors:
        raise ValidationFailed(
            f"文件有 {len({e.line for e in errors})} 行有误，未导入任何一行 / nothing was imported",
            [FieldError(f"line {e.line}: {e.column}", e.reason, "row") for e in errors],
        )
    if not firms:
        raise ValidationFailed("文件没有数据行", [FieldError("file", "no data rows", "empty")])
    where = f"{source} csv:{filename}"[:120]
    added = [_add(identity, uow, authority, ent, rec, where) for ent, rec in firms]
    return UploadReport(added, filename)


def record_due_listings(identity: Identity, uow: UnitOfWork, limit: int | None = None) -> int:
    """Record a ``key_listing`` event for every listing whose period started or ended
    since its last event (the sweep runs this), so the firm's search document gains or
    loses its category; idempotent. With ``limit``, for the first that many only."""
    require(can_manage_registry(identity))
    today = clock.today()
    listings = sa.select(KeyListing).where(KeyListing.removed_at.is_(None))
    due = [
        x
        for x in db.session.scalars(listings.order_by(KeyListing.id))
        if x.listed_on(today) != x.listed_when_recorded
    ][:limit]
    for listing in due:
        listing.listed_when_recorded = not listing.listed_when_recorded
    uow.session.flush()
    for listing in due:
        uow.record("key_listing", listing.id, listing.version)
    return len(due)


def _history_stmt(identity: Identity, code: str | None) -> sa.Select:
    stmt = (
        sa.select(KeyListingEvent, Enterprise)
        .join(Enterprise, KeyListingEvent.enterprise_id == Enterprise.id)
        .where(publicity.covers_clause(identity.jurisdiction))
    )
    if code:
        stmt = stmt.where(Enterprise.uscc == uscc.normalize(code))
    return stmt


_NEWEST_FIRST = (KeyListingEvent.occurred_at.desc(), KeyListingEvent.id.desc())


def listing_history(identity: Identity, code: str | None = None) -> list[KeyListingEvent]:
    """Every change to the list in the department's jurisdiction (one firm's with
    ``code``), newest first."""
    _department(identity)
    stmt = _history_stmt(identity, code).order_by(*_NEWEST_FIRST)
    return [event for event, _ in db.session.execute(stmt)]


@dataclass(frozen=True)
class Change:
    """One history row with its firm, for the console's history view."""

    event: KeyListingEvent
    enterprise: Enterprise


def listing_history_page(
    identity: Identity, page: int = 1, size: int = 20, code: str | None = None
) -> Page:
    """One page of the list's history (who, when, what, why), newest first."""
    _department(identity)
    stmt = _history_stmt(identity, code)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    found = db.session.execute(stmt.order_by(*_NEWEST_FIRST).limit(size).offset((page - 1) * size))
    return Page([Change(e, ent) for e, ent in found], total, page, size)


def scheduled_listings(identity: Identity, day: date | None = None) -> list[KeyListing]:
    """The department's listings whose period has not started on ``day`` (default today):
    not on the public list yet, and removable like any other."""
    _department(identity)
    day = day or clock.today()
    return list(
        db.session.scalars(
            sa.select(KeyListing)
            .join(Enterprise, KeyListing.enterprise_id == Enterprise.id)
            .where(
                KeyListing.removed_at.is_(None),
                KeyListing.listed_from > day,
                publicity.covers_clause(identity.jurisdiction),
            )
            .order_by(KeyListing.listed_from, Enterprise.uscc)
        ).unique()
    )


# -- reading the list with coverage ------------------------------------------------------
def _rows(where: list[Any], day: date, filters: dict[str, Any]) -> list[Row]:
    stmt = (
        sa.select(KeyListing)
        .join(Enterprise, KeyListing.enterprise_id == Enterprise.id)
        .where(listed_clause(day), *where)
    )
    if filters.get("city"):
        stmt = stmt.where(Enterprise.city_code == filters["city"])
    if filters.get("category"):
        stmt = stmt.where(KeyListing.category == filters["category"])
    if filters.get("industry"):
        stmt = stmt.where(Enterprise.industry == filters["industry"])
    listings = list(
        db.session.scalars(
            stmt.order_by(Enterprise.city_code, Enterprise.uscc, KeyListing.category)
        )
        .unique()
        .all()
    )
    states = coverage_states(((x.enterprise_id, x.category) for x in listings), day)
    rows = [Row(x, x.enterprise, states[(x.enterprise_id, x.category)]) for x in listings]
    if filters.get("coverage"):
        rows = [r for r in rows if r.state == filters["coverage"]]
    return rows


def figures(rows: list[Row]) -> Figures:
    out = Figures(total=len(rows), covered=sum(r.covered for r in rows))
    out.by_state = dict(Counter(r.state for r in rows))
    for r in rows:
        for target, key in (
            (out.by_city, r.enterprise.city_code),
            (out.by_category, r.listing.category),
            (out.by_industry, r.enterprise.industry),
        ):
            counts = target.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += int(r.covered)
    return out


def list_key_enterprises(
    identity: Identity,
    filters: dict[str, Any] | None = None,
    page: int = 1,
    size: int = 50,
    day: date | None = None,
) -> tuple[Page, Figures]:
    """The public list on ``day`` (default today): firms listed now, each with its
    coverage state, and the coverage figures of everything the filters select."""
    require(can_read_public(identity))
    rows = _rows([], day or clock.today(), filters or {})
    start = (page - 1) * size
    return Page(rows[start : start + size], len(rows), page, size), figures(rows)


def department_coverage(
    identity: Identity, filters: dict[str, Any] | None = None, day: date | None = None
) -> tuple[list[Row], Figures]:
    """The department's view: every listing in its jurisdiction with its state (the
    uncovered ones are those to remind), and the figures."""
    _department(identity)
    rows = _rows(
        [publicity.covers_clause(identity.jurisdiction)], day or clock.today(), filters or {}
    )
    return rows, figures(rows)


@dataclass(frozen=True)
class Skipped:
    """A requirement not reminded again: the firm was reminded of it on ``last_sent``."""

    enterprise: Enterprise
    category: str
    last_sent: datetime


@dataclass(frozen=True)
class ReminderRun:
    """What one reminder run did: the reminders stored now, and the ones left out because
    the same firm was reminded of the same requirement within ``quiet_days``."""

    sent: list[KeyReminder]
    skipped: list[Skipped]
    quiet_days: int


def _last_reminded(
    enterprise_ids: list[str], since: datetime
) -> dict[tuple[str, tuple[str, ...]], datetime]:
    """(enterprise id, required pledge types) -> when the firm was last reminded of that
    requirement since ``since`` (by any department: the firm hears it once)."""
    out: dict[tuple[str, tuple[str, ...]], datetime] = {}
    for r in db.session.scalars(
        sa.select(KeyReminder)
        .where(KeyReminder.enterprise_id.in_(enterprise_ids), KeyReminder.created_at >= since)
        .order_by(KeyReminder.created_at)
    ):
        out[(r.enterprise_id, tuple(sorted(r.required_pledge_types)))] = r.created_at
    return out


def send_reminders(
    identity: Identity, uow: UnitOfWork, data: dict[str, Any], quiet_days: int = 7
) -> ReminderRun:
    """One reminder per listed firm in the jurisdiction (narrowed by ``city`` /
    ``category``) and requirement (the pledge types its category asks for) whose coverage
    is not in force, each stored for the firm's console and recorded as a ``key_reminder``
    change event for the notification channels.

    A firm reminded of the same requirement within ``quiet_days``
    (``CREDIT_KEY_REMINDER_QUIET_DAYS``) is not reminded again: it is counted as skipped,
    so pressing the button twice never sends a firm two messages."""
    authority = _department(identity)
    filters = {k: data[k] for k in ("city", "category") if data.get(k)}
    rows, _ = department_coverage(identity, filters)
    known = categories()
    now = clock.now()
    uncovered = list({r.enterprise.id for r in rows if not r.covered})
    recent = _last_reminded(uncovered, now - timedelta(days=quiet_days)) if quiet_days else {}
    reminders: list[KeyReminder] = []
    skipped: list[Skipped] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for r in rows:
        if r.covered:
            continue
        category = known[r.listing.category]
        key = (r.enterprise.id, tuple(sorted(category.required_pledge_types)))
        if key in seen:
            continue
        seen.add(key)
        if key in recent:
            skipped.append(Skipped(r.enterprise, r.listing.category, recent[key]))
            continue
        reminder = KeyReminder(
            enterprise_id=r.enterprise.id,
            authority_id=authority.id,
            category=r.listing.category,
            state=r.state,
            required_pledge_types=list(category.required_pledge_types),
            due_on=data["due_on"],
            message=data.get("message")
            or (
                f"贵单位已列入{authority.name}重点电子商务企业名单（{category.zh}），请于 "
                f"{data['due_on']} 前公示诚信承诺。"
            ),
            sent_by=identity.subject,
            created_at=now,
        )
        uow.session.add(reminder)
        reminders.append(reminder)
    uow.session.flush()
    for reminder in reminders:
        uow.record("key_reminder", reminder.id, reminder.version)
    return ReminderRun(reminders, skipped, quiet_days)


# -- the firm's side ---------------------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    """What the platform asks of a listed firm: the listings, the pledge types that would
    cover each, its current state, and the reminders with their due dates."""

    rows: list[Row]
    reminders: list[KeyReminder]


def what_is_asked(identity: Identity, day: date | None = None) -> Asked:
    """For the firm itself (its console, its system)."""
    require(identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None)
    ent = db.session.get(Enterprise, identity.enterprise_id)
    require(ent is not None and is_owner(identity, ent))
    rows = _rows([KeyListing.enterprise_id == identity.enterprise_id], day or clock.today(), {})
    reminders = list(
        db.session.scalars(
            sa.select(KeyReminder)
            .where(KeyReminder.enterprise_id == identity.enterprise_id)
            .order_by(KeyReminder.created_at.desc())
        )
    )
    return Asked(rows, reminders)


def listed_clause(day: date) -> sa.ColumnElement[bool]:
    """Listings in force on ``day`` as SQL: not removed, ``day`` inside the period."""
    return sa.and_(
        KeyListing.removed_at.is_(None),
        KeyListing.listed_from <= day,
        sa.or_(KeyListing.listed_until.is_(None), KeyListing.listed_until >= day),
    )


#: Built once per process: the profile and every search document read it.
@cache
def _categories_of(arrays: bool) -> sa.Select:
    """The listings of the firms bound as ``ids`` on ``day`` (``credit.idlists``)."""
    return sa.select(KeyListing.enterprise_id, KeyListing.category).where(
        ids_parameter("ids", KeyListing.enterprise_id, arrays),
        listed_clause(sa.bindparam("day", type_=sa.Date)),
    )


def key_categories_of(
    enterprise_ids: Sequence[str], day: date, session: Session | None = None
) -> dict[str, list[str]]:
    """Enterprise id -> the categories it is listed in on ``day`` (public: the profile and
    the search documents read it), for the ids that are listed."""
    session = session or db.session
    out: dict[str, set[str]] = {}
    statement = _categories_of(uses_arrays(session))
    for eid, category in session.execute(statement, {"ids": list(enterprise_ids), "day": day}):
        out.setdefault(eid, set()).add(category)
    return {eid: sorted(c) for eid, c in out.items()}


def key_categories(enterprise_id: str, day: date | None = None) -> list[str]:
    """The categories one firm is listed in on ``day`` (default today)."""
    return key_categories_of([enterprise_id], day or clock.today()).get(enterprise_id, [])


def public_categories(identity: Identity, code: str) -> list[Any]:
    """The categories (``vocab.Category``) a firm is listed in today, for its profile."""
    from credit.enterprises.service import get_enterprise

    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    known = categories()
    return [known[c] for c in key_categories(ent.id) if c in known]


def state_label(state: str) -> tuple[str, str]:
    zh, en, _ = COVERAGE_STATES[state]
    return zh, en


def city_label(code: str) -> str:
    return city_name(code) or code
