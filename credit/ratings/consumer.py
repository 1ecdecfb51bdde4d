"""The ratings consumer: re-rates every enterprise a committed change touches.

Registered on the change feed before the search indexer, so the ``rating`` events it
appends are indexed in the same catch-up round: a violation published through the API is
in the rating and in search before the request returns (after-commit hooks), or within the
poll interval for writes from other processes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from credit.changes import Change, Consumer
from credit.owners import enterprises_touched
from credit.ratings.facts import Selection
from credit.ratings.store import CONSUMER_NAME, rescore


def make_consumer(batch_size: int = 1000) -> Consumer:
    def handle(session: Session, changes: Sequence[Change]) -> None:
        ids = enterprises_touched(session, changes)
        for start in range(0, len(ids), 2000):
            rescore(session, Selection(ids=ids[start : start + 2000]), trigger="change")

    return Consumer(CONSUMER_NAME, handle, batch_size)
