"""Who is acting. Built by the HTTP layer from a token (or none), passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IdentityKind(StrEnum):
    ANONYMOUS = "anonymous"
    ENTERPRISE = "enterprise"
    REGULATOR = "regulator"
    OPERATOR = "operator"
    INTERNAL = "internal"  # an internal resource server (token introspection only)
    SYSTEM = "system"  # the CLI and the change-feed consumers, acting for the operator


@dataclass(frozen=True)
class Identity:
    kind: IdentityKind
    subject: str
    enterprise_id: str | None = None
    authority_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Division codes a regulator covers (320000 = the whole province).
    jurisdiction: frozenset[str] = field(default_factory=frozenset)

    def covers(self, division_code: str | None) -> bool:
        """Whether a regulator's jurisdiction includes this division (or its city)."""
        if not division_code:
            return False
        return any(
            (code == "320000" and division_code.startswith("32"))
            or (code.endswith("00") and code[:4] == division_code[:4])
            or code == division_code
            for code in self.jurisdiction
        )

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Identity(IdentityKind.ANONYMOUS, "anonymous")
SYSTEM = Identity(IdentityKind.SYSTEM, "system", scopes=frozenset({"admin"}))
