"""The ratings consumer: re-rates every enterprise a committed change touches.

Registered on the change feed before the search indexer, so the ``rating`` events it
appends are indexed in the same catch-up round: a violation published through the API is
in the rating and in search before the request returns (after-commit hooks), or within the
poll interval for writes from other processes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.changes import Change, Consumer
from credit.pledges.models import Pledge
from credit.ratings.facts import Selection
from credit.ratings.store import CONSUMER_NAME, rescore
from credit.violations.models import Commendation, SeriousListEntry, Violation

#: entity type -> the table whose ``enterprise_id`` the event's entity id resolves to.
_OWNERS = {"pledge": Pledge, "violation": Violation, "commendation": Commendation,
           "serious_list": SeriousListEntry}


def affected_enterprises(session: Session, changes: Sequence[Change]) -> list[str]:
    ids: dict[str, None] = {}
    for c in changes:
        if c.entity_type == "enterprise":
            ids[c.entity_id] = None
    for entity_type, model in _OWNERS.items():
        wanted = list({c.entity_id for c in changes if c.entity_type == entity_type})
        for start in range(0, len(wanted), 500):
            for (eid,) in session.execute(sa.select(model.enterprise_id).where(
                    model.id.in_(wanted[start:start + 500]))):
                ids[eid] = None
    return list(ids)


def make_consumer(batch_size: int = 1000) -> Consumer:
    def handle(session: Session, changes: Sequence[Change]) -> None:
        ids = affected_enterprises(session, changes)
        for start in range(0, len(ids), 2000):
            rescore(session, Selection(ids=ids[start:start + 2000]), trigger="change")

    return Consumer(CONSUMER_NAME, handle, batch_size)
