"""The domain's bounds on every date a client can send, in one place.

A date a client sends ends up in date arithmetic (validity ends + 1 day, windows of months
after a decision, the next date a rating changes); one far date (``9999-12-31``) once made
``date + 1 day`` overflow in the ratings consumer and froze every firm's rating. So every
input date is checked against a named bound here, before any service sees it, and each
bound says why it is where it is. The bounds are inclusive; those relative to today move
with ``credit.clock``.

==================  ==========================================  ===================
bound               range (inclusive)                           fields
==================  ==========================================  ===================
``DECISION``        first publicity rule in force .. today      violation decision_date,
                                                                serious-list listed_on,
                                                                commendation granted_on
``STANDING_END``    first publicity rule in force .. today + 5y serious-list remove_on,
                                                                commendation valid_until
``PLEDGE_START``    today - 1y .. today + 1y                    pledge valid_from
``PLEDGE_END``      today - 1y .. today + 5y                    pledge valid_until
``REGISTRATION``    1949-10-01 .. today                         enterprise registration_date
``FILTER``          1949-10-01 .. today + 5y                    date_from/to, published_from/to,
                                                                decided_from/to
``REPLAY``          2000-01-01 .. today                         rating as_of
==================  ==========================================  ===================

Input schemas use :class:`BoundedDate`; a date out of range is a per-field error naming the
range and the reason, in Chinese with English beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from marshmallow import ValidationError, fields

from credit import clock
from credit.scoring.calendar import add_months

#: How far ahead a validity period may reach (pledges, commendations, serious-list
#: removal): the longest the rules give (a serious record: 3 years) with room to spare.
MAX_YEARS_AHEAD = 5
#: A pledge may start up to a year before it is filed (filed late for a period already
#: begun) or up to a year after (filed ahead for next year), no further.
PLEDGE_START_YEARS = 1
#: The registry of the People's Republic starts here: an earlier founding date is a typo.
EARLIEST_REGISTRATION = date(1949, 10, 1)
#: Ratings are replayed from this date on (no scoring model is meant for earlier years).
EARLIEST_REPLAY = date(2000, 1, 1)


def earliest_record() -> date:
    """The day the platform's first publicity rule version takes effect
    (``credit/data/publicity_rules.json``): no decision before it has a window."""
    from credit.violations.rules import versions

    return versions()[0].effective_from


def _years(n: int) -> Callable[[date], date]:
    return lambda today: add_months(today, 12 * n)


@dataclass(frozen=True)
class Bound:
    """An inclusive date range (its ends may depend on today), and why."""

    name: str
    earliest: Callable[[date], date]
    latest: Callable[[date], date]
    reason: str
    reason_en: str

    def range(self, today: date | None = None) -> tuple[date, date]:
        today = today or clock.today()
        return self.earliest(today), self.latest(today)

    def problem(self, value: date, today: date | None = None) -> str | None:
        """The message for ``value`` out of range, or None when it is inside."""
        lo, hi = self.range(today)
        if lo <= value <= hi:
            return None
        return (
            f"应在 {lo} 至 {hi} 之间（{self.reason}）/ must be from {lo} to {hi} ({self.reason_en})"
        )

    def check(self, value: date) -> None:
        """A marshmallow validator."""
        message = self.problem(value)
        if message is not None:
            raise ValidationError(message)


DECISION = Bound(
    "decision",
    lambda _: earliest_record(),
    lambda today: today,
    "决定不能晚于今天，也不能早于平台公示规则施行之日",
    "a decision is not in the future, nor before the platform's publicity rules apply",
)
STANDING_END = Bound(
    "standing_end",
    lambda _: earliest_record(),
    _years(MAX_YEARS_AHEAD),
    f"有效期或移出日期最远为今后 {MAX_YEARS_AHEAD} 年",
    f"a validity or removal date is at most {MAX_YEARS_AHEAD} years ahead",
)
PLEDGE_START = Bound(
    "pledge_start",
    _years(-PLEDGE_START_YEARS),
    _years(PLEDGE_START_YEARS),
    f"承诺有效期起始日应在今天前后 {PLEDGE_START_YEARS} 年内",
    f"a pledge starts within {PLEDGE_START_YEARS} year of today",
)
PLEDGE_END = Bound(
    "pledge_end",
    _years(-PLEDGE_START_YEARS),
    _years(MAX_YEARS_AHEAD),
    f"承诺有效期截止日最远为今后 {MAX_YEARS_AHEAD} 年",
    f"a pledge ends at most {MAX_YEARS_AHEAD} years ahead",
)
REGISTRATION = Bound(
    "registration",
    lambda _: EARLIEST_REGISTRATION,
    lambda today: today,
    "成立日期不能晚于今天，也不能早于 1949-10-01",
    "a registration date is not in the future, nor before 1949-10-01",
)
FILTER = Bound(
    "filter",
    lambda _: EARLIEST_REGISTRATION,
    _years(MAX_YEARS_AHEAD),
    "查询日期应在平台记录的日期范围内",
    "a query date lies within the dates the platform records",
)
REPLAY = Bound(
    "replay",
    lambda _: EARLIEST_REPLAY,
    lambda today: today,
    "评价日期不能晚于今天，也不能早于 2000-01-01",
    "a rating is replayed as of a date from 2000-01-01 to today",
)

BOUNDS = (DECISION, STANDING_END, PLEDGE_START, PLEDGE_END, REGISTRATION, FILTER, REPLAY)

#: The message for text that is not a date at all (the consoles show it as it is).
INVALID_DATE = "日期格式应为 YYYY-MM-DD (not a valid date)"


class BoundedDate(fields.Date):
    """An ISO date (``YYYY-MM-DD``) inside ``bound``; the OpenAPI description names it."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": INVALID_DATE}

    def __init__(self, bound: Bound, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None) or []
        if callable(validators):
            validators = [validators]
        metadata = dict(kwargs.pop("metadata", None) or {})
        note = f"{bound.reason} / {bound.reason_en}"
        metadata["description"] = (
            f"{metadata['description']}; {note}" if metadata.get("description") else note
        )
        super().__init__(validate=[bound.check, *validators], metadata=metadata, **kwargs)
        self.bound = bound
