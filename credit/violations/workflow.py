"""Objections (异议) and credit repair (信用修复): enterprises apply, the issuing authority
decides, every step is a change event, due dates are counted in working days.

Due dates: an objection is decided within ``OBJECTION_WORKDAYS`` (5, extendable; a Jiangsu
figure still to be confirmed), a repair within the working days its record's regime gives on
the day of the application (``credit/data/publicity_rules.json``: 3 under the national rules,
7 under SAMR's 2025 measures). A case stores that number of working days; its due date is
computed when read on the calendar in force (``credit.workdays``, counted by
``credit.periods``: the day of filing is not counted), so it follows a newly loaded year at
once, says when it was counted through a provisional year, and is "unknown" (never
guessed) when it runs past the calendar: the case is still filed and shows in the queue,
flagged. Overdue cases show in the authority's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from credit import clock, workdays
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.permissions import is_owner, require
from credit.pledges.models import Pledge
from credit.uow import UnitOfWork
from credit.violations import rules
from credit.violations.models import Objection, RepairApplication, Violation
from credit.violations.service import (
    ENTITY,
    get_violation,
    lift_breaches,
    settle_revoked,
    withdrawn,
)

OBJECTION_WORKDAYS = 5


def _issuer(identity: Identity, v: Violation) -> bool:
    return identity.kind == IdentityKind.REGULATOR and identity.authority_id == v.authority_id


def file_objection(
    identity: Identity, uow: UnitOfWork, violation_id: str, reasons: str, attachments: list[str]
) -> Objection:
    v = get_violation(identity, violation_id)
    require(is_owner(identity, v.enterprise), "只能对本企业的记录提出异议")
    _lock(v)
    if v.status != "active":
        raise Conflict("该记录已撤销或已修复，无需异议")
    if v.objection_pending:
        raise Conflict("该记录已有正在处理的异议")
    open_repair = _pending(RepairApplication, v.id)
    if open_repair is not None:
        message = (
            f"该记录已有正在审核的信用修复申请 {open_repair}，修复申请办结前不能提出异议 / the "
            f"record has a pending repair application {open_repair}: object once it is decided"
        )
        raise Conflict(message, [FieldError("violation", message, "repair_pending", "path")])
    objection = Objection(
        violation_id=v.id,
        reasons=reasons,
        attachments=attachments,
        filed_by=identity.subject,
        filed_at=clock.now(),
        due_workdays=OBJECTION_WORKDAYS,
        status="pending",
    )
    v.objection_pending = True
    uow.session.add(objection)
    uow.session.flush()
    uow.record("objection", objection.id, objection.version)
    uow.record(ENTITY, v.id, v.version)
    return objection


def _lock(v: Violation) -> None:
    """Lock the record's row (PostgreSQL) and re-read its state, so an objection and a
    repair application filed at the same moment cannot both find the other absent."""
    db.session.execute(sa.select(Violation.id).where(Violation.id == v.id).with_for_update())
    db.session.refresh(v, ["status", "objection_pending", "version"])


def _pending(model: type, violation_id: str) -> str | None:
    """The id of the record's pending objection or repair application, if any."""
    return db.session.scalar(
        sa.select(model.id).where(model.violation_id == violation_id, model.status == "pending")
    )


def _get(model: type, identity: Identity, item_id: str) -> Any:
    item = db.session.get(model, item_id)
    if item is None:
        raise NotFound("未找到该申请")
    v = item.violation
    if not (_issuer(identity, v) or is_owner(identity, v.enterprise)):
        raise NotFound("未找到该申请")
    return item


def get_objection(identity: Identity, objection_id: str) -> Objection:
    """Only the enterprise and the issuing authority see an objection."""
    return _get(Objection, identity, objection_id)


def decide_objection(
    identity: Identity, uow: UnitOfWork, objection_id: str, upheld: bool, reason: str
) -> Objection:
    """Upheld: the record is revoked (it was wrong). Rejected: the record stands."""
    objection = get_objection(identity, objection_id)
    v = objection.violation
    require(_issuer(identity, v), "只有作出决定的机关可以审查异议")
    if objection.status != "pending":
        raise Conflict("该异议已处理")
    now = clock.now()
    objection.status = "upheld" if upheld else "rejected"
    objection.decision_reason, objection.decided_by, objection.decided_at = (
        reason,
        identity.subject,
        now,
    )
    v.objection_pending = False
    uow.subject = ("objection", objection.id)  # lifted breaches are recorded first
    if upheld:
        v.status, v.revoked_at, v.revocation_reason = "revoked", now, f"异议成立：{reason}"
        withdrawn(v, clock.today())
        lift_breaches(uow, v)
        settle_revoked(uow, v, identity.subject)
    uow.session.flush()
    uow.record("objection", objection.id, objection.version)
    uow.record(ENTITY, v.id, v.version)
    return objection


MAX_OBJECTION_EXTENSION = 15  # working days on top of the 5 (at most 20 in all)


def extend_objection(
    identity: Identity, uow: UnitOfWork, objection_id: str, days: int, reason: str
) -> Objection:
    """The issuing authority extends the due date (complex cases), with a reason."""
    objection = get_objection(identity, objection_id)
    require(_issuer(identity, objection.violation), "只有作出决定的机关可以延期")
    if objection.status != "pending":
        raise Conflict("该异议已处理")
    if days < 1 or objection.extended_days + days > MAX_OBJECTION_EXTENSION:
        raise ValidationFailed(
            f"最多延长 {MAX_OBJECTION_EXTENSION} 个工作日",
            [FieldError("days", str(days), "too_long")],
        )
    due = workdays.deadline(objection.filed_on, objection.due_workdays + days)
    if not due.known:  # the authority asked for a date: refuse it rather than guess it
        assert due.missing_year is not None
        raise workdays.CalendarNotLoaded(due.missing_year, "days")
    objection.extended_days += days
    objection.due_workdays += days
    objection.extension_reason = reason
    uow.session.flush()
    uow.record("objection", objection.id, objection.version)
    return objection


def apply_for_repair(
    identity: Identity, uow: UnitOfWork, violation_id: str, pledge_id: str, statement: str
) -> RepairApplication:
    """Once the minimum period has passed, with a published repair pledge (信用修复型)."""
    v = get_violation(identity, violation_id)
    require(is_owner(identity, v.enterprise), "只能为本企业的记录申请修复")
    _lock(v)
    today = clock.today()
    errors = []
    if v.status != "active":
        raise Conflict("该记录已撤销或已修复")
    if v.objection_pending:
        objection = _pending(Objection, v.id)
        message = (
            f"该记录的异议 {objection} 正在处理，异议办结前不能申请信用修复 / the record's "
            f"objection {objection} is pending: apply for repair once it is decided"
        )
        raise Conflict(message, [FieldError("violation", message, "objection_pending", "path")])
    if v.repair_excluded:
        errors.append(
            FieldError(
                "violation",
                "该处罚不得提前停止公示（市场监管总局令第45号第十四条第三款） / "
                "this penalty may not be repaired early (SAMR Order 45 Art. 14(3))",
                "repair_excluded",
            )
        )
    elif today < v.repairable_from:
        errors.append(
            FieldError("violation", f"最早可于 {v.repairable_from} 申请修复", "too_early")
        )
    pledge = db.session.get(Pledge, pledge_id)
    if (
        pledge is None
        or pledge.enterprise_id != v.enterprise_id
        or pledge.status != "published"
        or pledge.template.type != "credit_repair"
    ):
        errors.append(FieldError("pledge_id", "需要本企业已公示的信用修复承诺", "repair_pledge"))
    if errors:
        raise ValidationFailed("不符合信用修复条件", errors)
    if db.session.scalar(
        sa.select(RepairApplication.id).where(
            RepairApplication.violation_id == v.id, RepairApplication.status == "pending"
        )
    ):
        raise Conflict("该记录已有正在审核的修复申请")
    application = RepairApplication(
        violation_id=v.id,
        pledge_id=pledge_id,
        statement=statement,
        filed_by=identity.subject,
        filed_at=clock.now(),
        due_workdays=rules.repair_workdays(v.regime, today),
        status="pending",
    )
    uow.session.add(application)
    uow.session.flush()
    uow.record("repair", application.id, application.version)
    return application


def get_repair(identity: Identity, application_id: str) -> RepairApplication:
    return _get(RepairApplication, identity, application_id)


def decide_repair(
    identity: Identity, uow: UnitOfWork, application_id: str, approved: bool, reason: str
) -> RepairApplication:
    """Approved: publication ends at once and the record leaves the rating's negative
    inputs; the row stays. Rejected: the record stands, the applicant hears why."""
    application = get_repair(identity, application_id)
    v = application.violation
    require(_issuer(identity, v), "谁认定谁修复：只有作出决定的机关可以审核")
    if application.status != "pending":
        raise Conflict("该申请已处理")
    now = clock.now()
    application.status = "approved" if approved else "rejected"
    application.decision_reason, application.decided_by, application.decided_at = (
        reason,
        identity.subject,
        now,
    )
    if approved:
        v.status = "repaired"
    uow.session.flush()
    uow.record("repair", application.id, application.version)
    uow.record(ENTITY, v.id, v.version)
    return application


def enterprise_cases(identity: Identity) -> dict[str, list[Any]]:
    """The caller enterprise's own objections and repair applications, newest first."""
    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有企业可以查看本企业的异议与修复申请",
    )
    out: dict[str, list[Any]] = {}
    for key, model in (("objections", Objection), ("repairs", RepairApplication)):
        out[key] = list(
            db.session.scalars(
                sa.select(model)
                .join(Violation, model.violation_id == Violation.id)
                .where(Violation.enterprise_id == identity.enterprise_id)
                .order_by(model.filed_at.desc())
            ).unique()
        )
    return out


@dataclass(frozen=True)
class QueueItem:
    """A case in an authority's queue. ``deadline`` tells whether its due date is known
    and whether it was counted through a provisional year; ``workdays_left`` is None when
    it cannot be counted (the calendar does not reach the due date or today)."""

    kind: str
    item: Any
    overdue: bool
    workdays_left: int | None
    deadline: workdays.Deadline
    #: The working days left were counted through a provisional year.
    left_provisional: bool = False

    @property
    def provisional(self) -> bool:
        return self.deadline.provisional or self.left_provisional


def authority_queue(identity: Identity, kind: str, status: str = "pending") -> list[QueueItem]:
    """The caller authority's objections or repairs, with due dates and overdue flags,
    soonest due first (cases whose due date is unknown last, flagged)."""
    require(
        identity.kind == IdentityKind.REGULATOR and identity.authority_id is not None,
        "只有监管机关有审核队列",
    )
    model = Objection if kind == "objections" else RepairApplication
    rows = (
        db.session.scalars(
            sa.select(model)
            .join(Violation, model.violation_id == Violation.id)
            .where(Violation.authority_id == identity.authority_id, model.status == status)
            .order_by(model.filed_at)
        )
        .unique()
        .all()
    )
    today = clock.today()
    calendar = workdays.current()
    out = []
    for row in rows:
        due = calendar.deadline(row.filed_on, row.due_workdays)
        left: int | None = None
        left_provisional = False
        if due.due_date is not None:
            try:
                left = calendar.signed_workdays(today, due.due_date)
                lo, hi = sorted((today, due.due_date))
                left_provisional = bool(calendar.provisional_years(lo, hi))
            except workdays.CalendarNotLoaded:
                left = None  # today itself lies beyond the calendar
        overdue = row.status == "pending" and due.due_date is not None and today > due.due_date
        out.append(QueueItem(kind, row, overdue, left, due, left_provisional))
    out.sort(key=lambda q: (q.deadline.due_date is None, q.deadline.due_date or today))
    return out
