"""Which version of a pledge was in force on a day: one rule for the breach check and for
the ratings' legal view.

A series has at most one version in force on any day. A first version is in force from its
``valid_from`` (a pledge filed late still covers the period it names) to its
``valid_until``; an amendment from its publication (not before its own ``valid_from``). A
version stops being in force on the day it is superseded or withdrawn. A draft is never in
force. Days are China dates of the recorded instants.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from credit.clock import CHINA


def in_force_from(published_on: date | None, valid_from: date, amends: bool) -> date | None:
    """The first day this version is in force (None: never published)."""
    if published_on is None:
        return None
    return max(published_on, valid_from) if amends else valid_from


def in_force_on(
    day: date,
    *,
    published_on: date | None,
    valid_from: date,
    valid_until: date,
    superseded_on: date | None = None,
    withdrawn_on: date | None = None,
    amends: bool = False,
) -> bool:
    start = in_force_from(published_on, valid_from, amends)
    if start is None or not start <= day <= valid_until:
        return False
    if superseded_on is not None and superseded_on <= day:
        return False
    return withdrawn_on is None or withdrawn_on > day


def _day(instant: datetime | None) -> date | None:
    return None if instant is None else instant.astimezone(CHINA).date()


def amends_another(pledge) -> bool:
    """Did publishing this version supersede an earlier one of its series?"""
    from credit.extensions import db
    from credit.pledges.models import Pledge

    return (
        db.session.scalar(sa.select(Pledge.id).where(Pledge.superseded_by_id == pledge.id))
        is not None
    )


def pledge_in_force_on(pledge, day: date) -> bool:
    """Was ``pledge`` (a row) the version of its series in force on ``day``?"""
    if pledge.published_at is None:
        return False
    return in_force_on(
        day,
        published_on=_day(pledge.published_at),
        valid_from=pledge.valid_from,
        valid_until=pledge.valid_until,
        superseded_on=_day(pledge.superseded_at),
        withdrawn_on=_day(pledge.withdrawn_at),
        amends=amends_another(pledge),
    )
