"""Corrections of records, the serious dishonesty list, commendations, and statistics."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from credit import clock, publicity
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed, require_version
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.permissions import can_read_public, require
from credit.scoring.model import GRADES
from credit.uow import UnitOfWork
from credit.violations import breaches
from credit.violations.models import Commendation, Correction, SeriousListEntry, Violation
from credit.violations.schemas import CORRECTABLE, penalty_amount_problem
from credit.violations.service import ENTITY, get_violation
from credit.violations.vocab import CATEGORIES, EARLY_REMOVAL_MIN_MONTHS, PENALTY_TYPES


def correct_violation(
    identity: Identity,
    uow: UnitOfWork,
    violation_id: str,
    field: str,
    new_value: Any,
    reason: str,
    expected_version: int | None,
) -> Violation:
    """The issuing authority corrects one field; the old and new values are appended."""
    v = get_violation(identity, violation_id)
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id == v.authority_id,
        "只有作出决定的机关可以更正",
    )
    require_version(v.version, expected_version, "记录")
    if v.status != "active":
        raise Conflict("已撤销或已修复的记录不能更正")
    if field not in CORRECTABLE:
        raise ValidationFailed("该字段不可更正", [FieldError("field", field)])
    value: Any = new_value
    if (field == "category" and value not in CATEGORIES) or (
        field == "penalty_type" and value not in PENALTY_TYPES
    ):
        raise ValidationFailed("取值无效", [FieldError("new_value", str(value))])
    if field == "penalty_amount":
        try:
            value = None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
        except ArithmeticError:
            raise ValidationFailed("金额无效", [FieldError("new_value", str(value))]) from None
    elif not isinstance(value, str) or len(value) < 2:
        raise ValidationFailed("取值无效", [FieldError("new_value", "至少 2 个字符")])
    # A correction must leave the record consistent, as recording it would have.
    problem = None
    if field in ("penalty_amount", "penalty_type"):
        after = {"penalty_type": v.penalty_type, "penalty_amount": v.penalty_amount, field: value}
        problem = penalty_amount_problem(after["penalty_type"], after["penalty_amount"])
    elif field == "category":
        unfit = sorted(
            c.clause_code
            for c in v.clauses
            if c.breach_reason is None and not breaches.may_breach(value, c.clause_code)
        )
        if unfit:
            problem = (
                f"该记录认定违反的条款 {', '.join(unfit)} 不能由新类别违反（违诺对照表）/ the "
                f"clauses it names ({', '.join(unfit)}) cannot be breached by that category"
            )
    if problem:
        raise ValidationFailed(
            "更正后记录不一致", [FieldError("new_value", problem, "inconsistent")]
        )
    old = getattr(v, field)
    uow.session.add(
        Correction(
            violation_id=v.id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if value is None else str(value),
            reason=reason,
            corrected_by=identity.subject,
            corrected_at=clock.now(),
        )
    )
    setattr(v, field, value)
    uow.session.flush()
    db.session.refresh(v)
    uow.record(ENTITY, v.id, v.version)
    return v


def list_on_serious_list(
    identity: Identity, uow: UnitOfWork, data: dict[str, Any]
) -> SeriousListEntry:
    enterprise = get_enterprise(identity, data["uscc"])
    require(
        publicity.covers(identity, enterprise) and identity.authority_id is not None,
        "只能列入本机关管辖范围内的经营者",
    )
    if data["remove_on"] <= data["listed_on"]:
        raise ValidationFailed(
            "移出日期须晚于列入日期",
            [FieldError("remove_on", "须晚于列入日期 / must be after listed_on", "too_early")],
        )
    basis = None
    if data.get("violation_id"):
        basis = db.session.get(Violation, data["violation_id"])
        if basis is None or basis.enterprise_id != enterprise.id or basis.status != "active":
            raise ValidationFailed(
                "列入依据有误",
                [
                    FieldError(
                        "violation_id",
                        "须为该经营者未撤销、未修复的违法失信信息 / must be an active record "
                        "of this firm",
                        "invalid_basis",
                    )
                ],
            )
    # Lock the firm's row (PostgreSQL): two listings on one basis at once cannot both pass.
    db.session.execute(
        sa.select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update()
    )
    today = clock.today()
    same_basis = (
        SeriousListEntry.violation_id == basis.id
        if basis is not None
        else sa.and_(
            SeriousListEntry.authority_id == identity.authority_id,
            SeriousListEntry.legal_basis == data["legal_basis"],
            SeriousListEntry.violation_id.is_(None),
        )
    )
    existing = db.session.scalar(
        sa.select(SeriousListEntry.id).where(
            SeriousListEntry.enterprise_id == enterprise.id,
            SeriousListEntry.removed_at.is_(None),
            SeriousListEntry.remove_on > today,
            same_basis,
        )
    )
    if existing:
        message = (
            f"该经营者已因同一依据列入严重失信主体名单（{existing}），名单有效期内不重复列入 / "
            f"already listed on the same basis ({existing}) while that listing is in force"
        )
        raise Conflict(
            message,
            [FieldError("violation_id" if basis else "legal_basis", message, "duplicate")],
        )
    entry = SeriousListEntry(
        enterprise_id=enterprise.id,
        authority_id=identity.authority_id,
        legal_basis=data["legal_basis"],
        reason=data["reason"],
        listed_on=data["listed_on"],
        remove_on=data["remove_on"],
        recorded_at=clock.now(),
        violation_id=basis.id if basis is not None else None,
    )
    uow.session.add(entry)
    uow.session.flush()
    uow.record("serious_list", entry.id, 1)
    return entry


def remove_from_serious_list(
    identity: Identity, uow: UnitOfWork, entry_id: str, data: dict[str, Any]
) -> SeriousListEntry:
    """The listing authority removes a listing before its end (移出), with a ground, the date
    of its decision and a reason. The row stays (history); the rating and search follow at
    once through the change event."""
    from credit.scoring.calendar import add_months

    entry = db.session.get(SeriousListEntry, entry_id)
    if entry is None or not (
        identity.kind == IdentityKind.REGULATOR
        and (
            identity.authority_id == entry.authority_id
            or publicity.covers(identity, entry.enterprise)
        )
    ):
        raise NotFound("未找到该名单记录")
    require(identity.authority_id == entry.authority_id, "只有作出列入决定的机关可以移出")
    db.session.execute(
        sa.select(SeriousListEntry.id).where(SeriousListEntry.id == entry.id).with_for_update()
    )
    db.session.refresh(entry, ["removed_at"])
    today = clock.today()
    if entry.removed_at is not None:
        raise Conflict("该名单记录已移出 / already removed")
    if entry.remove_on <= today:
        raise Conflict("该名单记录已届满自动移出 / the listing has already ended")
    errors = []
    if data["removed_on"] < entry.listed_on:
        errors.append(
            FieldError(
                "removed_on", f"不能早于列入日期 {entry.listed_on} / before listed_on", "too_early"
            )
        )
    earliest = add_months(entry.listed_on, EARLY_REMOVAL_MIN_MONTHS)
    if data["ground"] == "credit_repair" and data["removed_on"] < earliest:
        errors.append(
            FieldError(
                "removed_on",
                f"信用修复提前移出须列入满一年，最早 {earliest} / early removal after repair "
                f"needs a year on the list: from {earliest}",
                "too_early",
            )
        )
    if data["ground"] == "basis_revoked" and (
        entry.violation_id is None
        or db.session.get(Violation, entry.violation_id).status != "revoked"
    ):
        errors.append(
            FieldError(
                "ground",
                "列入所依据的记录未在本平台撤销；请先撤销该记录（撤销后自动移出）/ the record it "
                "rests on is not revoked here: revoke it (the listing then ends by itself)",
                "basis_not_revoked",
            )
        )
    if errors:
        raise ValidationFailed("不符合移出条件 / cannot remove", errors)
    entry.removed_at = clock.now()
    entry.removed_on = data["removed_on"]
    entry.removal_ground = data["ground"]
    entry.removal_reason = data["reason"]
    entry.removed_by = identity.subject
    uow.session.flush()
    uow.record("serious_list", entry.id, 2)
    return entry


def list_authority_listings(identity: Identity, limit: int = 100) -> list[SeriousListEntry]:
    """The serious-list entries the caller's authority made that are in force (console)."""
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id is not None,
        "只有监管机关可以查看本机关的名单",
    )
    today = clock.today()
    return list(
        db.session.scalars(
            sa.select(SeriousListEntry)
            .where(
                SeriousListEntry.authority_id == identity.authority_id,
                SeriousListEntry.removed_at.is_(None),
                SeriousListEntry.remove_on > today,
            )
            .order_by(SeriousListEntry.listed_on.desc())
            .limit(limit)
        ).unique()
    )


def commend(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Commendation:
    enterprise = get_enterprise(identity, data["uscc"])
    require(
        publicity.covers(identity, enterprise) and identity.authority_id is not None,
        "只能表彰本机关管辖范围内的经营者",
    )
    if data["valid_until"] < data["granted_on"]:
        raise ValidationFailed(
            "有效期有误",
            [FieldError("valid_until", "不能早于授予日期 / before granted_on", "too_early")],
        )
    db.session.execute(
        sa.select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update()
    )
    existing = db.session.scalar(
        sa.select(Commendation.id).where(
            Commendation.enterprise_id == enterprise.id,
            Commendation.title == data["title"],
            Commendation.valid_until >= clock.today(),
        )
    )
    if existing:
        message = (
            f"该经营者已获“{data['title']}”且仍在有效期内（{existing}），不重复录入 / the firm "
            f"already holds this title ({existing}) and it is still valid"
        )
        raise Conflict(message, [FieldError("title", message, "duplicate")])
    item = Commendation(
        enterprise_id=enterprise.id,
        authority_id=identity.authority_id,
        title=data["title"],
        legal_basis=data["legal_basis"],
        granted_on=data["granted_on"],
        valid_until=data["valid_until"],
        recorded_at=clock.now(),
    )
    uow.session.add(item)
    uow.session.flush()
    uow.record("commendation", item.id, 1)
    return item


#: A firm's serious-list entries and commendations in force on a day: built once (a
#: profile asks for them on every view); the firm is already in the session.
_LISTED_TODAY = (
    sa.select(SeriousListEntry)
    .where(
        SeriousListEntry.enterprise_id == sa.bindparam("enterprise_id"),
        SeriousListEntry.removed_at.is_(None),
        SeriousListEntry.listed_on <= sa.bindparam("today", type_=sa.Date),
        SeriousListEntry.remove_on > sa.bindparam("today", type_=sa.Date),
    )
    .options(sa.orm.lazyload(SeriousListEntry.enterprise))
)
_COMMENDED_TODAY = (
    sa.select(Commendation)
    .where(
        Commendation.enterprise_id == sa.bindparam("enterprise_id"),
        Commendation.granted_on <= sa.bindparam("today", type_=sa.Date),
        Commendation.valid_until >= sa.bindparam("today", type_=sa.Date),
    )
    .options(sa.orm.lazyload(Commendation.enterprise))
)


def enterprise_standing(identity: Identity, code: str, with_seal: bool = True) -> dict[str, Any]:
    """Current serious-list entries and commendations of an enterprise, and (unless
    ``with_seal`` is false) whether it may show the credit seal (``credit.seal``) (public)."""
    from credit import seal

    require(can_read_public(identity))
    enterprise = get_enterprise(identity, code)
    on = {"enterprise_id": enterprise.id, "today": clock.today()}
    listed = db.session.scalars(_LISTED_TODAY, on).all()
    commended = db.session.scalars(_COMMENDED_TODAY, on).all()
    found: dict[str, Any] = {"serious_list": list(listed), "commendations": list(commended)}
    if with_seal:
        found["seal"] = seal.seal_standing(identity, enterprise.uscc)
    return found


def statistics(
    identity: Identity, decided_from: date | None = None, decided_to: date | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Counts of records in the caller's jurisdiction by city, category and severity."""
    require(identity.kind == IdentityKind.REGULATOR, "只有监管机关可以查看统计")
    where = [Violation.status != "revoked", publicity.covers_clause(identity.jurisdiction)]
    if decided_from:
        where.append(Violation.decision_date >= decided_from)
    if decided_to:
        where.append(Violation.decision_date <= decided_to)
    return {
        key: _violation_counts(column, where)
        for key, column in (
            ("city", Enterprise.city_code),
            ("category", Violation.category),
            ("severity", Violation.severity),
        )
    }


def _violation_counts(column: Any, where: list) -> list[tuple[str, int]]:
    """Violations grouped by ``column`` (an Enterprise or Violation column), largest first.
    Always joined to their enterprise: ``where`` may name its columns (a jurisdiction)."""
    stmt = (
        sa.select(column, sa.func.count())
        .select_from(Violation)
        .join(Enterprise, Violation.enterprise_id == Enterprise.id)
    )
    rows = db.session.execute(
        stmt.where(*where).group_by(column).order_by(sa.func.count().desc(), column)
    ).all()
    return [(value, n) for value, n in rows]


def _month(column: Any) -> Any:
    """'YYYY-MM' of a date or timestamp column, on SQLite and PostgreSQL alike."""
    # Literal bounds, not parameters: PostgreSQL must see the GROUP BY expression as the
    # very one selected, which two separate placeholders would not be.
    return sa.func.substr(
        sa.cast(column, sa.String), sa.literal_column("1"), sa.literal_column("7")
    )


def _months_back(today: date, n: int) -> list[str]:
    year, month = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


#: Public statistics are computed at most once per this many seconds per process and
#: database: they group every pledge, record and rating, which a million enterprises
#: make too slow to do on each request.
STATISTICS_MAX_AGE = 300.0
STATISTICS_MONTHS = 12
_cache: dict[tuple[str, date], tuple[float, dict[str, Any]]] = {}


def clear_statistics_cache() -> None:
    _cache.clear()


def public_statistics(identity: Identity) -> dict[str, Any]:
    """What anyone may see in aggregate: pledges in force, records inside their publicity
    window and current grades, by city, category, severity, grade and month (the last
    ``STATISTICS_MONTHS``). Cached for ``STATISTICS_MAX_AGE`` seconds."""
    require(can_read_public(identity))
    today = clock.today()
    key = (str(db.session.get_bind().url), today)
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < STATISTICS_MAX_AGE:
        return hit[1]
    data = _public_statistics(today)
    _cache[key] = (time.monotonic(), data)
    return data


def _public_statistics(today: date) -> dict[str, Any]:
    from credit.pledges.models import Pledge
    from credit.ratings.models import CurrentRating

    months = _months_back(today, STATISTICS_MONTHS)
    first = date.fromisoformat(months[0] + "-01")
    public = [publicity.public_clause(today)]
    in_force = [
        Pledge.status == "published",
        Pledge.consent_to_publish.is_(True),
        Pledge.valid_until >= today,
    ]
    session = db.session

    def pledge_counts(column: Any, *where: Any) -> list[tuple[str, int]]:
        stmt = sa.select(column, sa.func.count()).select_from(Pledge)
        if getattr(column, "table", None) is Enterprise.__table__:
            stmt = stmt.join(Enterprise, Pledge.enterprise_id == Enterprise.id)
        return [
            (v, n)
            for v, n in session.execute(stmt.where(*where).group_by(column).order_by(column)).all()
        ]

    def by_month(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
        found = dict(rows)
        return [(m, found.get(m, 0)) for m in months]

    published_month = _month(Pledge.published_at)
    decided_month = _month(Violation.decision_date)
    grades = dict(
        session.execute(
            sa.select(CurrentRating.grade, sa.func.count()).group_by(CurrentRating.grade)
        ).all()
    )
    return {
        "computed_at": clock.now(),
        "months": months,
        "enterprises": session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) or 0,
        "pledges_in_force": session.scalar(
            sa.select(sa.func.count()).select_from(Pledge).where(*in_force)
        )
        or 0,
        "violations_public": session.scalar(
            sa.select(sa.func.count()).select_from(Violation).where(*public)
        )
        or 0,
        "pledges_by_city": pledge_counts(Enterprise.city_code, *in_force),
        "pledges_by_month": by_month(
            pledge_counts(
                published_month,
                Pledge.status.in_(("published", "superseded")),
                Pledge.consent_to_publish.is_(True),
                Pledge.published_at >= clock.start_of_day(first),
            )
        ),
        "violations_by_city": _violation_counts(Enterprise.city_code, public),
        "violations_by_category": _violation_counts(Violation.category, public),
        "violations_by_severity": _violation_counts(Violation.severity, public),
        "violations_by_month": by_month(
            [
                (m, n)
                for m, n in session.execute(
                    sa.select(decided_month, sa.func.count())
                    .where(
                        Violation.status != "revoked",
                        Violation.published.is_(True),
                        Violation.decision_date >= first,
                    )
                    .group_by(decided_month)
                ).all()
            ]
        ),
        "grades": [(g, grades.get(g, 0)) for g in GRADES],
        "tiers_by_city": [
            (city, tier, n)
            for city, tier, n in session.execute(
                sa.select(Enterprise.city_code, CurrentRating.tier, sa.func.count())
                .join(CurrentRating, CurrentRating.enterprise_id == Enterprise.id)
                .group_by(Enterprise.city_code, CurrentRating.tier)
            ).all()
        ],
    }
