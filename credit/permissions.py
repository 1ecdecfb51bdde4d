"""Object-level rules: ``can_<action>(identity, obj)`` and ``require``.

Services call ``require(can_x(identity, obj))`` before doing anything else.
"""

from __future__ import annotations

from typing import Any

from credit import publicity
from credit.errors import PermissionDenied
from credit.identity import Identity, IdentityKind


def require(allowed: bool, detail: str = "") -> None:
    if not allowed:
        raise PermissionDenied(detail)


def can_read_public(identity: Identity, obj: Any = None) -> bool:
    """Published registry data is public: anyone, signed in or not, may read it."""
    return True


def is_owner(identity: Identity, enterprise: Any) -> bool:
    """The enterprise itself (its own system or its staff)."""
    return identity.kind == IdentityKind.ENTERPRISE and identity.enterprise_id == enterprise.id


def can_read_enterprise_private(identity: Identity, enterprise: Any) -> bool:
    """Non-public registry data (contacts): the enterprise, a regulator whose jurisdiction
    covers it, or an operator."""
    if is_owner(identity, enterprise):
        return True
    if identity.kind == IdentityKind.REGULATOR:
        return publicity.covers(identity, enterprise)
    return identity.kind == IdentityKind.OPERATOR


def can_update_enterprise_profile(identity: Identity, enterprise: Any) -> bool:
    """Shops and contact data are the enterprise's own declarations."""
    return is_owner(identity, enterprise)


def can_manage_registry(identity: Identity) -> bool:
    """Bulk import and demo generation: the platform's operators only."""
    return identity.kind in {IdentityKind.SYSTEM, IdentityKind.OPERATOR} and identity.has_scope(
        "admin"
    )


def commerce_authority(identity: Identity) -> Any:
    """The authority row of a commerce department (a regulator of kind ``commerce``)
    holding ``keyfirms:write``, or None: only they keep the key-enterprise list."""
    if identity.kind != IdentityKind.REGULATOR or not identity.has_scope("keyfirms:write"):
        return None
    if not identity.authority_id:
        return None
    from credit.accounts.models import Authority
    from credit.extensions import db

    authority = db.session.get(Authority, identity.authority_id)
    return authority if authority is not None and authority.kind == "commerce" else None


def can_keep_key_list(identity: Identity) -> bool:
    """Whether ``identity`` keeps the key-enterprise list (the consoles show the pages)."""
    return commerce_authority(identity) is not None


def can_manage_webhooks(identity: Identity) -> bool:
    """Registering webhook endpoints: subscriber clients holding ``webhooks:manage``."""
    return identity.kind == IdentityKind.SUBSCRIBER and identity.has_scope("webhooks:manage")


def owns_webhook(identity: Identity, endpoint: Any) -> bool:
    """A webhook endpoint is its subscriber's alone (others are told it does not exist)."""
    return can_manage_webhooks(identity) and endpoint.owner == identity.subject
