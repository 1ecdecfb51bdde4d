"""Every caller of "is this record public on day D?" gives the same answer, on the day before
and the day of each edge: the row's own method, the SQL clause, the public list and a firm's
list, the rating's facts (``counts_on``), the records a rating may name, the search
documents and the firm's counts in its search document, and the credit report's profile.

And "does this authority cover this firm?": a regulator over the firm's city, one over its
district, the province's, and one elsewhere, asked through the permission check, the
records a regulator may see, and the SQL clause of its statistics.

The expected table is written by hand from the rules (README, "Publicity and repair rules").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from credit import publicity
from credit.accounts import service as accounts
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.identity import ANONYMOUS, SYSTEM, Identity, IdentityKind
from credit.permissions import can_read_enterprise_private
from credit.ratings.facts import Selection, load_facts
from credit.ratings.service import _visible
from credit.reports.service import build_profile
from credit.uow import unit_of_work
from credit.violations import service as violations
from credit.violations.models import Violation
from search.indexer import build_documents, enterprise_stats
from tests.parties import make_parties


def _at(frozen_clock, day: date) -> None:
    frozen_clock.now = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)


def _regulator(code: str) -> Identity:
    a = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    return Identity(
        IdentityKind.REGULATOR,
        f"client:{code}",
        authority_id=a.id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset(a.jurisdiction),
    )


def _record(regulator: Identity, uscc: str, number: str, **kw) -> Violation:
    data = {
        "uscc": uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": number,
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": Decimal("50000"),
        "decision_date": date(2026, 4, 1),
        "breached_clauses": [],
        **kw,
    }
    with unit_of_work() as uow:
        return violations.record_violation(regulator, uow, data)


#: name -> what is recorded (on 2026-04-10, decided 2026-04-01)
RECORDS = {
    "general": dict(regulator="IN"),
    "minor": dict(regulator="IN", severity="minor", penalty_type="warning", penalty_amount=None),
    "minor_flagged": dict(
        regulator="IN",
        severity="minor",
        penalty_type="warning",
        penalty_amount=None,
        publish_minor=True,
        publish_minor_reason="涉及消费者人身安全，确有必要公示",
    ),
    "samr_short": dict(
        regulator="SAMR", penalty_amount=Decimal("2000"), published_on=date(2026, 4, 10)
    ),
    "samr": dict(regulator="SAMR", published_on=date(2026, 4, 10)),
    "samr_warning": dict(regulator="SAMR", penalty_type="warning", penalty_amount=None),
    "revoked": dict(regulator="IN"),
}

#: day -> the records public that day (by hand: Order 36, SAMR Order 45, Civil Code 201-202)
EXPECTED = {
    date(2026, 4, 9): {"general", "minor_flagged"},  # SAMR ones are published on 4-10
    date(2026, 4, 10): {"general", "minor_flagged", "samr_short", "samr"},
    date(2026, 7, 1): {"general", "minor_flagged", "samr_short", "samr"},  # 3 months: last day
    date(2026, 7, 2): {"general", "samr_short", "samr"},
    date(2026, 7, 10): {"general", "samr_short", "samr"},  # 3 months from publication
    date(2026, 7, 11): {"general", "samr"},
    date(2027, 4, 1): {"general", "samr"},  # 1 year: last day
    date(2027, 4, 2): set(),
}


@pytest.fixture
def recorded(app_ctx, frozen_clock):
    parties = make_parties()
    city = parties.owner_city
    with unit_of_work() as uow:
        accounts.create_authority(
            SYSTEM,
            uow,
            code="SAMR",
            name="市场监督管理局",
            jurisdiction=[city],
            kind="market_regulation",
        )
    _at(frozen_clock, date(2026, 4, 10))
    ids = {}
    for i, (name, spec) in enumerate(RECORDS.items()):
        spec = dict(spec)
        regulator = _regulator(spec.pop("regulator"))
        ids[name] = _record(
            regulator, parties.owner_uscc, f"苏市监罚〔2026〕{900 + i}号", **spec
        ).id
    v = db.session.get(Violation, ids["revoked"])
    with unit_of_work() as uow:
        violations.revoke_violation(_regulator("IN"), uow, v.id, "复议撤销", v.version)
    db.session.expire_all()
    return parties, ids


def _names(ids: dict[str, str], found) -> set[str]:
    back = {v: k for k, v in ids.items()}
    return {back[i] for i in found if i in back}


@pytest.mark.parametrize("day", list(EXPECTED), ids=str)
def test_every_caller_agrees_on_each_edge(recorded, frozen_clock, day: date) -> None:
    parties, ids = recorded
    _at(frozen_clock, day)
    db.session.expire_all()
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == parties.owner_uscc))
    rows = list(db.session.scalars(sa.select(Violation)).unique())
    answers = {
        "row": {v.id for v in rows if v.is_public(day)},
        "publicity.is_public": {v.id for v in rows if publicity.is_public(v, day)},
        "sql": set(db.session.scalars(sa.select(Violation.id).where(publicity.public_clause(day)))),
        "public list": {v.id for v in violations.list_violations(ANONYMOUS, size=100).items},
        "firm's list": {
            v.id for v in violations.list_enterprise_violations(ANONYMOUS, parties.owner_uscc)
        },
        "rating facts": {
            f.id
            for f in load_facts(db.session, Selection([ent.id]))[ent.id].violations
            if f.counts_on(day)
        },
        "rating may name": {i for i in _visible(ANONYMOUS, ent) if i in ids.values()},
        "search documents": {
            d.id for d in build_documents(db.session, "violations", list(ids.values()), 1)
        },
        "credit report": {
            v["id"] for v in build_profile(ANONYMOUS, parties.owner_uscc)["violations"]
        },
    }
    for caller, found in answers.items():
        expected = set(EXPECTED[day])
        if caller == "rating facts" and day < date(2026, 4, 10):
            # The facts replay history: revoked on 4-10, the record was public the day before
            # (every other caller answers with the row's current status).
            expected.add("revoked")
        assert _names(ids, found) == expected, caller
    assert enterprise_stats(db.session, [ent.id])[ent.id].active_violations == len(EXPECTED[day])
    shown = {v.id: v.public_status(day) for v in rows}
    assert shown[ids["minor"]] == shown[ids["samr_warning"]] == "not_published"
    assert shown[ids["revoked"]] == "revoked"
    if day < date(2026, 4, 10):
        assert shown[ids["samr"]] == "pending"


def test_every_caller_agrees_who_covers_the_firm(app_ctx) -> None:
    parties = make_parties()
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == parties.owner_uscc))
    other = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == parties.other_uscc))
    with unit_of_work() as uow:
        accounts.create_authority(SYSTEM, uow, code="PROV", name="省局", jurisdiction=["320000"])
        if ent.district_code:
            accounts.create_authority(
                SYSTEM, uow, code="DIST", name="区局", jurisdiction=[ent.district_code]
            )
    expected = {"IN": True, "OUT": False, "PROV": True}
    if ent.district_code:
        expected["DIST"] = True
    for code, covers in expected.items():
        regulator = _regulator(code)
        authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
        in_sql = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Enterprise)
            .where(Enterprise.id == ent.id, publicity.covers_clause(regulator.jurisdiction))
        )
        assert publicity.covers(regulator, ent) is covers, code
        assert publicity.covers(authority, ent) is covers, code
        assert can_read_enterprise_private(regulator, ent) is covers, code
        assert bool(in_sql) is covers, code
    # A firm elsewhere: the district's authority (if any) and the city's do not cover it.
    assert not publicity.covers(_regulator("IN"), other)
    # Nobody but a regulator covers anyone, whatever jurisdiction it carries.
    firm = Identity(IdentityKind.ENTERPRISE, "x", jurisdiction=frozenset({"320000"}))
    assert not publicity.covers(firm, ent)
