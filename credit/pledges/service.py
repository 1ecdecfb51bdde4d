"""Pledge services: templates (operators) and pledges (enterprises), with a state machine.

    draft --publish--> published --withdraw--> withdrawn
      ^                    |  \\--(valid_until passes)--> expired (read from the dates)
      |                  amend
      +-- new version <----+      publishing the amendment: old version -> superseded

Published versions are immutable; every state change is one unit of work with its change
event. ``expected_version`` (from If-Match) guards every change to an existing pledge.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from credit import clock, publicity
from credit.enterprises.models import Enterprise, new_id
from credit.enterprises.service import get_enterprise
from credit.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    ValidationFailed,
    require_version,
)
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.pagination import Page
from credit.permissions import can_manage_registry, can_read_public, is_owner, require
from credit.planner import unindexed_on_sqlite
from credit.pledges.models import Pledge, PledgeTemplate
from credit.pledges.schemas import MAX_SPAN_DAYS
from credit.pledges.vocab import PLEDGE_TYPES, SEED_TEMPLATES
from credit.uow import UnitOfWork

ENTITY = "pledge"
PUBLIC_STATES = ("published", "superseded", "withdrawn")


# -- templates ------------------------------------------------------------------------
def list_templates(identity: Identity) -> list[PledgeTemplate]:
    require(can_read_public(identity))
    stmt = sa.select(PledgeTemplate).order_by(PledgeTemplate.code, PledgeTemplate.version)
    if not can_manage_registry(identity):
        stmt = stmt.where(PledgeTemplate.status == "published")
    return list(db.session.scalars(stmt))


def get_template(identity: Identity, template_id: str) -> PledgeTemplate:
    require(can_read_public(identity))
    t = db.session.get(PledgeTemplate, template_id)
    if t is None or (t.status != "published" and not can_manage_registry(identity)):
        raise NotFound("未找到承诺书模板")
    return t


def create_template(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> PledgeTemplate:
    """A new draft version of a template code (versions count up per code)."""
    require(can_manage_registry(identity))
    latest = (
        db.session.scalar(
            sa.select(sa.func.max(PledgeTemplate.version)).where(
                PledgeTemplate.code == data["code"]
            )
        )
        or 0
    )
    template = PledgeTemplate(
        code=data["code"],
        version=latest + 1,
        type=data["type"],
        title=data["title"],
        title_en=data["title_en"],
        preamble=data["preamble"],
        preamble_en=data["preamble_en"],
        clauses=[dict(c) for c in data["clauses"]],
        status="draft",
        created_at=clock.now(),
    )
    uow.session.add(template)
    uow.session.flush()
    uow.record("pledge_template", template.id, template.version)
    return template


def publish_template(identity: Identity, uow: UnitOfWork, template_id: str) -> PledgeTemplate:
    require(can_manage_registry(identity))
    template = get_template(identity, template_id)
    if template.status == "published":
        raise Conflict("模板已发布，已发布的版本不可修改")
    template.status = "published"
    template.published_at = clock.now()
    uow.record("pledge_template", template.id, template.version)
    return template


def seed_templates(identity: Identity, uow: UnitOfWork) -> list[PledgeTemplate]:
    """Publish the standard templates if no version of their code exists yet."""
    require(can_manage_registry(identity))
    created = []
    for seed in SEED_TEMPLATES:
        if db.session.scalar(
            sa.select(PledgeTemplate.id).where(PledgeTemplate.code == seed["code"])
        ):
            continue
        clauses = [
            {"code": c, "text": t, "text_en": e, "required": r} for c, t, e, r in seed["clauses"]
        ]
        template = create_template(identity, uow, {**seed, "clauses": clauses})
        created.append(publish_template(identity, uow, template.id))
    return created


# -- pledges --------------------------------------------------------------------------
def _visible(identity: Identity, pledge: Pledge) -> bool:
    if is_owner(identity, pledge.enterprise):
        return True
    if pledge.status == "draft":
        return False
    if pledge.consent_to_publish:
        return True
    if identity.kind == IdentityKind.REGULATOR:
        return publicity.covers(identity, pledge.enterprise)
    return identity.kind == IdentityKind.OPERATOR


#: How one pledge is loaded: with its enterprise (joined) but not the enterprise's shops
#: and business contact, which a pledge never shows (they still load if read). Its
#: breaches come by a lazy load, which SQLAlchemy caches whole, where the ``selectin``
#: default builds its query again for every pledge (a few percent of a publish's CPU);
#: ``get_pledge`` reads them at once, so they are still read inside the transaction (or,
#: for a draft, which has none, sets them empty without a query).
_ONE_PLEDGE = (
    sa.orm.defaultload(Pledge.enterprise).lazyload(Enterprise.shops),
    sa.orm.defaultload(Pledge.enterprise).lazyload(Enterprise.business_contact),
    sa.orm.lazyload(Pledge.breaches),
)


_ENTERPRISE_ONLY = (
    sa.orm.lazyload(Enterprise.shops),
    sa.orm.lazyload(Enterprise.business_contact),
)

# The lookups every pledge write makes, built once per process: a statement object keeps
# its SQLAlchemy cache key, which ``session.get(..., options=...)`` computed anew for each
# request (walking the loader options), about a tenth of a write's CPU.
_PLEDGE_BY_ID = sa.select(Pledge).options(*_ONE_PLEDGE).where(Pledge.id == sa.bindparam("id"))
_TEMPLATE_BY_ID = sa.select(PledgeTemplate).where(PledgeTemplate.id == sa.bindparam("id"))
_ENTERPRISE_BY_ID = (
    sa.select(Enterprise).options(*_ENTERPRISE_ONLY).where(Enterprise.id == sa.bindparam("id"))
)


def _by_id(model: type, statement: sa.Select, key: Any) -> Any:
    """``session.get(model, key)`` through a prebuilt statement: the object already in the
    session when there is one (a batch files many pledges of one template), else the one
    row of ``statement``, or None."""
    known = db.session.identity_map.get(identity_key(model, key))
    if known is not None:
        return known
    return db.session.scalars(statement, {"id": key}).one_or_none()


def get_pledge(identity: Identity, pledge_id: str) -> Pledge:
    """Drafts are their owner's alone: anyone else is told they do not exist."""
    require(can_read_public(identity))
    pledge = _by_id(Pledge, _PLEDGE_BY_ID, pledge_id)
    if pledge is None or not _visible(identity, pledge):
        raise NotFound("未找到该信用承诺")
    if pledge.status == "draft":
        # A draft has no breaches (record_breach refuses drafts, and no pledge returns to
        # draft): known without a query, one round trip fewer for a publish or an edit.
        if "breaches" not in pledge.__dict__:
            set_committed_value(pledge, "breaches", [])
    else:
        pledge.breaches  # noqa: B018  (loaded now, in this transaction: see _ONE_PLEDGE)
    return pledge


def _own(identity: Identity, pledge_id: str, expected_version: int | None) -> Pledge:
    pledge = get_pledge(identity, pledge_id)
    require(is_owner(identity, pledge.enterprise), "只能操作本企业的承诺")
    require_version(pledge.version, expected_version, "承诺")
    return pledge


def _check_content(template: PledgeTemplate, data: dict[str, Any]) -> None:
    errors = []
    if "clauses" in data:
        unknown = sorted(set(data["clauses"]) - set(template.clause_codes()))
        missing = sorted(set(template.required_codes()) - set(data["clauses"]))
        if unknown:
            errors.append(
                FieldError("clauses", f"模板中没有这些条款: {', '.join(unknown)}", "unknown_clause")
            )
        if missing:
            errors.append(
                FieldError("clauses", f"缺少必选条款: {', '.join(missing)}", "missing_clause")
            )
    if data.get("consent_to_publish") is False and PLEDGE_TYPES[template.type][2]:
        errors.append(
            FieldError("consent_to_publish", "公示类承诺必须同意公开", "consent_required")
        )
    if errors:
        raise ValidationFailed("承诺内容不符合模板", errors)


REPAIR_TYPE = "credit_repair"


def _check_repair_route(identity: Identity, template: PledgeTemplate, data: dict[str, Any]) -> None:
    """A credit-repair pledge (信用修复型) is made only when applying for repair: it names the
    firm's own public record it is for (``repair_for``). Any other template refuses that field,
    so a firm that never had a record cannot publish a 信用修复承诺书 by mistake."""
    from credit.violations.models import Violation

    target = data.get("repair_for")
    if template.type != REPAIR_TYPE:
        if target:
            raise ValidationFailed(
                "只有信用修复承诺针对失信记录",
                [
                    FieldError(
                        "repair_for",
                        "只有信用修复型承诺针对失信记录 / "
                        "only a credit-repair pledge names a record",
                        "not_repair_template",
                    )
                ],
            )
        return
    if not target:
        raise ValidationFailed(
            "信用修复承诺只能在信用修复申请中填报",
            [
                FieldError(
                    "template_id",
                    "信用修复承诺只能在信用修复申请中填报，请选择其他模板 / the credit-repair "
                    "pledge is filed only within a repair application: choose another template",
                    "repair_only",
                )
            ],
        )
    record = db.session.get(Violation, target)
    if (
        record is None
        or record.enterprise_id != identity.enterprise_id
        or record.status != "active"
        or not record.published
    ):
        raise ValidationFailed(
            "信用修复承诺须针对本企业公示中的失信记录",
            [
                FieldError(
                    "repair_for",
                    "不是本企业公示中的失信记录 / not a public record of your firm",
                    "repair_record",
                )
            ],
        )


def create_pledge(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Pledge:
    """An enterprise drafts a pledge from a published template. The enterprise is the
    caller's own, never one named in the request. The credit-repair template is accepted
    only with ``repair_for`` naming one of the firm's public records (the repair flow)."""
    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有企业可以填报承诺",
    )
    template = _by_id(PledgeTemplate, _TEMPLATE_BY_ID, data["template_id"])
    if template is None or template.status != "published":
        raise ValidationFailed(
            "模板不存在或未发布", [FieldError("template_id", "unknown or unpublished template")]
        )
    _check_repair_route(identity, template, data)
    _check_content(template, data)
    now = clock.now()
    enterprise = _by_id(Enterprise, _ENTERPRISE_BY_ID, identity.enterprise_id)
    pledge = Pledge(
        enterprise=enterprise,
        template=template,
        breaches=[],  # a new pledge has none: nothing to read back
        series_id=new_id(),
        series_version=1,
        status="draft",
        clauses=sorted(set(data["clauses"])),
        extra_commitments=data["extra_commitments"],
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        signer_name=data["signer_name"],
        signer_title=data["signer_title"],
        consent_to_publish=data["consent_to_publish"],
        created_by=identity.subject,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(pledge)
    uow.session.flush()
    uow.record(ENTITY, pledge.id, pledge.version)
    return pledge


def update_draft(
    identity: Identity,
    uow: UnitOfWork,
    pledge_id: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Pledge:
    pledge = _own(identity, pledge_id, expected_version)
    if pledge.status != "draft":
        raise Conflict("已公示的承诺不可修改；请提交变更（amendment）")
    merged = {"valid_from": pledge.valid_from, "valid_until": pledge.valid_until, **changes}
    if merged["valid_until"] < merged["valid_from"]:
        raise ValidationFailed(
            "有效期有误", [FieldError("valid_until", "早于起始日 / before valid_from")]
        )
    if (merged["valid_until"] - merged["valid_from"]).days > MAX_SPAN_DAYS:
        raise ValidationFailed(
            "有效期有误", [FieldError("valid_until", "有效期最长 5 年 / at most 5 years")]
        )
    _check_content(pledge.template, changes)
    for key, value in changes.items():
        setattr(pledge, key, sorted(set(value)) if key == "clauses" else value)
    pledge.updated_at = clock.now()
    uow.session.flush()
    uow.record(ENTITY, pledge.id, pledge.version)
    return pledge


def publish_pledge(
    identity: Identity, uow: UnitOfWork, pledge_id: str, expected_version: int | None
) -> Pledge:
    pledge = _own(identity, pledge_id, expected_version)
    if pledge.status != "draft":
        raise Conflict(f"只能发布草稿（当前状态：{pledge.status}）")
    if pledge.valid_until < clock.today():
        raise ValidationFailed("有效期已过，不能发布", [FieldError("valid_until", "已过期")])
    now = clock.now()
    previous = None
    if pledge.series_version > 1:  # a first version has no earlier one to supersede
        previous = db.session.scalar(
            sa.select(Pledge).where(
                Pledge.series_id == pledge.series_id, Pledge.status == "published"
            )
        )
    pledge.status = "published"
    pledge.published_at = now
    pledge.updated_at = now
    if previous is not None:
        previous.status = "superseded"
        previous.superseded_at = now
        previous.superseded_by_id = pledge.id
        previous.updated_at = now
    uow.session.flush()
    uow.record(ENTITY, pledge.id, pledge.version)
    if previous is not None:
        uow.record(ENTITY, previous.id, previous.version)
    return pledge


def amend_pledge(
    identity: Identity, uow: UnitOfWork, pledge_id: str, expected_version: int | None = None
) -> Pledge:
    """Start an amendment: a new draft version of a published pledge. ``expected_version``
    (If-Match, optional here) must name the pledge as the caller read it.

    Concurrent amendments of one pledge: at most one draft wins. The source row is locked
    (PostgreSQL), and the next number is read *before* looking for an open draft, so a
    request that misses a concurrent draft reads the same number and clashes with it on
    ``uq_pledge_series`` at commit, which the unit of work turns into a 409."""
    source = get_pledge(identity, pledge_id)
    require(is_owner(identity, source.enterprise), "只能变更本企业的承诺")
    db.session.execute(sa.select(Pledge.id).where(Pledge.id == source.id).with_for_update())
    db.session.refresh(source, ["status", "version"])  # as of the lock
    if expected_version is not None:
        require_version(source.version, expected_version, "承诺")
    if source.status != "published":
        raise Conflict(f"只能变更已公示的承诺（当前状态：{source.public_status(clock.today())}）")
    latest = db.session.scalar(
        sa.select(sa.func.max(Pledge.series_version)).where(Pledge.series_id == source.series_id)
    )
    open_draft = db.session.scalar(
        sa.select(Pledge.id).where(Pledge.series_id == source.series_id, Pledge.status == "draft")
    )
    if open_draft:
        raise Conflict(f"该承诺已有未发布的变更草稿 {open_draft}")
    now = clock.now()
    draft = Pledge(
        series_id=source.series_id,
        series_version=latest + 1,
        enterprise_id=source.enterprise_id,
        template_id=source.template_id,
        status="draft",
        clauses=list(source.clauses),
        extra_commitments=list(source.extra_commitments),
        valid_from=source.valid_from,
        valid_until=source.valid_until,
        signer_name=source.signer_name,
        signer_title=source.signer_title,
        consent_to_publish=source.consent_to_publish,
        created_by=identity.subject,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(draft)
    uow.session.flush()
    uow.record(ENTITY, draft.id, draft.version)
    return draft


def withdraw_pledge(
    identity: Identity, uow: UnitOfWork, pledge_id: str, reason: str, expected_version: int | None
) -> Pledge:
    pledge = _own(identity, pledge_id, expected_version)
    if pledge.status != "published":
        raise Conflict(f"只能撤回已公示的承诺（当前状态：{pledge.status}）")
    now = clock.now()
    pledge.status = "withdrawn"
    pledge.withdrawn_at = now
    pledge.withdrawal_reason = reason
    pledge.updated_at = now
    uow.session.flush()
    uow.record(ENTITY, pledge.id, pledge.version)
    return pledge


def _public_query(status: str | None) -> sa.Select:
    """Public pledges, of one public status if given. "Published" and "public" are most
    pledges: compared without the status index on SQLite (``credit.planner``), which
    otherwise read and sorted every published pledge for a page of the newest (1.2 s for
    the home page's five at 1.5 million) instead of walking ``published_at``."""
    stmt = sa.select(Pledge).where(Pledge.consent_to_publish.is_(True))
    today = clock.today()
    most = unindexed_on_sqlite(Pledge.status)
    if status == "expired":
        return stmt.where(most == "published", Pledge.valid_until < today)
    if status == "published":
        return stmt.where(most == "published", Pledge.valid_until >= today)
    if status:
        return stmt.where(Pledge.status == status)
    return stmt.where(most.in_(PUBLIC_STATES))


def public_pledges_query() -> sa.Select:
    """Every public pledge (what :func:`list_pledges` lists without filters): the open-data
    snapshot reads the same rows the API counts."""
    return _public_query(None)


def list_pledges(
    identity: Identity,
    *,
    template: str | None = None,
    status: str | None = None,
    city: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    page: int = 1,
    size: int = 20,
) -> Page:
    """Public pledges (published, superseded, withdrawn, expired); never drafts."""
    require(can_read_public(identity))
    stmt = _public_query(status)
    if template:
        stmt = stmt.join(PledgeTemplate, Pledge.template_id == PledgeTemplate.id).where(
            sa.or_(PledgeTemplate.code == template, PledgeTemplate.id == template)
        )
    if city:
        stmt = stmt.join(Enterprise, Pledge.enterprise_id == Enterprise.id).where(
            Enterprise.city_code == city
        )
    if published_from:
        stmt = stmt.where(Pledge.published_at >= clock.start_of_day(published_from))
    if published_to:
        stmt = stmt.where(Pledge.published_at < clock.start_of_day(published_to, 1))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = (
        db.session.scalars(
            stmt.order_by(Pledge.published_at.desc(), Pledge.id)
            .offset((page - 1) * size)
            .limit(size)
        )
        .unique()
        .all()
    )
    return Page(list(items), total, page, size)


def latest_pledges(identity: Identity, size: int = 5) -> list[Pledge]:
    """The most recently published pledges in force (the home page): no count, so it
    reads only the newest rows of the ``published_at`` index."""
    require(can_read_public(identity))
    stmt = _public_query("published").order_by(Pledge.published_at.desc(), Pledge.id)
    return list(db.session.scalars(stmt.limit(min(size, 50))).unique().all())


#: One firm's pledges, built once (no cache key computed per page). The firm is already in
#: the session (``get_enterprise``): not joined again, which also ran its shops' and
#: contact's loaders a second time.
_PLEDGES_OF_ENTERPRISE = (
    sa.select(Pledge)
    .where(Pledge.enterprise_id == sa.bindparam("enterprise_id"))
    .order_by(Pledge.created_at.desc())
    .options(sa.orm.lazyload(Pledge.enterprise))
)


def list_enterprise_pledges(identity: Identity, code: str) -> list[Pledge]:
    """An enterprise's pledges: the public ones, plus its drafts when it asks itself."""
    ent = get_enterprise(identity, code)
    pledges = db.session.scalars(_PLEDGES_OF_ENTERPRISE, {"enterprise_id": ent.id}).unique().all()
    return [p for p in pledges if _visible(identity, p)]


def expire_due_pledges(identity: Identity, uow: UnitOfWork, limit: int | None = None) -> int:
    """Record the change event for pledges whose validity has ended (read-time status is
    already ``expired``; this tells search and rating): all of them, or the first
    ``limit`` (the sweep commits a long catch-up in steps)."""
    require(can_manage_registry(identity))
    due = (
        db.session.scalars(
            sa.select(Pledge)
            .where(
                Pledge.status == "published",
                Pledge.valid_until < clock.today(),
                Pledge.expired_at.is_(None),
            )
            .order_by(Pledge.id)
            .limit(limit)
        )
        .unique()
        .all()
    )
    now = clock.now()
    for pledge in due:
        pledge.expired_at = now
    uow.session.flush()
    for pledge in due:
        uow.record(ENTITY, pledge.id, pledge.version)
    return len(due)


# -- platforms filing for their merchants -----------------------------------------------
MAX_BATCH = 500


def grant_mandates(
    identity: Identity, uow: UnitOfWork, platform_code: str, merchant_codes: list[str]
) -> int:
    """Operators authorise a platform to file for these merchants."""
    from credit.pledges.models import PlatformMandate

    require(can_manage_registry(identity))
    platform = get_enterprise(identity, platform_code)
    if platform.operator_type != "platform":
        raise ValidationFailed(
            "只有电子商务平台经营者可以代为填报",
            [FieldError("platform", "not a platform operator")],
        )
    granted = 0
    for code in merchant_codes:
        merchant = get_enterprise(identity, code)
        row = db.session.scalar(
            sa.select(PlatformMandate).where(
                PlatformMandate.platform_id == platform.id,
                PlatformMandate.merchant_id == merchant.id,
            )
        )
        if row is None:
            uow.session.add(
                PlatformMandate(
                    platform_id=platform.id, merchant_id=merchant.id, granted_at=clock.now()
                )
            )
            granted += 1
        elif row.revoked_at is not None:
            row.revoked_at = None
            row.granted_at = clock.now()
            granted += 1
    return granted


def _mandated(platform_id: str, merchant_id: str) -> bool:
    from credit.pledges.models import PlatformMandate

    return (
        db.session.scalar(
            sa.select(PlatformMandate.id).where(
                PlatformMandate.platform_id == platform_id,
                PlatformMandate.merchant_id == merchant_id,
                PlatformMandate.revoked_at.is_(None),
            )
        )
        is not None
    )


def file_batch(identity: Identity, items: list[dict[str, Any]]) -> list[Pledge | DomainError]:
    """A platform's batch: each validated item (``uscc``, ``publish`` and the pledge fields)
    commits on its own, so one bad item never undoes the others; the change-feed consumers
    run once at the end. Returns, per item, the pledge or the error that refused it."""
    from credit.uow import run_after_commit_hooks, unit_of_work

    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有平台企业可以代为填报",
    )
    outcomes: list[Pledge | DomainError] = []
    for raw in items:
        item = dict(raw)
        uscc, publish = item.pop("uscc"), item.pop("publish")
        try:
            with unit_of_work(run_hooks=False) as uow:
                outcomes.append(file_for_merchant(identity, uow, uscc, item, publish))
        except DomainError as exc:
            outcomes.append(exc)
    run_after_commit_hooks()
    return outcomes


def file_for_merchant(
    identity: Identity, uow: UnitOfWork, merchant_code: str, data: dict[str, Any], publish: bool
) -> Pledge:
    """A platform files (and optionally publishes) one merchant's pledge under its mandate.
    The pledge is the merchant's; ``created_by`` records the platform that filed it."""
    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有平台企业可以代为填报",
    )
    merchant = get_enterprise(identity, merchant_code)
    if not _mandated(identity.enterprise_id, merchant.id):
        raise NotFound(f"没有代 {merchant.uscc} 填报的授权")
    acting = Identity(
        IdentityKind.ENTERPRISE,
        f"{identity.subject} for {merchant.uscc}",
        enterprise_id=merchant.id,
        scopes=identity.scopes,
    )
    pledge = create_pledge(acting, uow, data)
    if publish:
        pledge = publish_pledge(acting, uow, pledge.id, pledge.version)
    return pledge


def record_breach(
    identity: Identity,
    uow: UnitOfWork,
    pledge_id: str,
    clause_code: str,
    violation_id: str,
    decided_on: date,
) -> Pledge:
    """A published violation names this clause: the pledge is breached if it was the
    version in force on the day of the conduct (``decided_on``: the violation's conduct
    date; called by the violations workflow, as the system)."""
    from credit.pledges.models import PledgeBreach
    from credit.pledges.versions import pledge_in_force_on

    require(can_manage_registry(identity))
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.status == "draft":
        raise NotFound("未找到该信用承诺")
    if clause_code not in pledge.clauses:
        message = f"该承诺不包含条款 {clause_code} / the pledge has no clause {clause_code}"
        raise ValidationFailed(message, [FieldError("clause", message)])
    if not pledge_in_force_on(pledge, decided_on):
        raise ValidationFailed(
            "违法行为发生之日该承诺版本不在有效期内 / the pledge was not in force then",
            [
                FieldError(
                    "conduct_date",
                    f"该承诺 {decided_on.isoformat()} 不在有效期内 / "
                    f"not in force on {decided_on.isoformat()}",
                )
            ],
        )
    uow.session.add(
        PledgeBreach(
            pledge_id=pledge.id,
            clause_code=clause_code,
            violation_id=violation_id,
            recorded_at=clock.now(),
        )
    )
    pledge.updated_at = clock.now()  # bumps the version: readers' ETags change
    uow.session.flush()
    uow.record(ENTITY, pledge.id, pledge.version)
    return pledge
