"""How the platform counts every period and deadline, in one place.

Civil Code Art. 201(1): a period counted in days, months or years starts the day after the
event (the day of the decision, publication, filing or revocation is not counted).
Art. 202: a period of months ends on the corresponding day of its last month, or on that
month's last day when it has none. The credit measures name the starting event ("自…之日起")
but no method of their own, so by Art. 204 the Code's method applies. Deadlines counted in
working days (SAMR Order 45 Arts. 9 and 11; 行政处罚法 Art. 85) follow the same rule: the
event day is not counted, the deadline is the n-th working day after it.

Art. 203 (a last day on a statutory holiday moves to the next day) protects a party who
must act by that day: a working-day deadline always ends on a working day already, and a
publicity window is no deadline to act, so no window is moved (``counting`` in
``credit/data/publicity_rules.json`` says the same, with the citations).

Every window (``repairable_from``, ``publish_until``) and every deadline (``publish_by``,
``withdraw_by``, objection and repair due dates) is computed by these functions and no
other; ``credit/workdays.py`` holds the calendar they count on.
"""

from __future__ import annotations

from datetime import date

from credit import workdays
from credit.errors import DomainError
from credit.scoring.calendar import add_months, next_day


def last_day(event: date, months: int) -> date:
    """The last day of a period of ``months`` months after ``event``: the event day is not
    counted (Art. 201), so it ends on the corresponding day ``months`` later (Art. 202),
    clamped to the end of a shorter month. ``months == 0`` is no period: ``event``."""
    if months < 0:
        raise ValueError("months must be >= 0")
    return add_months(event, months)


def first_day_after(event: date, months: int) -> date:
    """The first day after a period of ``months`` months that follows ``event`` has run
    out (届满后): the day after :func:`last_day`. With no period (``months == 0``) the
    event day itself (nothing to wait for)."""
    return event if months == 0 else next_day(last_day(event, months))


def workday_deadline(event: date, workdays_: int) -> date:
    """The last day of a deadline of ``workdays_`` working days after ``event`` (the event
    day is not counted, even when it is a working day)."""
    return workdays.add_workdays(event, workdays_)


def workday_deadline_or_none(event: date, workdays_: int) -> date | None:
    """:func:`workday_deadline`, or None when the working-day calendar cannot answer for
    these dates (a year it does not hold): a deadline shown for information is then
    unknown, never guessed."""
    try:
        return workday_deadline(event, workdays_)
    except (LookupError, ValueError, DomainError):
        return None


def late(done_on: date | None, deadline: date | None) -> bool | None:
    """Whether something done on ``done_on`` missed ``deadline`` (its last day is still in
    time); None when either is unknown."""
    if done_on is None or deadline is None:
        return None
    return done_on > deadline
