"""Registry services: ``verb_noun(identity, ...)``, permission checked first.

Reads use the request's session; writes go through the unit of work, which commits the rows
and their change events together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock, uscc
from credit.enterprises.models import (
    BusinessContact,
    Enterprise,
    ProfileChange,
    Shop,
    new_id,
)
from credit.errors import (
    FieldError,
    NotFound,
    ValidationFailed,
    require_version,
)
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.pagination import Page
from credit.permissions import (
    can_manage_registry,
    can_read_enterprise_private,
    can_read_public,
    can_update_enterprise_profile,
    require,
)
from credit.uow import UnitOfWork, transaction_memo

ENTITY = "enterprise"

#: Columns an import may change; anything else is server-owned.
_DATA_COLUMNS = (
    "name",
    "former_names",
    "entity_type",
    "operator_type",
    "city_code",
    "district_code",
    "industry",
    "registration_date",
    "status",
    "legal_representative",
    "legal_representative_kind",
)


def _valid_code(code: str, field_name: str = "uscc") -> str:
    result = uscc.check(code)
    if not result.valid:
        raise ValidationFailed(
            "统一社会信用代码格式不正确",
            [FieldError(field_name, f.text, f.code, "path") for f in result.faults],
        )
    return result.code


#: Built once per process: every page about a firm starts here. The contact (one row at
#: most) comes in the same statement: its own select-in load cost more than the join.
_BY_USCC = (
    sa.select(Enterprise)
    .where(Enterprise.uscc == sa.bindparam("uscc"))
    .options(sa.orm.joinedload(Enterprise.business_contact))
)


def get_enterprise(identity: Identity, code: str) -> Enterprise:
    """One enterprise by USCC. Malformed codes are a 400, unknown ones a 404.

    A page (a profile, a report) asks several services about one firm, and each finds it
    by its code: the session remembers the answer until its transaction ends."""
    require(can_read_public(identity))
    known = transaction_memo("enterprise_by_uscc")
    ent = known.get(code)  # only valid codes, as stored, are remembered
    if ent is None or ent not in db.session:
        code = _valid_code(code)
        ent = db.session.scalar(_BY_USCC, {"uscc": code})
        if ent is not None:
            known[code] = ent
    if ent is None:
        raise NotFound(f"未找到统一社会信用代码为 {code} 的经营者")
    return ent


def get_own_enterprise(identity: Identity) -> Enterprise:
    """The caller's own enterprise (an enterprise's staff or system)."""
    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有企业账户有本企业",
    )
    ent = db.session.get(Enterprise, identity.enterprise_id)
    if ent is None:
        raise NotFound("未找到本企业")
    return ent


def list_enterprises(
    identity: Identity,
    *,
    city: str | None = None,
    industry: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page:
    """Registry listing in a stable order (by USCC), filtered by city and industry."""
    require(can_read_public(identity))
    stmt = sa.select(Enterprise)
    if city:
        stmt = stmt.where(Enterprise.city_code == city)
    if industry:
        stmt = stmt.where(Enterprise.industry == industry)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(
        stmt.order_by(Enterprise.uscc).offset((page - 1) * size).limit(size)
    ).all()
    return Page(list(items), total, page, size)


def get_enterprise_contact(identity: Identity, code: str) -> Enterprise:
    """Non-public contact data. Anyone not allowed to see it is told it does not exist."""
    ent = get_enterprise(identity, code)
    if not can_read_enterprise_private(identity, ent):
        raise NotFound(f"未找到统一社会信用代码为 {ent.uscc} 的经营者联系信息")
    return ent


def update_enterprise_profile(
    identity: Identity,
    uow: UnitOfWork,
    code: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Enterprise:
    """An enterprise updates its own shops and contact data (optimistic concurrency).

    ``expected_version`` comes from ``If-Match``: missing is 428, stale is 412, so two
    editors never silently overwrite each other. ``business_contact`` None removes the
    public business contact. Each change is audited (``ProfileChange``: who, when, the
    values before and after) in the same commit as the change itself.
    """
    ent = get_enterprise(identity, code)
    require(can_update_enterprise_profile(identity, ent), "只能修改本企业的信息")
    require_version(ent.version, expected_version, "信息")
    changes = dict(changes)
    fields = sorted(changes)
    before = {k: v for k, v in _profile_snapshot(ent).items() if k in changes}
    now = clock.now()
    if "shops" in changes:
        ent.shops = [Shop(**row) for row in _shop_rows(ent.id, changes.pop("shops"))]
    if "business_contact" in changes:
        _set_business_contact(ent, changes.pop("business_contact"), identity.subject, now)
    for key, value in changes.items():
        setattr(ent, key, value)
    ent.updated_at = now
    uow.session.flush()  # bumps the version; a concurrent commit makes this fail (stale)
    after = {k: v for k, v in _profile_snapshot(ent).items() if k in fields}
    uow.session.add(
        ProfileChange(
            enterprise_id=ent.id,
            enterprise_version=ent.version,
            changed_at=now,
            changed_by=identity.subject,
            fields=fields,
            before=before,
            after=after,
        )
    )
    uow.record(ENTITY, ent.id, ent.version)
    return ent


def _set_business_contact(
    ent: Enterprise, data: dict[str, Any] | None, subject: str, now: Any
) -> None:
    if data is None:
        ent.business_contact = None
        return
    contact = ent.business_contact or BusinessContact(enterprise_id=ent.id)
    contact.phone = data.get("phone")
    contact.email = data.get("email")
    contact.address = data.get("address")
    contact.public = bool(data["public"])
    contact.updated_at = now
    contact.updated_by = subject
    ent.business_contact = contact


def _profile_snapshot(ent: Enterprise) -> dict[str, Any]:
    """What a firm may change about itself, as plain values (for the audit trail)."""
    contact = ent.business_contact
    return {
        "shops": [
            {"platform": s.platform, "shop_name": s.shop_name, "url": s.url} for s in ent.shops
        ],
        "business_contact": None
        if contact is None
        else {
            "phone": contact.phone,
            "email": contact.email,
            "address": contact.address,
            "public": contact.public,
        },
        "customer_service_phone": ent.customer_service_phone,
        "customer_service_email": ent.customer_service_email,
    }


def profile_changes(identity: Identity, code: str, limit: int = 20) -> list[ProfileChange]:
    """The audit trail of a firm's profile changes, newest first: the firm itself and the
    authorities that may see its non-public data."""
    ent = get_enterprise(identity, code)
    if not can_read_enterprise_private(identity, ent):
        raise NotFound(f"未找到统一社会信用代码为 {ent.uscc} 的经营者联系信息")
    return list(
        db.session.scalars(
            sa.select(ProfileChange)
            .where(ProfileChange.enterprise_id == ent.id)
            .order_by(ProfileChange.changed_at.desc(), ProfileChange.enterprise_version.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class UsccReport:
    """The public USCC utility's answer."""

    check: uscc.UsccCheck
    registered: bool
    name: str | None = None


def check_uscc(identity: Identity, code: str) -> UsccReport:
    require(can_read_public(identity))
    result = uscc.check(code)
    ent = None
    if result.valid:
        ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == result.code))
    return UsccReport(result, ent is not None, ent.name if ent else None)


def count_enterprises(identity: Identity) -> int:
    require(can_read_public(identity))
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) or 0


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Any] = field(default_factory=list)


def import_enterprises(
    identity: Identity,
    uow: UnitOfWork,
    records: Iterable[dict],
    stats: ImportStats | None = None,
    chunk_size: int = 2000,
) -> ImportStats:
    """Insert or update validated records (from ``EnterpriseRecordSchema``), keyed on USCC.

    Idempotent: a record equal to the stored row changes nothing and emits no event. Works in
    chunks with Core statements so a million rows fit in memory and minutes; every changed
    row bumps its version and appends a change event in the caller's unit of work.
    """
    require(can_manage_registry(identity))
    stats = stats or ImportStats()
    for chunk in _chunks(records, chunk_size):
        _import_chunk(uow, chunk, stats)
        uow.flush_events()
    return stats


def _chunks(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: dict[str, dict] = {}
    for rec in records:
        if rec["uscc"] in chunk:
            # Never merge silently (the last row would win); the CSV reader rejects both
            # rows of a duplicated code with their line numbers before they get here.
            raise ValidationFailed(
                f"统一社会信用代码 {rec['uscc']} 在同一批导入中出现两次",
                [FieldError("uscc", "同一批导入中重复的代码 (duplicate code)", "duplicate")],
            )
        chunk[rec["uscc"]] = rec
        if len(chunk) >= size:
            yield list(chunk.values())
            chunk = {}
    if chunk:
        yield list(chunk.values())


def _shop_rows(enterprise_id: str, shops: list[dict]) -> list[dict]:
    return [
        {
            "id": new_id(),
            "enterprise_id": enterprise_id,
            "position": i,
            "platform": s["platform"],
            "shop_name": s["shop_name"],
            "url": s.get("url"),
        }
        for i, s in enumerate(shops)
    ]


def _import_chunk(uow: UnitOfWork, chunk: list[dict], stats: ImportStats) -> None:
    session: Session = uow.session
    now = clock.now()
    codes = [r["uscc"] for r in chunk]
    existing = {
        e.uscc: e
        for e in session.scalars(sa.select(Enterprise).where(Enterprise.uscc.in_(codes))).all()
    }
    inserts, shop_inserts = [], []
    for rec in chunk:
        shops = [
            {"platform": s["platform"], "shop_name": s["shop_name"], "url": s.get("url")}
            for s in rec.get("shops", [])
        ]
        data = {k: rec.get(k) for k in _DATA_COLUMNS}
        data["former_names"] = list(data["former_names"] or [])
        ent = existing.get(rec["uscc"])
        if ent is None:
            eid = new_id()
            inserts.append(
                {
                    "id": eid,
                    "uscc": rec["uscc"],
                    **data,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            shop_inserts.extend(_shop_rows(eid, shops))
            uow.record(ENTITY, eid, 1)
            stats.created += 1
            continue
        current = {k: getattr(ent, k) for k in _DATA_COLUMNS}
        current_shops = [
            {"platform": s.platform, "shop_name": s.shop_name, "url": s.url} for s in ent.shops
        ]
        if current == data and current_shops == shops:
            stats.unchanged += 1
            continue
        for k, v in data.items():
            setattr(ent, k, v)
        ent.updated_at = now
        if current_shops != shops:
            ent.shops = [Shop(**row) for row in _shop_rows(ent.id, shops)]
        session.flush()  # the ORM bumps ent.version (optimistic lock) here
        uow.record(ENTITY, ent.id, ent.version)
        stats.updated += 1
    if inserts:
        session.execute(sa.insert(Enterprise.__table__), inserts)
    if shop_inserts:
        session.execute(sa.insert(Shop.__table__), shop_inserts)
    session.flush()
    session.expunge_all()
