"""A commerce department (a regulator of kind ``commerce`` over the owner's city) and
its identity, for key-enterprise tests; the parties come from tests/parties.py."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from credit import clock
from credit.accounts import service as accounts
from credit.accounts.models import Authority
from credit.extensions import db
from credit.identity import SYSTEM, Identity, IdentityKind
from credit.keyfirms import service as keyfirms
from credit.uow import unit_of_work

COMMERCE_SCOPES = ["enterprises:read", "keyfirms:write"]


def make_department(city: str, code: str = "COM", kind: str = "commerce") -> Identity:
    """A commerce department over ``city`` (made once) and the identity of its client."""
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        with unit_of_work() as uow:
            accounts.create_authority(
                SYSTEM, uow, code=code, name=f"{code} 商务局", jurisdiction=[city], kind=kind
            )
        authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    return Identity(
        IdentityKind.REGULATOR,
        f"client:{code}",
        authority_id=authority.id,
        scopes=frozenset(COMMERCE_SCOPES),
        jurisdiction=frozenset(authority.jurisdiction),
    )


def add(identity: Identity, code: str, category: str = "platform_operator", **extra):
    data = {
        "uscc": code,
        "category": category,
        "reason": "年交易额居全市前列",
        "listed_from": extra.pop("listed_from", clock.today()),
        "listed_until": extra.pop("listed_until", None),
        **extra,
    }
    with unit_of_work() as uow:
        return keyfirms.add_listing(identity, uow, data)


def state_of(code: str, day: date | None = None) -> str:
    page, _ = keyfirms.list_key_enterprises(SYSTEM, day=day)
    states = {r.enterprise.uscc: r.state for r in page.items}
    return states.get(code, "not listed")
