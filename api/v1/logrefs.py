"""Filling ``log_index`` on what a handler returns: the latest public-log entry of each
record, one query per response (``credit.translog.service.attach_log_indexes``). Called
after the unit of work, so a record the response just changed reads its entry once the
log's consumer has run (null before)."""

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
