"""Filling ``log_index`` on what a read returns: the latest public-log entry of each record,
one query per response (``credit.translog.service.attach_log_indexes``). Writes leave it
null: the change they made is logged just after them, by the worker, and a write's
statement budget has no room for the look-up (tests/pledges/test_write_statements.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from credit.extensions import db
from credit.translog import service

T = TypeVar("T")


def logged(kind: str, items: Sequence[T]) -> Sequence[T]:
    service.attach_log_indexes(db.session, kind, items)
    return items


def logged_one(kind: str, item: T) -> T:
    service.attach_log_indexes(db.session, kind, [item])
    return item
