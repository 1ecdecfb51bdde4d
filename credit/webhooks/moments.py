"""Serious-list moments that only time makes: a listing that comes into force on a later
day, and one whose period runs out (``remove_on``) without a removal decision.

No request records those, so no change event said so and no ``serious_list.entered`` or
``.left`` event would be derived. The sweep calls :func:`record_due_listing_moments`, which
appends the event once for each (version 3: came into force; version 4: ran out), found by
the change feed itself: an entry that already has that event is not recorded again, so
the step is idempotent and needs no table of its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_manage_registry, require
from credit.uow import UnitOfWork
from credit.violations.models import SeriousListEntry

ENTITY = "serious_list"
#: Versions of the events this step appends (1 and 2: listed and removed, by requests).
CAME_INTO_FORCE = 3
RAN_OUT = 4


def _not_recorded(version: int) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        ChangeEvent.entity_type == ENTITY,
        ChangeEvent.entity_id == SeriousListEntry.id,
        ChangeEvent.entity_version == version,
    )


def record_due_listing_moments(
    identity: Identity, uow: UnitOfWork, limit: int | None = None
) -> int:
    """Append the event of each listing that ran out, or came into force after the day it
    was recorded, and has no such event yet (the first ``limit``); returns how many."""
    require(can_manage_registry(identity))
    today = clock.today()
    ran_out = db.session.scalars(
        sa.select(SeriousListEntry.id)
        .where(
            SeriousListEntry.removed_at.is_(None),
            SeriousListEntry.remove_on <= today,
            _not_recorded(RAN_OUT),
        )
        .order_by(SeriousListEntry.id)
        .limit(limit)
    ).all()
    for entry_id in ran_out:
        uow.record(ENTITY, entry_id, RAN_OUT)
    left = None if limit is None else limit - len(ran_out)
    if left == 0:
        return len(ran_out)
    started = db.session.execute(
        sa.select(SeriousListEntry.id, SeriousListEntry.listed_on, SeriousListEntry.recorded_at)
        .where(
            SeriousListEntry.removed_at.is_(None),
            SeriousListEntry.listed_on <= today,
            SeriousListEntry.remove_on > today,
            _not_recorded(CAME_INTO_FORCE),
        )
        .order_by(SeriousListEntry.id)
    ).all()
    due = [
        entry_id
        for entry_id, listed_on, recorded_at in started
        if listed_on > recorded_at.astimezone(clock.CHINA).date()
    ][:left]
    for entry_id in due:
        uow.record(ENTITY, entry_id, CAME_INTO_FORCE)
    return len(ran_out) + len(due)
