"""A rebuild's documents are the documents of the records as loaded one by one: the bulk
builders read firms, shops and ratings as rows (not objects), and must not change a word
of what a document holds."""

from __future__ import annotations

import sqlalchemy as sa

from credit import clock, publicity
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.pledges.models import Pledge
from credit.ratings.models import CurrentRating
from credit.violations.models import Violation
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
