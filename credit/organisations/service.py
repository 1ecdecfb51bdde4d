"""Organisation services: the party itself (operators register it), its convention
(versioned, draft -> published -> superseded) and its member list (the organisation
invites, the firm confirms or declines, either side ends a membership with a reason).

Who may act: an identity of kind ``organisation`` (its clients and console users) holding
``organisations:write`` acts for its own organisation only; a firm holding
``enterprises:write`` answers its own invitations; operators register organisations.
What is public: an organisation, its published conventions (with history), its count of
confirmed members, and each firm's confirmed organisations. A pending, declined or ended
membership is the two parties' (and operators') business only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed, require_version
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.organisations.models import Convention, Membership, Organisation
from credit.organisations.vocab import OPEN_MEMBERSHIP, SELF_DISCIPLINE_TEMPLATE
from credit.pagination import Page
from credit.permissions import can_manage_registry, can_read_public, is_owner, require
from credit.pledges.models import PledgeTemplate
from credit.regions import DISTRICTS, JIANGSU_CITIES, PROVINCE_CODE
from credit.uow import UnitOfWork

SCOPE = "organisations:write"
#: Position 1 of a social organisation's USCC: registered by civil affairs (民政).
CIVIL_AFFAIRS = "5"


# -- who is acting -----------------------------------------------------------------------
def acting_organisation(identity: Identity) -> Organisation | None:
    """The organisation an identity acts for (kind ``organisation`` with the scope), or
    None: the consoles use it to decide which pages to show."""
    if identity.kind != IdentityKind.ORGANISATION or not identity.has_scope(SCOPE):
        return None
    if not identity.organisation_id:
        return None
    organisation = db.session.get(Organisation, identity.organisation_id)
    return organisation if organisation is not None and organisation.active else None


def _own(identity: Identity) -> Organisation:
    organisation = acting_organisation(identity)
    require(
        organisation is not None,
        "只有持有 organisations:write 的行业组织可以执行此操作 / only an industry "
        "organisation holding organisations:write may do this",
    )
    assert organisation is not None
    return organisation


def _firm_self(identity: Identity) -> Enterprise:
    require(
        identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id is not None,
        "只有企业本身可以执行此操作 / only the firm itself may do this",
    )
    ent = db.session.get(Enterprise, identity.enterprise_id)
    require(ent is not None and is_owner(identity, ent))
    assert ent is not None
    return ent


def _is_operator(identity: Identity) -> bool:
    return can_manage_registry(identity)


# -- the party ---------------------------------------------------------------------------
def _valid_division(code: str) -> bool:
    if code == PROVINCE_CODE or code in JIANGSU_CITIES:
        return True
    return any(code in districts for districts in DISTRICTS.values())


def ensure_self_discipline_template(identity: Identity, uow: UnitOfWork) -> PledgeTemplate:
    """The newest published 行业自律型 template; seeds and publishes ``INDUSTRY-SELF``
    (through the pledge service) when there is none, so a campaign always has one."""
    from credit.pledges import service as pledges

    require(can_manage_registry(identity))
    found = newest_self_discipline_template()
    if found is not None:
        return found
    seed = SELF_DISCIPLINE_TEMPLATE
    clauses = [
        {"code": c, "text": t, "text_en": e, "required": r} for c, t, e, r in seed["clauses"]
    ]
    template = pledges.create_template(identity, uow, {**seed, "clauses": clauses})
    return pledges.publish_template(identity, uow, template.id)


def newest_self_discipline_template() -> PledgeTemplate | None:
    """The newest published template of type ``industry_self_discipline`` (or None)."""
    return db.session.scalar(
        sa.select(PledgeTemplate)
        .where(
            PledgeTemplate.type == "industry_self_discipline",
            PledgeTemplate.status == "published",
        )
        .order_by(PledgeTemplate.published_at.desc(), PledgeTemplate.id)
        .limit(1)
    )


def create_organisation(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Organisation:
    """Register an organisation (``data`` loaded by ``OrganisationInputSchema``); operators
    only. Its USCC must be a social organisation's (position 1: ``5``, civil affairs)."""
    require(can_manage_registry(identity))
    errors = []
    if not data["uscc"].startswith(CIVIL_AFFAIRS):
        errors.append(
            FieldError(
                "uscc",
                "行业组织应为社会组织，统一社会信用代码第 1 位为 5（民政）/ a social "
                "organisation's code starts with 5 (civil affairs)",
                "not_social_organisation",
            )
        )
    if not _valid_division(data["division_code"]):
        errors.append(
            FieldError("division_code", "不是江苏省的行政区划代码 / not a Jiangsu division")
        )
    if errors:
        raise ValidationFailed("行业组织信息有误 / invalid organisation", errors)
    for column, key in ((Organisation.code, "code"), (Organisation.uscc, "uscc")):
        if db.session.scalar(sa.select(Organisation.id).where(column == data[key])):
            raise Conflict(f"{key} {data[key]} 已登记 / already registered")
    organisation = Organisation(
        code=data["code"],
        name=data["name"],
        name_en=data["name_en"],
        uscc=data["uscc"],
        division_code=data["division_code"],
        kind=data["kind"],
        website=data.get("website"),
        created_at=clock.now(),
    )
    uow.session.add(organisation)
    uow.session.flush()
    uow.record("organisation", organisation.id, organisation.version)
    ensure_self_discipline_template(identity, uow)
    return organisation


def list_organisations(identity: Identity, page: int = 1, size: int = 20) -> Page:
    """Active organisations, by name (public)."""
    require(can_read_public(identity))
    stmt = sa.select(Organisation).where(Organisation.disabled_at.is_(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(
        stmt.order_by(Organisation.code).offset((page - 1) * size).limit(size)
    ).all()
    return Page(list(items), total, page, size)


def get_organisation(identity: Identity, code: str) -> Organisation:
    """One organisation by code (public; a disabled one is not found)."""
    require(can_read_public(identity))
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if organisation is None or not organisation.active:
        raise NotFound(f"未找到行业组织 {code} / no such organisation")
    return organisation


def own_organisation(identity: Identity) -> Organisation:
    """The organisation the caller acts for."""
    return _own(identity)


def member_count(organisation_id: str) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(
                Membership.organisation_id == organisation_id, Membership.status == "confirmed"
            )
        )
        or 0
    )


# -- the convention ----------------------------------------------------------------------
def _draft_of(organisation_id: str) -> Convention | None:
    return db.session.scalar(
        sa.select(Convention).where(
            Convention.organisation_id == organisation_id, Convention.status == "draft"
        )
    )


def _current(organisation_id: str) -> Convention | None:
    return db.session.scalar(
        sa.select(Convention).where(
            Convention.organisation_id == organisation_id, Convention.status == "published"
        )
    )


def draft_convention(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Convention:
    """Start the next version of the convention as a draft (``ConventionDraftSchema``).
    One draft at a time: a second is a conflict naming the first."""
    organisation = _own(identity)
    existing = _draft_of(organisation.id)
    if existing is not None:
        raise Conflict(
            f"已有未发布的公约草稿 {existing.id}，请修改或发布它 / a draft exists already"
        )
    latest = (
        db.session.scalar(
            sa.select(sa.func.max(Convention.number)).where(
                Convention.organisation_id == organisation.id
            )
        )
        or 0
    )
    convention = Convention(
        organisation_id=organisation.id,
        number=latest + 1,
        status="draft",
        title=data["title"],
        title_en=data["title_en"],
        preamble=data["preamble"],
        clauses=[dict(c) for c in data["clauses"]],
        effective_from=data["effective_from"],
        created_by=identity.subject,
        created_at=clock.now(),
    )
    uow.session.add(convention)
    uow.session.flush()
    return convention


def _own_convention(identity: Identity, convention_id: str) -> Convention:
    organisation = _own(identity)
    convention = db.session.get(Convention, convention_id)
    if convention is None or convention.organisation_id != organisation.id:
        raise NotFound("未找到该公约版本 / no such convention version")
    return convention


def replace_draft_convention(
    identity: Identity,
    uow: UnitOfWork,
    convention_id: str,
    data: dict[str, Any],
    expected_version: int | None,
) -> Convention:
    """Replace the draft's content (If-Match required); a published version is immutable."""
    convention = _own_convention(identity, convention_id)
    require_version(convention.version, expected_version, "公约草稿")
    if convention.status != "draft":
        raise Conflict("已发布的公约版本不可修改，请起草新版本 / published versions are immutable")
    for key in ("title", "title_en", "preamble", "effective_from"):
        setattr(convention, key, data[key])
    convention.clauses = [dict(c) for c in data["clauses"]]
    uow.session.flush()
    return convention


def publish_convention(
    identity: Identity, uow: UnitOfWork, convention_id: str, expected_version: int | None
) -> Convention:
    """Publish the draft (If-Match required): it becomes the convention in force and the
    version before it is superseded; both stay public as history."""
    convention = _own_convention(identity, convention_id)
    require_version(convention.version, expected_version, "公约草稿")
    if convention.status != "draft":
        raise Conflict("只能发布草稿 / only a draft can be published")
    now = clock.now()
    previous = _current(convention.organisation_id)
    if previous is not None:
        previous.status = "superseded"
        previous.superseded_at = now
    convention.status = "published"
    convention.published_at = now
    uow.session.flush()
    uow.record("convention", convention.id, convention.version)
    if previous is not None:
        uow.record("convention", previous.id, previous.version)
    return convention


def current_convention(identity: Identity, code: str) -> Convention | None:
    """The convention in force of an organisation (public), or None before the first."""
    organisation = get_organisation(identity, code)
    return _current(organisation.id)


def convention_versions(identity: Identity, code: str) -> list[Convention]:
    """Every published version, newest first (public history); the organisation itself
    also sees its draft."""
    organisation = get_organisation(identity, code)
    states = ["published", "superseded"]
    acting = acting_organisation(identity)
    if acting is not None and acting.id == organisation.id:
        states.append("draft")
    return list(
        db.session.scalars(
            sa.select(Convention)
            .where(Convention.organisation_id == organisation.id, Convention.status.in_(states))
            .order_by(Convention.number.desc())
        )
    )


def get_convention(identity: Identity, convention_id: str) -> Convention:
    """One version: public once published; a draft is its organisation's alone."""
    require(can_read_public(identity))
    convention = db.session.get(Convention, convention_id)
    if convention is not None and convention.status == "draft":
        acting = acting_organisation(identity)
        if acting is None or acting.id != convention.organisation_id:
            convention = None
    if convention is None or not convention.organisation.active:
        raise NotFound("未找到该公约版本 / no such convention version")
    return convention


# -- members -----------------------------------------------------------------------------
def _pair(organisation_id: str, enterprise_id: str) -> str:
    return f"{organisation_id}:{enterprise_id}"


def invite_member(identity: Identity, uow: UnitOfWork, data: dict[str, Any]) -> Membership:
    """Invite a registered firm (``InviteSchema``): a pending membership the firm confirms
    or declines. A firm already invited or a member is a conflict."""
    organisation = _own(identity)
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == data["uscc"]))
    if ent is None:
        raise ValidationFailed(
            "未登记的经营者 / not registered",
            [FieldError("uscc", f"平台未登记此经营者 / not registered: {data['uscc']}")],
        )
    existing = db.session.scalar(
        sa.select(Membership).where(Membership.open_pair == _pair(organisation.id, ent.id))
    )
    if existing is not None:
        raise Conflict(
            f"{ent.name} 已被邀请或已是会员（{existing.status}）/ already invited or a member"
        )
    now = clock.now()
    membership = Membership(
        organisation_id=organisation.id,
        enterprise_id=ent.id,
        status="pending",
        open_pair=_pair(organisation.id, ent.id),
        message=data.get("message"),
        invited_by=identity.subject,
        invited_at=now,
    )
    uow.session.add(membership)
    uow.session.flush()
    uow.record("membership", membership.id, membership.version)
    return membership


def _membership(identity: Identity, membership_id: str) -> Membership:
    """A membership its organisation, its firm or an operator may see; 404 to others."""
    membership = db.session.get(Membership, membership_id)
    if membership is not None:
        acting = acting_organisation(identity)
        if acting is not None and acting.id == membership.organisation_id:
            return membership
        if is_owner(identity, membership.enterprise) or _is_operator(identity):
            return membership
    raise NotFound("未找到该会员关系 / no such membership")


def get_membership(identity: Identity, membership_id: str) -> Membership:
    """One membership, to its organisation, its firm or an operator."""
    require(can_read_public(identity))
    return _membership(identity, membership_id)


def _check(membership: Membership, expected_version: int | None) -> None:
    if expected_version is not None:
        require_version(membership.version, expected_version, "会员关系")


def confirm_membership(
    identity: Identity, uow: UnitOfWork, membership_id: str, expected_version: int | None = None
) -> Membership:
    """The firm confirms an invitation: it is a member from now on (public)."""
    membership = _membership(identity, membership_id)
    require(is_owner(identity, membership.enterprise), "只有受邀企业可以确认 / the firm only")
    _check(membership, expected_version)
    if membership.status != "pending":
        raise Conflict(f"只能确认待确认的邀请（当前：{membership.status}）/ not pending")
    now = clock.now()
    membership.status = "confirmed"
    membership.responded_at = membership.confirmed_at = now
    membership.responded_by = identity.subject
    uow.session.flush()
    uow.record("membership", membership.id, membership.version)
    return membership


def decline_membership(
    identity: Identity,
    uow: UnitOfWork,
    membership_id: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Membership:
    """The firm declines an invitation (the organisation may invite again later)."""
    membership = _membership(identity, membership_id)
    require(is_owner(identity, membership.enterprise), "只有受邀企业可以拒绝 / the firm only")
    _check(membership, expected_version)
    if membership.status != "pending":
        raise Conflict(f"只能拒绝待确认的邀请（当前：{membership.status}）/ not pending")
    membership.status = "declined"
    membership.open_pair = None
    membership.responded_at = clock.now()
    membership.responded_by = identity.subject
    membership.end_reason = reason
    uow.session.flush()
    uow.record("membership", membership.id, membership.version)
    return membership


def end_membership(
    identity: Identity,
    uow: UnitOfWork,
    membership_id: str,
    reason: str,
    expected_version: int | None = None,
) -> Membership:
    """Either side ends a membership (a pending invitation too: the organisation withdraws
    it, the firm declines it); the row stays with who, when, which side and why."""
    membership = _membership(identity, membership_id)
    acting = acting_organisation(identity)
    if acting is not None and acting.id == membership.organisation_id:
        side = "organisation"
    elif is_owner(identity, membership.enterprise):
        side = "enterprise"
    else:
        require(False, "只有会员关系的双方可以终止 / only the two parties may end it")
    _check(membership, expected_version)
    if membership.status not in OPEN_MEMBERSHIP:
        raise Conflict(f"会员关系已结束（{membership.status}）/ already over")
    membership.status = "ended"
    membership.open_pair = None
    membership.ended_at = clock.now()
    membership.ended_by = identity.subject
    membership.ended_by_side = side
    membership.end_reason = reason
    uow.session.flush()
    uow.record("membership", membership.id, membership.version)
    return membership


@dataclass(frozen=True)
class MemberRow:
    """A membership in the organisation's list with the member's public pledge state."""

    membership: Membership
    pledge_state: str | None


def list_members(
    identity: Identity, status: str | None = "confirmed", day: date | None = None
) -> list[MemberRow]:
    """The organisation's members (``status`` None: every membership, with history), each
    with the best state of its public pledges (credit/keyfirms/coverage.py): the same
    state anyone reads on the firm's profile, nothing private."""
    organisation = _own(identity)
    stmt = sa.select(Membership).where(Membership.organisation_id == organisation.id)
    if status:
        stmt = stmt.where(Membership.status == status)
    memberships = list(
        db.session.scalars(stmt.order_by(Membership.invited_at.desc(), Membership.id)).unique()
    )
    states = public_pledge_states([m.enterprise_id for m in memberships], day or clock.today())
    return [
        MemberRow(m, states.get(m.enterprise_id, "none") if m.status == "confirmed" else None)
        for m in memberships
    ]


def public_pledge_states(enterprise_ids: list[str], day: date) -> dict[str, str]:
    """Enterprise id -> the best state of its public pledges on ``day`` (any type)."""
    from credit.keyfirms.coverage import best, states_of
    from credit.pledges.models import Pledge

    pledges: list[Pledge] = []
    ids = list(dict.fromkeys(enterprise_ids))
    for start in range(0, len(ids), 500):
        pledges.extend(
            db.session.scalars(
                sa.select(Pledge).where(
                    Pledge.enterprise_id.in_(ids[start : start + 500]),
                    Pledge.consent_to_publish.is_(True),
                    Pledge.status.in_(("published", "withdrawn")),
                )
            )
            .unique()
            .all()
        )
    states = states_of(pledges, day)
    by_firm: dict[str, list[str | None]] = {}
    for p in pledges:
        by_firm.setdefault(p.enterprise_id, []).append(states[p.id])
    return {eid: best(by_firm.get(eid, [])) for eid in ids}


def my_memberships(identity: Identity) -> list[Membership]:
    """The firm's invitations and memberships, open ones first, with history."""
    ent = _firm_self(identity)
    rows = db.session.scalars(
        sa.select(Membership)
        .where(Membership.enterprise_id == ent.id)
        .order_by(Membership.invited_at.desc(), Membership.id)
    ).unique()
    return sorted(rows, key=lambda m: m.status not in OPEN_MEMBERSHIP)


def confirmed_member(organisation_id: str, enterprise_id: str) -> Membership | None:
    """The confirmed membership of a firm in an organisation, or None."""
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.open_pair == _pair(organisation_id, enterprise_id),
            Membership.status == "confirmed",
        )
    )


def organisations_of(enterprise_ids: list[str], session: Any = None) -> dict[str, list[str]]:
    """Enterprise id -> names of the active organisations it is a confirmed member of."""
    session = session or db.session
    out: dict[str, list[str]] = {}
    ids = list(dict.fromkeys(enterprise_ids))
    for start in range(0, len(ids), 500):
        for eid, name in session.execute(
            sa.select(Membership.enterprise_id, Organisation.name)
            .join(Organisation, Membership.organisation_id == Organisation.id)
            .where(
                Membership.enterprise_id.in_(ids[start : start + 500]),
                Membership.status == "confirmed",
                Organisation.disabled_at.is_(None),
            )
            .order_by(Organisation.name)
        ):
            out.setdefault(eid, []).append(name)
    return out


#: Built once per process: every profile page reads it.
_MEMBER_OF = (
    sa.select(Organisation)
    .join(Membership, Membership.organisation_id == Organisation.id)
    .where(
        Membership.enterprise_id == sa.bindparam("enterprise_id"),
        Membership.status == "confirmed",
        Organisation.disabled_at.is_(None),
    )
    .order_by(Organisation.name)
)


def public_memberships(identity: Identity, code: str) -> list[Organisation]:
    """The organisations a firm is a confirmed member of (public: its profile names them)."""
    ent = get_enterprise(identity, code)
    return list(db.session.scalars(_MEMBER_OF, {"enterprise_id": ent.id}))
