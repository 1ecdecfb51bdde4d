"""Which enterprises a batch of change events concerns.

The ratings consumer re-rates them and the search indexer re-indexes their documents; both
read it here, so a new kind of record is mapped to its enterprise once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.changes import Change
from credit.keyfirms.models import KeyListing, KeyReminder
from credit.pledges.models import Pledge
from credit.violations.models import Commendation, SeriousListEntry, Violation

#: entity type -> the table whose ``enterprise_id`` the event's entity id resolves to.
_OWNERS = {
    "pledge": Pledge,
    "violation": Violation,
    "commendation": Commendation,
    "serious_list": SeriousListEntry,
    "key_listing": KeyListing,
    "key_reminder": KeyReminder,
}


def enterprises_touched(session: Session, changes: Sequence[Change]) -> list[str]:
    """Ids of the enterprises the changes are about (in first-seen order): enterprise
    events themselves, and the owners of pledges, violations, commendations and listings."""
    ids: dict[str, None] = {}
    for c in changes:
        if c.entity_type == "enterprise":
            ids[c.entity_id] = None
    for entity_type, model in _OWNERS.items():
        wanted = list({c.entity_id for c in changes if c.entity_type == entity_type})
        for start in range(0, len(wanted), 500):
            for (eid,) in session.execute(
                sa.select(model.enterprise_id).where(model.id.in_(wanted[start : start + 500]))
            ):
                ids[eid] = None
    return list(ids)
