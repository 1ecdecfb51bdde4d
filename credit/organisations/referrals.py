"""Referrals (违反自律公约转交): an organisation reports a confirmed member's breach of its
convention to a competent authority, which accepts it (it will handle the matter through
its own procedure, and may link a violation it records there) or declines it.

A referral is never a public record: neither outcome publishes anything or changes a
rating, the seal, a search document or the profile. Its change events (``referral``)
name no firm for the consumers (``credit/owners.py`` does not map them), so nothing
downstream re-rates or re-indexes. It is private to the organisation, the authority it
was sent to and operators; the firm is not shown it through the organisations API (the
authority tells the firm through its own procedure if it opens a case).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from credit import clock, publicity
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed, require_version
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.organisations.models import Membership, Referral
from credit.organisations.service import (
    _current,
    _is_operator,
    _own,
    acting_organisation,
    confirmed_member,
)
from credit.organisations.vocab import REFERRAL_STATUSES
from credit.permissions import require
from credit.uow import UnitOfWork

DECIDING_SCOPE = "violations:write"


def refer_breach(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Referral:
    """Refer a breach (``ReferralInputSchema``): the firm must be a confirmed member, the
    clauses those of the convention in force, and the authority one whose jurisdiction
    covers the firm (``credit.publicity.covers``)."""
    organisation = _own(identity)
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == data["uscc"]))
    if ent is None or confirmed_member(organisation.id, ent.id) is None:
        raise ValidationFailed(
            "只能转交本组织会员的违约线索 / only a confirmed member's breach",
            [FieldError("uscc", "不是本组织的会员 / not a confirmed member", "not_member")],
        )
    convention = _current(organisation.id)
    if convention is None:
        raise Conflict("请先发布自律公约 / publish a convention first")
    unknown = sorted(set(data["clauses"]) - set(convention.clause_codes()))
    errors = []
    if unknown:
        errors.append(
            FieldError(
                "clauses",
                f"现行公约中没有这些条款 / not in the convention in force: {', '.join(unknown)}",
                "unknown_clause",
            )
        )
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == data["authority"]))
    if authority is None:
        errors.append(FieldError("authority", "未知的监管机关 / unknown authority", "unknown"))
    elif not publicity.covers(authority, ent):
        errors.append(
            FieldError(
                "authority",
                "该机关的管辖范围不覆盖该企业 / its jurisdiction does not cover the firm",
                "not_competent",
            )
        )
    if errors:
        raise ValidationFailed("转交信息有误 / invalid referral", errors)
    assert authority is not None
    referral = Referral(
        organisation_id=organisation.id,
        enterprise_id=ent.id,
        authority_id=authority.id,
        convention_id=convention.id,
        clause_codes=sorted(data["clauses"]),
        facts=data["facts"],
        evidence=list(data.get("evidence") or []),
        status="submitted",
        created_by=identity.subject,
        created_at=clock.now(),
    )
    uow.session.add(referral)
    uow.session.flush()
    uow.record("referral", referral.id, referral.version)
    return referral


def competent_authorities(identity: Identity) -> list[tuple[Authority, list[str]]]:
    """The authorities the organisation may refer a breach to: each authority whose
    jurisdiction covers at least one confirmed member, with the USCCs of the members it
    covers (so a form offers a choice instead of asking for a code), by name."""
    organisation = _own(identity)
    members = list(
        db.session.scalars(
            sa.select(Enterprise)
            .join(Membership, Membership.enterprise_id == Enterprise.id)
            .where(
                Membership.organisation_id == organisation.id,
                Membership.status == "confirmed",
            )
        )
    )
    found = []
    for authority in db.session.scalars(sa.select(Authority).order_by(Authority.name)):
        covered = sorted(e.uscc for e in members if publicity.covers(authority, e))
        if covered:
            found.append((authority, covered))
    return found


def _deciding(identity: Identity, referral: Referral) -> bool:
    return (
        identity.kind == IdentityKind.REGULATOR
        and identity.has_scope(DECIDING_SCOPE)
        and identity.authority_id == referral.authority_id
    )


def _sees(identity: Identity, referral: Referral) -> bool:
    acting = acting_organisation(identity)
    if acting is not None and acting.id == referral.organisation_id:
        return True
    return _deciding(identity, referral) or _is_operator(identity)


def get_referral(identity: Identity, referral_id: str) -> Referral:
    """One referral: its organisation, the authority it was sent to, operators; everyone
    else is told it does not exist (404), the firm included."""
    require(
        identity.kind in {IdentityKind.ORGANISATION, IdentityKind.REGULATOR, IdentityKind.OPERATOR}
        or _is_operator(identity),
        "转交线索不公开 / referrals are not public",
    )
    referral = db.session.get(Referral, referral_id)
    if referral is None or not _sees(identity, referral):
        raise NotFound("未找到该转交 / no such referral")
    return referral


def list_referrals(identity: Identity, status: str | None = None) -> list[Referral]:
    """The organisation's referrals (sent), or an authority's inbox (received; scope
    ``violations:write``), or every referral (operators); newest first."""
    stmt = sa.select(Referral)
    acting = acting_organisation(identity)
    if acting is not None:
        stmt = stmt.where(Referral.organisation_id == acting.id)
    elif identity.kind == IdentityKind.REGULATOR and identity.has_scope(DECIDING_SCOPE):
        stmt = stmt.where(Referral.authority_id == identity.authority_id)
    else:
        require(_is_operator(identity), "转交线索不公开 / referrals are not public")
    if status:
        if status not in REFERRAL_STATUSES:
            raise ValidationFailed("状态无效", [FieldError("status", status, "invalid", "query")])
        stmt = stmt.where(Referral.status == status)
    return list(db.session.scalars(stmt.order_by(Referral.created_at.desc(), Referral.id)).unique())


def decide_referral(
    identity: Identity,
    uow: UnitOfWork,
    referral_id: str,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """The authority it was sent to accepts or declines it, with a reason
    (``ReferralDecisionSchema``). Accepting may link a violation that authority recorded
    for the firm through its own procedure. Nothing public changes either way."""
    require(
        identity.kind == IdentityKind.REGULATOR and identity.has_scope(DECIDING_SCOPE),
        "只有受理机关可以处理转交 / only the authority it was sent to",
    )
    referral = db.session.get(Referral, referral_id)
    if referral is None or not _deciding(identity, referral):
        raise NotFound("未找到该转交 / no such referral")
    if expected_version is not None:
        require_version(referral.version, expected_version, "转交")
    if referral.status != "submitted":
        raise Conflict(f"该转交已处理（{referral.status}）/ already decided")
    violation_id = data.get("violation_id")
    if violation_id:
        from credit.violations.models import Violation

        violation = db.session.get(Violation, violation_id)
        if not data["accepted"]:
            raise ValidationFailed(
                "不予受理时不能关联违法信息",
                [FieldError("violation_id", "only when accepted", "not_allowed")],
            )
        if (
            violation is None
            or violation.enterprise_id != referral.enterprise_id
            or violation.authority_id != referral.authority_id
        ):
            raise ValidationFailed(
                "未找到本机关对该企业记录的违法信息",
                [FieldError("violation_id", "not this authority's record of this firm")],
            )
    referral.status = "accepted" if data["accepted"] else "declined"
    referral.decided_at = clock.now()
    referral.decided_by = identity.subject
    referral.decision_reason = data["reason"]
    referral.violation_id = violation_id
    uow.session.flush()
    uow.record("referral", referral.id, referral.version)
    return referral
