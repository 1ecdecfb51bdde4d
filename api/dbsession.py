"""Ending each request's database session without turning a finished answer into a 500.

Flask-SQLAlchemy removes the session when the app context ends, which rolls back on the
connection. If PostgreSQL closed that connection meanwhile (a restart just after the
view's last query), the rollback raises and the answer already built (a 200, or the 503
problem+json) is lost: gunicorn sends its own 500 page instead. Here the session is
removed first, a driver error in that rollback is logged, and the dead connection is left
to the pool, which discards it (the next checkout's pre-ping replaces it).
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import exc as sa_exc

from credit.extensions import db

log = logging.getLogger(__name__)


def _remove_session(_exc: BaseException | None) -> None:
    try:
        db.session.remove()
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        log.warning("database connection lost while ending the session: %s", first_line)
        db.session.registry.clear()


def register(app: Flask) -> None:
    """Call after ``db.init_app``: app-context teardowns run in reverse order of
    registration, so this one runs before Flask-SQLAlchemy's (which then finds nothing)."""
    app.teardown_appcontext(_remove_session)
