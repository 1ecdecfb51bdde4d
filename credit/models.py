"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from credit.accounts.models import (
    AuthEvent,
    Authority,
    AuthorizationCode,
    OAuthClient,
    Token,
    UserAccount,
)
from credit.changes import ChangeEvent, ConsumerCursor
from credit.enterprises.models import Enterprise, Shop
from credit.idempotency import IdempotencyRecord
from credit.pledges.models import PlatformMandate, Pledge, PledgeBreach, PledgeTemplate
from credit.violations.models import (
    Objection,
    RepairApplication,
    Violation,
    ViolationClause,
)

__all__ = [
    "AuthEvent",
    "Authority",
    "AuthorizationCode",
    "ChangeEvent",
    "ConsumerCursor",
    "Enterprise",
    "IdempotencyRecord",
    "OAuthClient",
    "Objection",
    "PlatformMandate",
    "Pledge",
    "PledgeBreach",
    "PledgeTemplate",
    "RepairApplication",
    "Shop",
    "Token",
    "UserAccount",
    "Violation",
    "ViolationClause",
]
