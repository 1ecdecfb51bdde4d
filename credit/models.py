"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from credit.changes import ChangeEvent, ConsumerCursor
from credit.enterprises.models import Enterprise, Shop

__all__ = ["ChangeEvent", "ConsumerCursor", "Enterprise", "Shop"]
