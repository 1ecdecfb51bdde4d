"""A column matched against a list of ids (``credit.idlists``): one array parameter on
PostgreSQL, ``IN`` on SQLite, and the same rows either way, for any length of list."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.idlists import ids_parameter, in_ids, uses_arrays
from tests.helpers import import_records, sample_records


@pytest.fixture
def firm_ids(app_ctx) -> list[str]:
    import_records(sample_records(30))
    return list(db.session.scalars(sa.select(Enterprise.id).order_by(Enterprise.id)))


def _rendered(statement: sa.Select) -> str:
    return str(statement.compile(dialect=db.session.get_bind().dialect))


@pytest.mark.parametrize("wanted", [0, 1, 7, 30])
def test_in_ids_matches_exactly_the_listed_rows(firm_ids: list[str], wanted: int) -> None:
    # Unknown ids match nothing, a known one with more after it included (not cut to size).
    ids = [*firm_ids[:wanted], "no-such-firm", "x" * 36, firm_ids[-1] + "-and-more"]
    found = db.session.scalars(
        sa.select(Enterprise.id).where(in_ids(db.session, Enterprise.id, ids))
    ).all()
    assert sorted(found) == sorted(firm_ids[:wanted])


def test_a_long_list_is_one_parameter_on_postgresql_and_in_on_sqlite(
    firm_ids: list[str],
) -> None:
    ids = firm_ids + [f"unknown-{i}" for i in range(600)]
    statement = sa.select(Enterprise.id).where(in_ids(db.session, Enterprise.id, ids))
    sql = _rendered(statement)
    if uses_arrays(db.session):
        assert "= ANY (" in sql and " IN " not in sql
        assert len(statement.compile().params) == 1
    else:
        assert " IN " in sql and "ANY" not in sql
    assert sorted(db.session.scalars(statement)) == firm_ids


def test_a_statement_built_once_takes_each_list_when_run(firm_ids: list[str]) -> None:
    statement = sa.select(Enterprise.id).where(
        ids_parameter("ids", Enterprise.id, uses_arrays(db.session))
    )
    for ids in (firm_ids[:3], firm_ids[10:25], []):
        assert sorted(db.session.scalars(statement, {"ids": ids})) == sorted(ids)
    assert db.session.scalars(statement, {"ids": [firm_ids[0] + "0"]}).all() == []


WEIRD = ["a,b", "{x}", "NULL", "", " lead", 'say "hi"', "back\\slash", '\\"', "中文", "a" * 60]


def test_any_string_is_itself_in_the_array(app_ctx) -> None:
    """The list crosses as its array's text (``array_text``): commas, braces, quotes,
    backslashes, ``NULL`` and the empty string come back as they went."""
    from credit.idlists import _array_of

    if not uses_arrays(db.session):
        assert " IN " in _rendered(
            sa.select(Enterprise.id).where(in_ids(db.session, Enterprise.id, WEIRD))
        )
        return
    ids = sa.bindparam("ids", WEIRD, type_=_array_of(Enterprise.id))
    assert db.session.scalars(sa.select(sa.func.unnest(ids))).all() == WEIRD
    numbers = sa.bindparam("n", [3, -1, 2**40], type_=_array_of(sa.column("n", sa.Integer)))
    assert db.session.scalars(sa.select(sa.func.unnest(numbers))).all() == [3, -1, 2**40]
    empty = sa.bindparam("e", [], type_=_array_of(Enterprise.id))
    assert db.session.scalars(sa.select(sa.func.unnest(empty))).all() == []
