"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from credit.accounts.models import (
    AuthEvent,
    Authority,
    AuthorizationCode,
    OAuthClient,
    Token,
    UserAccount,
    WebSession,
)
from credit.changes import ChangeEvent, ConsumerCursor, FailedEvent
from credit.enterprises.models import BusinessContact, Enterprise, ProfileChange, Shop
from credit.exchange.jobs import ExchangeJob, ExchangeJobRow
from credit.idempotency import IdempotencyRecord
from credit.keyfirms.models import KeyListing, KeyListingEvent, KeyReminder
from credit.leases import ConsumerLease
from credit.organisations.models import (
    Campaign,
    CampaignParticipation,
    Convention,
    Membership,
    Organisation,
    Referral,
)
from credit.pledges.models import PlatformMandate, Pledge, PledgeBreach, PledgeTemplate
from credit.ratings.models import CurrentRating, RatingRecord
from credit.reports.models import CreditReport
from credit.translog.records import LogCheckpoint, LogRecord
from credit.translog.store import LogHead, LogLeaf, LogNode
from credit.violations.models import (
    Commendation,
    Correction,
    Objection,
    RepairApplication,
    SeriousListEntry,
    Violation,
    ViolationClause,
)
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint
from credit.workcalendar.models import CalendarYearRecord

__all__ = [
    "AuthEvent",
    "Authority",
    "AuthorizationCode",
    "BusinessContact",
    "CalendarYearRecord",
    "Campaign",
    "CampaignParticipation",
    "ChangeEvent",
    "Commendation",
    "ConsumerCursor",
    "ConsumerLease",
    "Convention",
    "Correction",
    "CreditReport",
    "CurrentRating",
    "Enterprise",
    "ExchangeJob",
    "ExchangeJobRow",
    "FailedEvent",
    "IdempotencyRecord",
    "KeyListing",
    "KeyListingEvent",
    "KeyReminder",
    "LogCheckpoint",
    "LogHead",
    "LogLeaf",
    "LogNode",
    "LogRecord",
    "Membership",
    "OAuthClient",
    "Objection",
    "Organisation",
    "PlatformMandate",
    "Pledge",
    "PledgeBreach",
    "PledgeTemplate",
    "ProfileChange",
    "RatingRecord",
    "Referral",
    "RepairApplication",
    "SeriousListEntry",
    "Shop",
    "Token",
    "UserAccount",
    "Violation",
    "ViolationClause",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
]
