"""The pledge coverage of a listed firm: one rule, read by the list, the department's
figures, reminders, the pages and the search documents.

For each listing the firm's pledges of a type its category requires are judged on ``day``
(superseded versions and drafts do not count; only pledges the firm consented to publish
do), and the best state wins, in the order of ``COVERAGE_STATES``:

* ``in_force``: published, valid on ``day``, no public breach, more than 30 days left;
* ``expiring``: the same with 30 days or fewer left;
* ``scheduled``: published, its validity starts after ``day``;
* ``breached``: a clause named by a violation that is public on ``day``
  (``credit.publicity``: a revoked, repaired or ended record no longer counts);
* ``expired``: its validity ended; ``withdrawn``: withdrawn by the firm; ``none``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from credit import publicity
from credit.extensions import db
from credit.keyfirms.vocab import COVERAGE_STATES, categories, expiring_within_days
from credit.pledges.models import Pledge, PledgeTemplate

_RANK = {state: i for i, state in enumerate(COVERAGE_STATES)}


def pledge_state(pledge: Pledge, day: date, public_violations: set[str]) -> str | None:
    """The coverage state one pledge gives on ``day`` (None: it does not count)."""
    if pledge.status == "withdrawn":
        return "withdrawn"
    if pledge.status != "published":
        return None
    breached = any(
        b.revoked_at is None and b.violation_id in public_violations for b in pledge.breaches
    )
    if breached:
        return "breached"
    if pledge.valid_until < day:
        return "expired"
    if pledge.valid_from > day:
        return "scheduled"
    if (pledge.valid_until - day).days <= expiring_within_days():
        return "expiring"
    return "in_force"


def best(states: Iterable[str | None]) -> str:
    found = [s for s in states if s is not None]
    return min(found, key=_RANK.__getitem__) if found else "none"


def _public_violation_ids(pledges: list[Pledge], day: date) -> set[str]:
    from credit.violations.models import Violation

    ids = list({b.violation_id for p in pledges for b in p.breaches if b.revoked_at is None})
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        out.update(
            db.session.scalars(
                sa.select(Violation.id).where(
                    Violation.id.in_(ids[start : start + 500]), publicity.public_clause(day)
                )
            )
        )
    return out


def states_of(pledges: list[Pledge], day: date) -> dict[str, str | None]:
    """Pledge id -> the state each pledge gives on ``day`` (None: it does not count), with
    breaches counted while their violation is public: the one rule, for callers that pick
    the pledges themselves (an organisation's campaign reads its members' this way)."""
    public = _public_violation_ids(pledges, day)
    return {p.id: pledge_state(p, day, public) for p in pledges}


def coverage_states(pairs: Iterable[tuple[str, str]], day: date) -> dict[tuple[str, str], str]:
    """(enterprise id, category) -> coverage state on ``day``, for every pair given."""
    pairs = list(dict.fromkeys(pairs))
    known = categories()
    enterprise_ids = list({e for e, _ in pairs})
    pledges: list[Pledge] = []
    for start in range(0, len(enterprise_ids), 500):
        pledges.extend(
            db.session.scalars(
                sa.select(Pledge)
                .join(PledgeTemplate, Pledge.template_id == PledgeTemplate.id)
                .where(
                    Pledge.enterprise_id.in_(enterprise_ids[start : start + 500]),
                    Pledge.consent_to_publish.is_(True),
                    Pledge.status.in_(("published", "withdrawn")),
                )
            )
            .unique()
            .all()
        )
    public = _public_violation_ids(pledges, day)
    by_firm: dict[str, list[tuple[str, str | None]]] = {}
    for p in pledges:
        by_firm.setdefault(p.enterprise_id, []).append(
            (p.template.type, pledge_state(p, day, public))
        )
    out = {}
    for enterprise_id, category in pairs:
        wanted = known[category].required_pledge_types if category in known else ()
        out[(enterprise_id, category)] = best(
            state for kind, state in by_firm.get(enterprise_id, []) if kind in wanted
        )
    return out
