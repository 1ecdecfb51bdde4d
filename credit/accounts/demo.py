"""Demo console accounts for a local run (``make run``): one firm user and one regulator
user with known passwords, bound to a demo firm with records and the authority that issued
them. Development only: refused in production."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from credit.accounts import service
from credit.accounts.models import Authority, UserAccount
from credit.enterprises.models import Enterprise
from credit.errors import Conflict
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_manage_registry, require
from credit.scopes import ALLOWED_BY_KIND
from credit.uow import UnitOfWork

FIRM_USER = "demo-firm"
FIRM_PASSWORD = "demo-firm-2026"  # noqa: S105 (a documented local demo password)
REGULATOR_USER = "demo-regulator"
REGULATOR_PASSWORD = "demo-regulator-2026"  # noqa: S105
DEMO_CITY = "320500"  # 苏州市


@dataclass(frozen=True)
class DemoAccounts:
    firm_uscc: str | None
    firm_name: str | None
    authority_code: str | None
    created: list[str]


def _demo_firm(authority: Authority | None) -> Enterprise | None:
    """A firm with a public record issued by ``authority`` (so both consoles have work),
    else any firm in the demo city, else any firm."""
    from credit.violations.models import Violation

    if authority is not None:
        firm = db.session.scalar(
            sa.select(Enterprise)
            .join(Violation, Violation.enterprise_id == Enterprise.id)
            .where(
                Violation.authority_id == authority.id,
                Violation.status == "active",
                Violation.published.is_(True),
                Violation.objection_pending.is_(False),
                Enterprise.status == "active",
            )
            .order_by(Violation.decision_date, Enterprise.uscc)
            .limit(1)
        )
        if firm is not None:
            return firm
    return db.session.scalar(
        sa.select(Enterprise)
        .order_by((Enterprise.city_code != DEMO_CITY), Enterprise.uscc)
        .limit(1)
    )


def ensure_demo_accounts(identity: Identity, uow: UnitOfWork, *, production: bool) -> DemoAccounts:
    """Create the two demo users if they do not exist yet (idempotent)."""
    require(can_manage_registry(identity))
    if production:
        raise Conflict("演示账户只用于本地开发 (demo accounts are for development only)")
    from credit.violations.demo import ensure_demo_authorities

    authorities = ensure_demo_authorities(uow)
    authority = authorities.get(f"JS-SAMR-{DEMO_CITY[:4]}")
    firm = _demo_firm(authority)
    created: list[str] = []
    existing = set(
        db.session.scalars(
            sa.select(UserAccount.username).where(
                UserAccount.username.in_([FIRM_USER, REGULATOR_USER])
            )
        )
    )
    if firm is not None and FIRM_USER not in existing:
        if firm.city_code != DEMO_CITY:
            authority = authorities.get(f"JS-SAMR-{firm.city_code[:4]}", authority)
        service.create_user(
            identity,
            uow,
            username=FIRM_USER,
            password=FIRM_PASSWORD,
            kind="enterprise",
            display_name=f"{firm.name} 运营人员",
            scope_list=sorted(ALLOWED_BY_KIND["enterprise"]),
            uscc_code=firm.uscc,
        )
        created.append(FIRM_USER)
    if authority is not None and REGULATOR_USER not in existing:
        service.create_user(
            identity,
            uow,
            username=REGULATOR_USER,
            password=REGULATOR_PASSWORD,
            kind="regulator",
            display_name=f"{authority.name} 执法人员",
            scope_list=sorted(ALLOWED_BY_KIND["regulator"]),
            authority_code=authority.code,
        )
        created.append(REGULATOR_USER)
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.username == FIRM_USER))
    if user is not None and user.enterprise_id:
        firm = db.session.get(Enterprise, user.enterprise_id)
    return DemoAccounts(
        firm.uscc if firm else None,
        firm.name if firm else None,
        authority.code if authority else None,
        created,
    )
