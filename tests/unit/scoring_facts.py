"""Builders and hypothesis strategies for scoring facts (shared by the scoring tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import strategies as st

from credit.scoring.calendar import add_months
from credit.scoring.facts import (
    BreachFact,
    CommendationFact,
    EnterpriseFacts,
    PledgeFact,
    SeriousListFact,
    ViolationFact,
)

AS_OF = date(2026, 11, 26)
WINDOWS = {"minor": (0, 3), "general": (3, 12), "serious": (12, 36)}


def violation(
    vid: str = "v1",
    severity: str = "general",
    decided: date = AS_OF,
    category: str = "pricing",
    **kw,
) -> ViolationFact:
    lo, hi = WINDOWS[severity]
    return ViolationFact(
        vid,
        f"苏市监处罚〔2026〕{vid}号",
        severity,
        category,
        decided,
        kw.pop("published", severity != "minor"),
        add_months(decided, lo),
        add_months(decided, hi),
        **kw,
    )


def pledge(
    pid: str = "p1",
    start: date = AS_OF - timedelta(days=30),
    years: int = 1,
    clauses: tuple[str, ...] = ("C01", "C08"),
    ptype: str = "voluntary_public",
    **kw,
) -> PledgeFact:
    return PledgeFact(
        pid, f"s-{pid}", ptype, clauses, start, start, add_months(start, 12 * years), **kw
    )


def firm(**kw) -> EnterpriseFacts:
    base = {
        "enterprise_id": "e1",
        "uscc": "91320100MA1XXXXX0X",
        "status": "active",
        "registration_date": AS_OF,
    }
    return EnterpriseFacts(**{**base, **kw})


# -- hypothesis strategies -------------------------------------------------------------
days = st.integers(min_value=-5 * 365, max_value=60)


@st.composite
def violations(draw, vid: str) -> ViolationFact:
    severity = draw(st.sampled_from(("minor", "general", "serious")))
    decided = AS_OF + timedelta(days=draw(days))
    status = draw(st.sampled_from(("active", "active", "revoked", "repaired")))
    ended = None
    if status != "active":
        ended = decided + timedelta(days=draw(st.integers(0, 4 * 365)))
    category = draw(st.sampled_from(("pricing", "licence_display", "counterfeit")))
    return violation(
        vid,
        severity,
        decided,
        category,
        status=status,
        ended_on=ended,
        objection_pending=draw(st.booleans()),
    )


@st.composite
def pledges(draw, pid: str, violation_ids: list[str]) -> PledgeFact:
    start = AS_OF + timedelta(days=draw(st.integers(-6 * 365, 60)))
    published = start - timedelta(days=draw(st.integers(0, 30)))
    end = start + timedelta(days=draw(st.integers(1, 3 * 365)))
    withdrawn = draw(
        st.one_of(st.none(), st.integers(0, 3 * 365).map(lambda n: published + timedelta(days=n)))
    )
    superseded = draw(
        st.one_of(st.none(), st.integers(0, 3 * 365).map(lambda n: published + timedelta(days=n)))
    )
    breaches = ()
    if violation_ids and draw(st.booleans()):
        breaches = tuple(
            BreachFact(vid, "C04", AS_OF + timedelta(days=draw(days)))
            for vid in draw(
                st.lists(st.sampled_from(violation_ids), min_size=1, max_size=2, unique=True)
            )
        )
    return PledgeFact(
        pid,
        f"s-{pid}",
        draw(st.sampled_from(("voluntary_public", "approval_substitute", "credit_repair"))),
        tuple(draw(st.sets(st.sampled_from(("C01", "C04", "C08")), min_size=1))),
        published,
        start,
        end,
        withdrawn,
        superseded,
        breaches,
    )


@st.composite
def enterprise_facts(draw) -> EnterpriseFacts:
    vs = tuple(draw(violations(f"v{i}")) for i in range(draw(st.integers(0, 5))))
    ids = [v.id for v in vs]
    ps = tuple(draw(pledges(f"p{i}", ids)) for i in range(draw(st.integers(0, 4))))
    cs = tuple(
        CommendationFact(
            f"c{i}",
            "江苏省电子商务示范企业",
            AS_OF + timedelta(days=draw(days)),
            AS_OF + timedelta(days=draw(st.integers(-400, 800))),
        )
        for i in range(draw(st.integers(0, 2)))
    )
    ss = tuple(
        SeriousListFact(
            f"s{i}",
            AS_OF + timedelta(days=draw(days)),
            AS_OF + timedelta(days=draw(st.integers(-30, 3 * 365))),
        )
        for i in range(draw(st.integers(0, 1)))
    )
    reg = draw(
        st.one_of(st.none(), st.integers(0, 20 * 365).map(lambda n: AS_OF - timedelta(days=n)))
    )
    return firm(
        status=draw(st.sampled_from(("active", "active", "revoked", "cancelled", "moved_out"))),
        registration_date=reg,
        shops=draw(st.integers(0, 3)),
        customer_service=draw(st.booleans()),
        pledges=ps,
        violations=vs,
        commendations=cs,
        serious_list=ss,
    )


def with_violation(f: EnterpriseFacts, v: ViolationFact) -> EnterpriseFacts:
    return replace(f, violations=(*f.violations, v))
