"""Corrections of records, the serious dishonesty list, commendations, and statistics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.errors import Conflict, FieldError, ValidationFailed, require_version
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.permissions import can_read_public, require
from credit.uow import UnitOfWork
from credit.violations.models import Commendation, Correction, SeriousListEntry, Violation
from credit.violations.service import ENTITY, get_violation
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES

CORRECTABLE = ("facts", "legal_basis", "penalty_type", "penalty_amount", "category")


def correct_violation(identity: Identity, uow: UnitOfWork, violation_id: str, field: str,
                      new_value: Any, reason: str, expected_version: int | None) -> Violation:
    """The issuing authority corrects one field; the old and new values are appended."""
    v = get_violation(identity, violation_id)
    require(identity.kind == IdentityKind.REGULATOR and identity.authority_id == v.authority_id,
            "只有作出决定的机关可以更正")
    require_version(v.version, expected_version, "记录")
    if v.status != "active":
        raise Conflict("已撤销或已修复的记录不能更正")
    if field not in CORRECTABLE:
        raise ValidationFailed("该字段不可更正", [FieldError("field", field)])
    value: Any = new_value
    if (field == "category" and value not in CATEGORIES) or \
            (field == "penalty_type" and value not in PENALTY_TYPES):
        raise ValidationFailed("取值无效", [FieldError("new_value", str(value))])
    if field == "penalty_amount":
        try:
            value = None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
        except ArithmeticError:
            raise ValidationFailed("金额无效", [FieldError("new_value", str(value))]) from None
    elif not isinstance(value, str) or len(value) < 2:
        raise ValidationFailed("取值无效", [FieldError("new_value", "至少 2 个字符")])
    old = getattr(v, field)
    uow.session.add(Correction(violation_id=v.id, field=field,
                               old_value=None if old is None else str(old),
                               new_value=None if value is None else str(value), reason=reason,
                               corrected_by=identity.subject, corrected_at=clock.now()))
    setattr(v, field, value)
    uow.session.flush()
    db.session.refresh(v)
    uow.record(ENTITY, v.id, v.version)
    return v


def _regulator_over(identity: Identity, enterprise: Enterprise) -> bool:
    return identity.kind == IdentityKind.REGULATOR and identity.covers(
        enterprise.district_code or enterprise.city_code)


def list_on_serious_list(identity: Identity, uow: UnitOfWork, data: dict[str, Any]
                         ) -> SeriousListEntry:
    enterprise = get_enterprise(identity, data["uscc"])
    require(_regulator_over(identity, enterprise) and identity.authority_id is not None,
            "只能列入本机关管辖范围内的经营者")
    if data["remove_on"] <= data["listed_on"]:
        raise ValidationFailed("移出日期须晚于列入日期", [FieldError("remove_on", "too early")])
    entry = SeriousListEntry(enterprise_id=enterprise.id, authority_id=identity.authority_id,
                             legal_basis=data["legal_basis"], reason=data["reason"],
                             listed_on=data["listed_on"], remove_on=data["remove_on"],
                             recorded_at=clock.now())
    uow.session.add(entry)
    uow.session.flush()
    uow.record("serious_list", entry.id, 1)
    return entry


def commend(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Commendation:
    enterprise = get_enterprise(identity, data["uscc"])
    require(_regulator_over(identity, enterprise) and identity.authority_id is not None,
            "只能表彰本机关管辖范围内的经营者")
    if data["valid_until"] < data["granted_on"]:
        raise ValidationFailed("有效期有误", [FieldError("valid_until", "before granted_on")])
    item = Commendation(enterprise_id=enterprise.id, authority_id=identity.authority_id,
                        title=data["title"], legal_basis=data["legal_basis"],
                        granted_on=data["granted_on"], valid_until=data["valid_until"],
                        recorded_at=clock.now())
    uow.session.add(item)
    uow.session.flush()
    uow.record("commendation", item.id, 1)
    return item


def enterprise_standing(identity: Identity, code: str) -> dict[str, list]:
    """Current serious-list entries and commendations of an enterprise (public)."""
    require(can_read_public(identity))
    enterprise = get_enterprise(identity, code)
    today = clock.today()
    listed = db.session.scalars(sa.select(SeriousListEntry).where(
        SeriousListEntry.enterprise_id == enterprise.id, SeriousListEntry.removed_at.is_(None),
        SeriousListEntry.listed_on <= today, SeriousListEntry.remove_on > today)).all()
    commended = db.session.scalars(sa.select(Commendation).where(
        Commendation.enterprise_id == enterprise.id, Commendation.granted_on <= today,
        Commendation.valid_until >= today)).all()
    return {"serious_list": list(listed), "commendations": list(commended)}


def _jurisdiction_filter(identity: Identity) -> sa.ColumnElement[bool]:
    conditions = []
    for code in identity.jurisdiction:
        if code == "320000":
            conditions.append(Enterprise.city_code.like("32%"))
        elif code.endswith("00"):
            conditions.append(Enterprise.city_code == code)
        else:
            conditions.append(Enterprise.district_code == code)
    return sa.or_(*conditions) if conditions else sa.false()


def statistics(identity: Identity, decided_from: date | None = None,
               decided_to: date | None = None) -> dict[str, list[tuple[str, int]]]:
    """Counts of records in the caller's jurisdiction by city, category and tier."""
    require(identity.kind == IdentityKind.REGULATOR, "只有监管机关可以查看统计")
    where = [Violation.status != "revoked", _jurisdiction_filter(identity)]
    if decided_from:
        where.append(Violation.decision_date >= decided_from)
    if decided_to:
        where.append(Violation.decision_date <= decided_to)
    out = {}
    for key, column in (("city", Enterprise.city_code), ("category", Violation.category),
                        ("tier", Violation.tier)):
        rows = db.session.execute(
            sa.select(column, sa.func.count()).select_from(Violation)
            .join(Enterprise, Violation.enterprise_id == Enterprise.id)
            .where(*where).group_by(column).order_by(sa.func.count().desc(), column)).all()
        out[key] = [(value, n) for value, n in rows]
    return out
