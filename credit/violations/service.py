"""Violation services: regulators record and revoke; the public reads what the rules allow.

A record's window comes from the rules version in force on its decision date and the regime
of its authority's kind (``credit.violations.rules``); whether it is public on a day is
``credit.publicity``'s answer. A revoked or ended record leaves public view but stays in
the database. Naming a pledge clause marks that pledge breached when the record is public.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from credit import clock, publicity
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    require_version,
)
from credit.extensions import db
from credit.identity import SYSTEM, Identity, IdentityKind
from credit.pagination import Page
from credit.permissions import can_read_public, is_owner, require
from credit.pledges import service as pledges
from credit.pledges.models import Pledge, PledgeBreach
from credit.uow import UnitOfWork
from credit.violations import breaches, rules
from credit.violations.models import Correction, Violation, ViolationClause
from credit.violations.schemas import penalty_amount_problem

ENTITY = "violation"


def competent_authorities(identity: Identity, enterprise: Enterprise) -> list[Authority]:
    """The authorities whose jurisdiction covers ``enterprise``, by name: what a regulator
    outside it is told, so that it can hand the case to one of them instead of guessing."""
    require(identity.kind == IdentityKind.REGULATOR, "只有监管机关可以查看管辖机关")
    return [
        a
        for a in db.session.scalars(sa.select(Authority).order_by(Authority.name))
        if publicity.covers(a, enterprise)
    ]


def preview_violation(
    identity: Identity, data: dict[str, Any]
) -> tuple[Violation, list[tuple[Pledge, str, str | None]]]:
    """The record ``data`` would make, checked exactly as :func:`record_violation` checks
    it, but not written: a transient row (never added to the session) and the pledge
    clauses it names, for the console's preview of what the public will see."""
    return _prepare(identity, data)


def _prepare(
    identity: Identity, data: dict[str, Any]
) -> tuple[Violation, list[tuple[Pledge, str, str | None]]]:
    """Every check of a new record, and the row it would be (not added to the session)."""
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id is not None,
        "只有监管机关可以录入违法失信信息",
    )
    enterprise = get_enterprise(identity, data["uscc"])
    require(publicity.covers(identity, enterprise), "该经营者不在本机关管辖范围内")
    today = clock.today()
    errors: list[FieldError] = []
    if data["decision_date"] > today:
        errors.append(FieldError("decision_date", "决定日期不能晚于今天", "future"))
    conduct_date = data.get("conduct_date") or data["decision_date"]
    if conduct_date > data["decision_date"]:
        errors.append(
            FieldError(
                "conduct_date",
                "违法行为发生之日不能晚于决定日期 / the conduct cannot be after the decision",
                "after_decision",
            )
        )
    amount_problem = penalty_amount_problem(data["penalty_type"], data.get("penalty_amount"))
    if amount_problem:
        errors.append(FieldError("penalty_amount", amount_problem, "penalty_amount"))
    links, clause_errors = breaches.check_items(
        data["category"], data.get("breached_clauses", []), conduct_date, enterprise.id
    )
    errors.extend(clause_errors)
    if data.get("published_on") is not None and data["published_on"] < data["decision_date"]:
        errors.append(
            FieldError("published_on", "公示日期不能早于决定日期 / before decision", "too_early")
        )
    if errors:
        raise ValidationFailed("违法失信信息有误", errors)
    authority = db.session.get(Authority, identity.authority_id)
    try:
        window = rules.window(
            data["severity"],
            data["decision_date"],
            regime=rules.regime_of(authority.kind if authority else None),
            category=data["category"],
            penalty_type=data["penalty_type"],
            penalty_amount=data.get("penalty_amount"),
            published_on=data.get("published_on") or today,
            publish_minor=bool(data.get("publish_minor")),
        )
    except LookupError:
        raise ValidationFailed(
            "该决定日期没有适用的公示规则", [FieldError("decision_date", "no rule in force")]
        ) from None
    except rules.WindowRefused as exc:
        error = FieldError(exc.field, exc.message, exc.code)
        raise ValidationFailed(exc.message, [error]) from None
    duplicate = db.session.scalar(
        sa.select(Violation.id).where(
            Violation.authority_id == identity.authority_id,
            Violation.decision_number == data["decision_number"],
        )
    )
    if duplicate:
        raise Conflict(f"决定书文号 {data['decision_number']} 已录入（{duplicate}）")
    violation = Violation(
        enterprise=enterprise,
        authority=authority,
        objection_pending=False,
        enterprise_id=enterprise.id,
        authority_id=identity.authority_id,
        category=data["category"],
        severity=data["severity"],
        decision_number=data["decision_number"],
        legal_basis=data["legal_basis"],
        facts=data["facts"],
        penalty_type=data["penalty_type"],
        penalty_amount=data.get("penalty_amount"),
        decision_date=data["decision_date"],
        conduct_date=conduct_date,
        rule_version=window.rule_version,
        regime=window.regime,
        published=window.published,
        publish_minor=bool(data.get("publish_minor")),
        publish_minor_reason=data.get("publish_minor_reason") if window.published else None,
        published_on=window.published_on,
        public_from=window.public_from,
        repairable_from=window.repairable_from,
        repair_excluded=window.repair_excluded,
        publish_until=window.publish_until,
        publish_by=window.publish_by,
        status="active",
        recorded_by=identity.subject,
        recorded_at=clock.now(),
    )
    return violation, links


def record_violation(
    identity: Identity, uow: UnitOfWork, data: dict[str, Any], violation_id: str | None = None
) -> Violation:
    """A regulator records a violation of an enterprise inside its jurisdiction.

    ``violation_id`` (the console's confirm step) fixes the new row's id in advance, so a
    confirm sent twice finds its record instead of making a second one."""
    violation, links = _prepare(identity, data)
    if violation_id is not None:
        violation.id = violation_id
    today = clock.today()
    uow.session.add(violation)
    uow.session.flush()
    uow.subject = (ENTITY, violation.id)  # the breached pledges are recorded first
    for pledge, clause, reason in links:
        uow.session.add(
            ViolationClause(
                violation_id=violation.id,
                pledge_id=pledge.id,
                clause_code=clause,
                breach_reason=reason,
            )
        )
        if publicity.is_public(violation, today):
            pledges.record_breach(
                SYSTEM, uow, pledge.id, clause, violation.id, violation.conduct_date
            )
    uow.session.flush()
    uow.record(ENTITY, violation.id, violation.version)
    return violation


def _visible(identity: Identity, v: Violation) -> bool:
    if publicity.is_public(v, clock.today()):
        return True
    if identity.kind == IdentityKind.REGULATOR and (
        identity.authority_id == v.authority_id or publicity.covers(identity, v.enterprise)
    ):
        return True
    return is_owner(identity, v.enterprise)


def get_violation(identity: Identity, violation_id: str) -> Violation:
    """Public while inside its window; otherwise only for the enterprise and regulators."""
    require(can_read_public(identity))
    v = db.session.get(Violation, violation_id)
    if v is None or not _visible(identity, v):
        raise NotFound("未找到该违法失信信息")
    return v


def revoke_violation(
    identity: Identity,
    uow: UnitOfWork,
    violation_id: str,
    reason: str,
    expected_version: int | None,
    decision_revoked_on: date | None = None,
) -> Violation:
    """The issuing authority revokes a record: it leaves public view at once, the row and
    its history stay, and the pledge breaches it caused no longer count.

    ``decision_revoked_on``: the day the decision itself was revoked (by review or a
    court; today if not given), from which the withdrawal deadline runs."""
    v = get_violation(identity, violation_id)
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id == v.authority_id,
        "只有作出决定的机关可以撤销（谁认定谁修复）",
    )
    require_version(v.version, expected_version, "记录")
    if v.status == "revoked":
        raise Conflict("该记录已撤销")
    today = clock.today()
    if decision_revoked_on is not None and not v.decision_date <= decision_revoked_on <= today:
        raise ValidationFailed(
            "撤销日期有误",
            [
                FieldError(
                    "decision_revoked_on",
                    f"应在决定日期 {v.decision_date} 与今天之间 / between the decision and today",
                    "out_of_range",
                )
            ],
        )
    now = clock.now()
    v.status, v.revoked_at, v.revocation_reason = "revoked", now, reason
    withdrawn(v, decision_revoked_on or today)
    uow.subject = (ENTITY, v.id)  # the pledges it breached are recorded first
    lift_breaches(uow, v)
    settle_revoked(uow, v, identity.subject)
    uow.session.flush()
    uow.record(ENTITY, v.id, v.version)
    return v


def withdrawn(v: Violation, decision_revoked_on: date) -> None:
    """Record when the decision was revoked and by when the record had to be withdrawn
    (SAMR Order 45 Art. 11; 行政处罚法 Art. 48(2)): it leaves public view now."""
    v.decision_revoked_on = decision_revoked_on
    v.withdraw_by = rules.withdraw_by(v.regime, decision_revoked_on)


def settle_revoked(uow: UnitOfWork, v: Violation, by: str) -> None:
    """What a revocation ends, in the same unit of work: a pending objection or repair
    application is closed with a stated outcome (it leaves the queue: nothing is left to
    decide), and a serious-list listing that rests on the record is removed, as 《市场监督管理
    严重违法失信名单管理办法》 Art. 19 requires when the penalty a listing rests on is revoked
    (quoted by a secondary source; the primary text is not in the corpus)."""
    from credit.violations.models import Objection, RepairApplication, SeriousListEntry

    now = clock.now()
    revoked_on = now.astimezone(clock.CHINA).date()
    outcome = (
        f"记录已于 {revoked_on} 撤销，无需再作决定（撤销理由：{v.revocation_reason}）/ the "
        f"record was revoked on {revoked_on}; nothing is left to decide"
    )
    for model, entity in ((Objection, "objection"), (RepairApplication, "repair")):
        pending = db.session.scalars(
            sa.select(model).where(model.violation_id == v.id, model.status == "pending")
        ).all()
        for case in pending:
            case.status = "closed"
            case.decision_reason, case.decided_by, case.decided_at = (
                outcome,
                by,
                now,
            )
            uow.session.flush()
            uow.record(entity, case.id, case.version)
    v.objection_pending = False
    listings = db.session.scalars(
        sa.select(SeriousListEntry).where(
            SeriousListEntry.violation_id == v.id, SeriousListEntry.removed_at.is_(None)
        )
    ).all()
    for entry in listings:
        entry.removed_at, entry.removed_on, entry.removed_by = now, revoked_on, by
        entry.removal_ground = "basis_revoked"
        entry.removal_reason = (
            f"列入所依据的记录 {v.decision_number} 已撤销 / the record it rests on was revoked"
        )
        uow.session.flush()
        uow.record("serious_list", entry.id, 2)


def lift_breaches(uow: UnitOfWork, v: Violation) -> None:
    """A revoked record no longer breaches the pledges it named (rows kept, marked)."""
    now = clock.now()
    breaches = db.session.scalars(
        sa.select(PledgeBreach).where(PledgeBreach.violation_id == v.id, PledgeBreach.in_force)
    ).all()
    for breach in breaches:
        breach.revoked_at = now
    for pledge_id in {b.pledge_id for b in breaches}:
        pledge = db.session.get(Pledge, pledge_id)
        pledge.updated_at = now  # a new version: readers' ETags change
        uow.session.flush()
        uow.record("pledge", pledge.id, pledge.version)


def _public(stmt: sa.Select) -> sa.Select:
    return stmt.where(publicity.public_clause(clock.today()))


def list_violations(
    identity: Identity,
    *,
    city: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
    page: int = 1,
    size: int = 20,
) -> Page:
    """Records inside their publicity window, newest decisions first."""
    require(can_read_public(identity))
    stmt = _public(sa.select(Violation))
    if city:
        stmt = stmt.join(Enterprise, Violation.enterprise_id == Enterprise.id).where(
            Enterprise.city_code == city
        )
    if category:
        stmt = stmt.where(Violation.category == category)
    if severity:
        stmt = stmt.where(Violation.severity == severity)
    if status == "under_objection":
        stmt = stmt.where(Violation.objection_pending.is_(True))
    elif status == "corrected":
        stmt = stmt.where(
            Violation.objection_pending.is_(False),
            Violation.id.in_(sa.select(Correction.violation_id)),
        )
    elif status == "published":
        stmt = stmt.where(
            Violation.objection_pending.is_(False),
            Violation.id.not_in(sa.select(Correction.violation_id)),
        )
    if decided_from:
        stmt = stmt.where(Violation.decision_date >= decided_from)
    if decided_to:
        stmt = stmt.where(Violation.decision_date <= decided_to)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = (
        db.session.scalars(
            stmt.order_by(Violation.decision_date.desc(), Violation.id)
            .offset((page - 1) * size)
            .limit(size)
        )
        .unique()
        .all()
    )
    return Page(list(items), total, page, size)


def latest_violations(identity: Identity, size: int = 5) -> list[Violation]:
    """The newest decisions inside their publicity window (the home page): no count, so
    it reads only the newest rows of the ``decision_date`` index."""
    require(can_read_public(identity))
    stmt = _public(sa.select(Violation)).order_by(Violation.decision_date.desc(), Violation.id)
    return list(db.session.scalars(stmt.limit(min(size, 50))).unique().all())


#: One firm's records, built once; the firm is already in the session (not joined again).
_VIOLATIONS_OF_ENTERPRISE = (
    sa.select(Violation)
    .where(Violation.enterprise_id == sa.bindparam("enterprise_id"))
    .order_by(Violation.decision_date.desc())
    .options(sa.orm.lazyload(Violation.enterprise))
)


def list_enterprise_violations(identity: Identity, code: str) -> list[Violation]:
    enterprise = get_enterprise(identity, code)
    rows = (
        db.session.scalars(_VIOLATIONS_OF_ENTERPRISE, {"enterprise_id": enterprise.id})
        .unique()
        .all()
    )
    return [v for v in rows if _visible(identity, v)]


def list_authority_violations(
    identity: Identity, *, status: str | None = None, limit: int = 100
) -> list[Violation]:
    """The records the caller's authority issued, newest decisions first (its console)."""
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id is not None,
        "只有监管机关可以查看本机关录入的记录",
    )
    stmt = sa.select(Violation).where(Violation.authority_id == identity.authority_id)
    if status:
        stmt = stmt.where(Violation.status == status)
    return list(
        db.session.scalars(
            stmt.order_by(Violation.decision_date.desc(), Violation.recorded_at.desc()).limit(limit)
        ).unique()
    )


def end_due_publicity(identity: Identity, uow: UnitOfWork, limit: int | None = None) -> int:
    """Record the change event of records whose publicity window has ended (they already
    read as ended; this tells search and rating): all of them, or the first ``limit``
    (the sweep commits a long catch-up in steps)."""
    from credit.permissions import can_manage_registry

    require(can_manage_registry(identity))
    due = (
        db.session.scalars(
            sa.select(Violation)
            .where(publicity.ended_clause(clock.today()), Violation.publicity_ended_at.is_(None))
            .order_by(Violation.id)
            .limit(limit)
        )
        .unique()
        .all()
    )
    now = clock.now()
    for v in due:
        v.publicity_ended_at = now
    uow.session.flush()
    for v in due:
        uow.record(ENTITY, v.id, v.version)
    return len(due)


def get_publicity_rules(identity: Identity) -> dict[str, Any]:
    """The publicity and repair rules as published (anyone may read them): every row with
    its citation, the regime of each kind of authority, how periods are counted."""
    require(can_read_public(identity))
    return {k: v for k, v in rules.table().items() if not k.startswith("_")}


#: The fields a rules revision may change on a record already on file.
WINDOW_FIELDS = (
    "rule_version",
    "regime",
    "published",
    "published_on",
    "public_from",
    "repairable_from",
    "repair_excluded",
    "publish_until",
    "publish_by",
)


def window_of(v: Violation, regime: str) -> rules.Window:
    """A recorded violation's window under the rules as they are now (its facts, the
    flag its authority set, and the day it was published or recorded)."""
    return rules.window(
        v.severity,
        v.decision_date,
        regime=regime,
        category=v.category,
        penalty_type=v.penalty_type,
        penalty_amount=v.penalty_amount,
        published_on=v.published_on or v.recorded_at.astimezone(clock.CHINA).date(),
        publish_minor=v.publish_minor,
    )


def recompute_windows(
    identity: Identity, uow: UnitOfWork, *, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Bring every record's window in line with the rules file and its authority's kind
    (after a rules revision or a change of kind): each changed record is one change event,
    so search and ratings follow. Returns what changed (old and new values), or would."""
    from credit.permissions import can_manage_registry

    require(can_manage_registry(identity))
    kinds = dict(db.session.execute(sa.select(Authority.id, Authority.kind)).all())
    out: list[dict[str, Any]] = []
    for v in db.session.scalars(sa.select(Violation).order_by(Violation.id)).unique():
        try:
            w = window_of(v, rules.regime_of(kinds.get(v.authority_id)))
        except (LookupError, rules.WindowRefused) as exc:
            out.append({"id": v.id, "decision_number": v.decision_number, "error": str(exc)})
            continue
        changed = {
            f: (getattr(v, f), getattr(w, f))
            for f in WINDOW_FIELDS
            if getattr(v, f) != getattr(w, f)
        }
        if not changed:
            continue
        out.append(
            {
                "id": v.id,
                "decision_number": v.decision_number,
                "changed": {
                    f: [None if a is None else str(a), None if b is None else str(b)]
                    for f, (a, b) in changed.items()
                },
            }
        )
        if not dry_run:
            for f, (_, new) in changed.items():
                setattr(v, f, new)
            uow.session.flush()
            uow.record(ENTITY, v.id, v.version)
    return out
