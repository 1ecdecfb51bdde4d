"""A rebuild's documents are the documents of the firms as loaded one by one: the bulk
builder reads shops as rows (not shop objects), in their order, and must not change a
word of what an enterprise document holds."""

from __future__ import annotations

import sqlalchemy as sa

from credit.enterprises.models import Enterprise
from credit.extensions import db
from search.documents import enterprise_document
from search.indexer import _ratings, build_documents, enterprise_stats


def test_bulk_enterprise_documents_equal_those_built_from_each_firm(clean_app) -> None:
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["credit", "demo", "--enterprises", "300", "--no-index"])
    assert result.exit_code == 0, result.output
    with clean_app.app_context():
        ids = list(db.session.scalars(sa.select(Enterprise.id)))
        bulk = {d.id: d for d in build_documents(db.session, "enterprises", ids, 7)}
        db.session.expunge_all()
        stats = enterprise_stats(db.session, ids)
        ratings = _ratings(db.session, ids)
        firms = db.session.scalars(sa.select(Enterprise).where(Enterprise.id.in_(ids))).all()
        several = [e for e in firms if len({s.platform for s in e.shops}) > 1]
        assert len(bulk) == len(ids) == 300
        assert several, "the demo registry has firms with shops on several platforms"
        for e in firms:
            one = enterprise_document(e, ratings.get(e.id), stats[e.id], 7)
            assert bulk[e.id].source == one.source, e.uscc
            assert bulk[e.id].source["shop_names"] == [s.shop_name for s in e.shops]
