"""Object-level rules: ``can_<action>(identity, obj)`` and ``require``.

Services call ``require(can_x(identity, obj))`` before doing anything else.
"""

from __future__ import annotations

from typing import Any

from credit.errors import PermissionDenied
from credit.identity import Identity, IdentityKind


def require(allowed: bool, detail: str = "") -> None:
    if not allowed:
        raise PermissionDenied(detail)


def can_read_public(identity: Identity, obj: Any = None) -> bool:
    """Published registry data is public: anyone, signed in or not, may read it."""
    return True


def can_manage_registry(identity: Identity) -> bool:
    """Bulk import and demo generation: the platform's operators only."""
    return identity.kind in {IdentityKind.SYSTEM, IdentityKind.OPERATOR} and identity.has_scope(
        "admin"
    )
