"""The search indexer: a change-feed consumer that keeps the public index in step with the DB.

At-least-once and idempotent: it indexes the *current* row with its version (so replays and
out-of-order deliveries are harmless under ``external_gte``), and deletes the document when
the row is gone. ``reindex`` rebuilds an index from the database at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from credit.changes import Change, ChangeEvent, Consumer
from credit.enterprises.models import Enterprise
from credit.ratings.models import CurrentRating
from search.backend import SearchBackend
from search.documents import ENTERPRISES, enterprise_document, enterprise_version

log = logging.getLogger(__name__)

CONSUMER_NAME = "search-indexer"


#: Up to this many documents a write is made searchable at once (a request's changes).
VISIBLE_AT_ONCE = 50


def index_enterprises(session: Session, backend: SearchBackend, ids: Sequence[str]) -> int:
    """Index the current state of these enterprises; delete those that no longer exist."""
    rows = session.scalars(sa.select(Enterprise).where(Enterprise.id.in_(list(ids)))
                           .options(selectinload(Enterprise.shops))).all()
    found = {e.id for e in rows}
    ratings = {r.enterprise_id: r for r in session.scalars(
        sa.select(CurrentRating).where(CurrentRating.enterprise_id.in_(list(found))))}
    if rows:
        backend.write(ENTERPRISES, [enterprise_document(e, ratings.get(e.id)) for e in rows],
                      visible=len(rows) <= VISIBLE_AT_ONCE)
    gone = [i for i in ids if i not in found]
    if gone:
        # The last version we saw for a deleted row is unknown: use the latest event's.
        versions = dict(session.execute(
            sa.select(ChangeEvent.entity_id, sa.func.max(ChangeEvent.entity_version))
            .where(ChangeEvent.entity_id.in_(gone)).group_by(ChangeEvent.entity_id)).all())
        backend.delete(ENTERPRISES, [(i, enterprise_version(int(versions.get(i, 1)) + 1, 0))
                                     for i in gone])
    return len(rows)


def make_consumer(backend: SearchBackend, batch_size: int = 1000) -> Consumer:
    ready = {"indices": False}

    def handle(session: Session, changes: Sequence[Change]) -> None:
        if not ready["indices"]:
            backend.ensure_index(ENTERPRISES)  # the index may be new, or was dropped
            ready["indices"] = True
        # An enterprise's document changes with its row and with its rating.
        ids = list(dict.fromkeys(c.entity_id for c in changes
                                 if c.entity_type in {"enterprise", "rating"}))
        if ids:
            try:
                index_enterprises(session, backend, ids)
            except Exception:
                ready["indices"] = False
                raise

    return Consumer(CONSUMER_NAME, handle, batch_size)


def reindex(session: Session, backend: SearchBackend, batch_size: int = 2000,
            progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the enterprise index from the database (safe at any time: versioned writes)."""
    backend.ensure_index(ENTERPRISES)
    done = 0
    last = ""
    while True:
        ids = session.scalars(sa.select(Enterprise.id).where(Enterprise.id > last)
                              .order_by(Enterprise.id).limit(batch_size)).all()
        if not ids:
            break
        index_enterprises(session, backend, ids)
        session.expunge_all()
        done += len(ids)
        last = ids[-1]
        if progress:
            progress(len(ids))
    return done
