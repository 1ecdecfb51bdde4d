"""Steering SQLite's query planner where it goes wrong without statistics.

The platform never runs ``ANALYZE`` on SQLite, so its planner takes an index on any
equality it can: on a few-valued column such as a pledge's status it then reads most of
the table. SQLite's own way out is a unary ``+`` before the column, which keeps the value
and hides the index; PostgreSQL, which has statistics, is given the plain column (an
expression instead would lose its estimate: it took a rebuild's batch of pledge ids from
a sequential scan and a sort, 6.6 s, where the primary key gives them in 1 ms).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class UnindexedOnSQLite(ColumnElement[Any]):
    """``column`` as SQLite's ``+column`` (no index used for it), the column elsewhere."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(UnindexedOnSQLite)
def _plain(element: UnindexedOnSQLite, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(UnindexedOnSQLite, "sqlite")
def _unary_plus(element: UnindexedOnSQLite, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed_on_sqlite(column: Any) -> UnindexedOnSQLite:
    """``column`` compared without its index on SQLite (see the module's docstring)."""
    return UnindexedOnSQLite(column)
