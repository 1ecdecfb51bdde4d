"""Who is acting. Built by the HTTP layer from a token (or none), passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class IdentityKind(StrEnum):
    ANONYMOUS = "anonymous"
    ENTERPRISE = "enterprise"
    REGULATOR = "regulator"
    OPERATOR = "operator"
    ORGANISATION = "organisation"  # an industry organisation (行业组织)
    INTERNAL = "internal"  # an internal resource server (token introspection only)
    SUBSCRIBER = "subscriber"  # a system that receives webhooks (its own endpoints only)
    SYSTEM = "system"  # the CLI and the change-feed consumers, acting for the operator


@dataclass(frozen=True)
class Identity:
    kind: IdentityKind
    subject: str
    enterprise_id: str | None = None
    authority_id: str | None = None
    #: The industry organisation an organisation identity acts for.
    organisation_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Division codes a regulator covers (320000 = the whole province); whether they
    #: cover a firm is ``credit.publicity.covers``.
    jurisdiction: frozenset[str] = field(default_factory=frozenset)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Identity(IdentityKind.ANONYMOUS, "anonymous")
SYSTEM = Identity(IdentityKind.SYSTEM, "system", scopes=frozenset({"admin"}))
