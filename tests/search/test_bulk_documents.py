"""A rebuild's documents are the documents of the records as loaded one by one: the bulk
builders read firms, shops and ratings as rows (not objects), and must not change a word
of what a document holds."""

from __future__ import annotations

import sqlalchemy as sa

from credit import clock, publicity
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.pledges.models import Pledge, PledgeBreach
from credit.ratings.models import CurrentRating
from credit.violations.models import Correction, Violation
from search.documents import (
    enterprise_document,
    is_indexed_pledge,
    pledge_document,
    violation_document,
)
from search.indexer import build_documents, enterprise_stats


def _rate_every_firm(runner) -> None:
    """Every firm rated (a rating's grade, tier, score and model are in the documents)."""
    args = ["credit", "rescore", "--all", "--workers", "1", "--no-catch-up"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


def _breaches_and_corrections() -> None:
    """Breaches (one revoked, which does not count) on published pledges and corrections of
    public violations: the bulk builders read them as rows too. Written as rows here; the
    workflows that write them have their own tests."""
    now = clock.now()
    pledges = db.session.scalars(
        sa.select(Pledge).where(Pledge.status == "published").order_by(Pledge.id).limit(3)
    ).all()
    violations = db.session.scalars(sa.select(Violation).order_by(Violation.id)).all()
    public = [v for v in violations if publicity.is_public(v, clock.today())]
    assert len(pledges) == 3 and len(public) >= 2
    for i, (p, clause, revoked) in enumerate(
        [(pledges[0], "C05", None), (pledges[0], "C01", now), (pledges[1], "C02", now)]
    ):
        db.session.add(
            PledgeBreach(
                pledge_id=p.id,
                clause_code=clause,
                violation_id=public[i % 2].id,
                recorded_at=now,
                revoked_at=revoked,
            )
        )
    for v in public[:2]:
        db.session.add(
            Correction(
                violation_id=v.id,
                field="penalty_amount",
                old_value="50000.00",
                new_value="30000.00",
                reason="计算错误",
                corrected_by="test",
                corrected_at=now,
            )
        )
    db.session.commit()


def test_bulk_enterprise_documents_equal_those_built_from_each_firm(clean_app) -> None:
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["credit", "demo", "--enterprises", "300", "--no-index"])
    assert result.exit_code == 0, result.output
    _rate_every_firm(runner)
    with clean_app.app_context():
        ids = list(db.session.scalars(sa.select(Enterprise.id)))
        bulk = {d.id: d for d in build_documents(db.session, "enterprises", ids, 7)}
        db.session.expunge_all()
        stats = enterprise_stats(db.session, ids)
        ratings = {r.enterprise_id: r for r in db.session.scalars(sa.select(CurrentRating))}
        assert ratings, "the demo registry's firms are rated"
        firms = db.session.scalars(sa.select(Enterprise).where(Enterprise.id.in_(ids))).all()
        several = [e for e in firms if len({s.platform for s in e.shops}) > 1]
        assert len(bulk) == len(ids) == 300
        assert several, "the demo registry has firms with shops on several platforms"
        for e in firms:
            one = enterprise_document(e, ratings.get(e.id), stats[e.id], 7)
            assert bulk[e.id].source == one.source, e.uscc
            assert bulk[e.id].source["shop_names"] == [s.shop_name for s in e.shops]


def test_bulk_pledge_and_violation_documents_equal_those_built_from_each_record(
    clean_app,
) -> None:
    """Each record's document from its own objects (its firm, its rating object) equals
    the bulk builder's, which reads the firms and ratings of a batch as rows."""
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["credit", "demo", "--enterprises", "300", "--no-index"])
    assert result.exit_code == 0, result.output
    _rate_every_firm(runner)
    with clean_app.app_context():
        _breaches_and_corrections()
        today = clock.today()
        pledge_ids = list(db.session.scalars(sa.select(Pledge.id)))
        violation_ids = list(db.session.scalars(sa.select(Violation.id)))
        pledges = {d.id: d for d in build_documents(db.session, "pledges", pledge_ids, 7)}
        violations = {d.id: d for d in build_documents(db.session, "violations", violation_ids, 7)}
        db.session.expunge_all()
        ratings = {r.enterprise_id: r for r in db.session.scalars(sa.select(CurrentRating))}
        public_pledges = [p for p in db.session.scalars(sa.select(Pledge)) if is_indexed_pledge(p)]
        public_violations = [
            v for v in db.session.scalars(sa.select(Violation)) if publicity.is_public(v, today)
        ]
        assert len(pledges) == len(public_pledges) > 50
        assert len(violations) == len(public_violations) > 5
        for p in public_pledges:
            one = pledge_document(p, ratings.get(p.enterprise_id), today, 7)
            assert pledges[p.id].source == one.source, p.id
        for v in public_violations:
            one = violation_document(v, ratings.get(v.enterprise_id), today, 7)
            assert violations[v.id].source == one.source, v.id
        assert any(d.source["grade"] for d in violations.values())
        # Read in bulk too (breaches, corrections), and compared above where there are any.
        breached = {
            i: d.source["breached_clauses"]
            for i, d in pledges.items()
            if d.source["breached_clauses"]
        }
        assert list(breached.values()) == [["C05"]]  # the revoked breaches do not count
        assert sum(d.source["status"] == "corrected" for d in violations.values()) == 2
