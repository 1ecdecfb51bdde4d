"""The two questions every layer asks, answered once.

**Is this record public on day D?** A violation is public while it is active (neither
revoked nor repaired), published (minor records only on its authority's request, a warning
alone never under SAMR's rules) and inside its window: from ``public_from`` (the decision,
or the publication where periods run from publication) to ``publish_until`` inclusive.
:func:`is_public` answers for a row, :func:`public_on` for plain values (the rating's
facts), :func:`public_clause` as SQL over the ``violation`` table (lists, counts, the
search index); :func:`public_status` names the state the pages and the API show. The
windows themselves come from ``credit.violations.rules``; this module only reads them.

**Does this authority cover this firm?** A regulator's jurisdiction is a list of Jiangsu
division codes: 320000 covers every firm of the province, a city code (``3205 00``) the
firms whose city it is, a district code the firms registered in that district.
:func:`covers` answers for an identity or an authority and an enterprise row,
:func:`covers_clause` as SQL over the ``enterprise`` table (a regulator's statistics).

The API, the pages, search documents, ratings, reports, pledges and permissions all call
these; a test fails if the rule is written again elsewhere
(``tests/unit/test_publicity_one_place.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from credit.identity import Identity, IdentityKind

PROVINCE = "320000"
#: Record states in which a record is shown to the public (its status may still say
#: "under objection" or "corrected").
PUBLIC_STATES = frozenset({"published", "under_objection", "corrected"})


# -- is this record public on day D? -------------------------------------------------------
def public_on(
    day: date,
    *,
    published: bool,
    status: str,
    public_from: date | None,
    publish_until: date,
    ended_on: date | None = None,
) -> bool:
    """The rule on plain values. ``status`` is ``active``, ``revoked`` or ``repaired``;
    ``ended_on`` the day a revocation or repair took effect (None: in effect for every
    day, as a row's current status is)."""
    if not published or public_from is None or not public_from <= day <= publish_until:
        return False
    return status == "active" or (ended_on is not None and day < ended_on)


def public_status(record: Any, day: date, corrected: bool | None = None) -> str:
    """The state of a violation row as shown on ``day``: ``revoked`` or ``repaired``,
    ``not_published``, ``pending`` (published later than ``day``), ``ended``, else
    ``under_objection``, ``corrected`` or ``published``. ``corrected``: whether it has
    corrections, when the caller read that in bulk (else its ``corrections``)."""
    if record.status in {"revoked", "repaired"}:
        return record.status
    if not record.published or record.public_from is None:
        return "not_published"
    if day < record.public_from:
        return "pending"
    if day > record.publish_until:
        return "ended"
    if record.objection_pending:
        return "under_objection"
    if corrected is None:
        corrected = bool(record.corrections)
    return "corrected" if corrected else "published"


def is_public(record: Any, day: date) -> bool:
    """Whether a violation row is shown to the public on ``day``."""
    return public_on(
        day,
        published=record.published,
        status=record.status,
        public_from=record.public_from,
        publish_until=record.publish_until,
    )


def public_clause(day: date) -> sa.ColumnElement[bool]:
    """:func:`is_public` as SQL over the ``violation`` table."""
    from credit.violations.models import Violation

    return sa.and_(
        Violation.status == "active",
        Violation.published.is_(True),
        Violation.public_from <= day,
        Violation.publish_until >= day,
    )


def made_public_clause(day: date) -> sa.ColumnElement[bool]:
    """Records that have been public by ``day``, whatever they are now (a feed tells of
    the end of a record's publicity only if it told of its start)."""
    from credit.violations.models import Violation

    return sa.and_(
        Violation.published.is_(True),
        Violation.public_from.is_not(None),
        Violation.public_from <= day,
    )


def ended_clause(day: date) -> sa.ColumnElement[bool]:
    """Active, published records whose window is over by ``day`` (the sweep records the
    end as a change event for search and ratings)."""
    from credit.violations.models import Violation

    return sa.and_(
        Violation.status == "active",
        Violation.published.is_(True),
        Violation.publish_until < day,
    )


# -- does this authority cover this firm? --------------------------------------------------
def covers_division(
    jurisdiction: Iterable[str], city_code: str | None, district: str | None
) -> bool:
    """The rule on plain values: a firm in ``city_code`` (and ``district``, if known)."""
    for code in jurisdiction:
        if code == PROVINCE:
            if city_code and city_code.startswith("32"):
                return True
        elif code.endswith("00"):
            if city_code == code:
                return True
        elif district == code:
            return True
    return False


def covers(who: Any, enterprise: Any) -> bool:
    """Whether ``who`` (a regulator's identity or an authority row) has jurisdiction over
    ``enterprise``. Anyone else (an enterprise, an operator, the public) covers no one."""
    if isinstance(who, Identity) and who.kind != IdentityKind.REGULATOR:
        return False
    return covers_division(who.jurisdiction or (), enterprise.city_code, enterprise.district_code)


def covers_clause(jurisdiction: Iterable[str]) -> sa.ColumnElement[bool]:
    """:func:`covers_division` as SQL over the ``enterprise`` table."""
    from credit.enterprises.models import Enterprise

    conditions = []
    for code in jurisdiction:
        if code == PROVINCE:
            conditions.append(Enterprise.city_code.like("32%"))
        elif code.endswith("00"):
            conditions.append(Enterprise.city_code == code)
        else:
            conditions.append(Enterprise.district_code == code)
    return sa.or_(*conditions) if conditions else sa.false()
