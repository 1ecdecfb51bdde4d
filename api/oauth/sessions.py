"""The browser side of a platform sign-in: the cookie holds one secret, the server the rest.

``/login`` starts a sign-in (``credit.accounts.sessions``) and puts only its random secret
in Flask's signed session cookie (under ``sid``). Every request that relies on the sign-in
calls ``current()``, which reads the ``web_session`` row: a sign-in that was ended (sign-out,
a newer sign-in, a disabled account) or reached its absolute limit is no sign-in, whatever
cookie the browser presents. Sign-out ends the row, so a copy of the cookie taken before
is refused afterwards.

The cookie still carries short-lived, pre-sign-in state (the CSRF token, a console sign-in
in progress), none of which signs anybody in.
"""

from __future__ import annotations

from flask import current_app, g, request, session

from credit import clock
from credit.accounts import sessions
from credit.accounts.models import UserAccount, WebSession
from credit.uow import unit_of_work

#: The session-cookie key of the sign-in's secret.
SESSION_KEY = "sid"
_CACHE = "credit.web_session"


def current() -> tuple[WebSession, UserAccount] | None:
    """The live sign-in of this browser and its user, or None (once per request)."""
    if _CACHE in request.environ:
        return request.environ[_CACHE]
    secret = session.get(SESSION_KEY)
    found = sessions.live(secret) if secret else None
    if found is None and secret:
        _forget(secret)
    elif found is not None and sessions.needs_touch(found[0], clock.now()):
        with unit_of_work():
            sessions.touch(found[0])
    request.environ[_CACHE] = found
    g.web_session = found[0] if found else None
    return found


def current_user() -> UserAccount | None:
    found = current()
    return found[1] if found else None


def _forget(secret: str) -> None:
    """A cookie naming a sign-in that is over: note an expiry that nobody recorded yet
    (its console tokens are revoked with it), and drop the secret from the cookie."""
    row = sessions.find(secret)
    if row is not None and row.ended_at is None:
        with unit_of_work():
            sessions.end(row, sessions.EXPIRED, remote_addr=request.remote_addr)
    session.pop(SESSION_KEY, None)


def begin(user: UserAccount, keep: tuple[str, ...] = ()) -> WebSession:
    """Sign ``user`` in (the password was just accepted): a new sign-in, and a new
    session cookie holding its secret (no fixation), keeping only the keys in ``keep``.
    A sign-in this browser still had is ended."""
    previous = session.get(SESSION_KEY)
    with unit_of_work():
        if previous:
            row = sessions.find(previous)
            if row is not None and row.ended_at is None:
                sessions.end(row, sessions.REPLACED, remote_addr=request.remote_addr)
        row, secret = sessions.start(
            user, ttl=current_app.config["CREDIT_SIGN_IN_TTL"], remote_addr=request.remote_addr
        )
    kept = {k: session[k] for k in keep if k in session}
    session.clear()
    session.update(kept)
    session[SESSION_KEY] = secret
    request.environ.pop(_CACHE, None)
    return row


def end(reason: str = sessions.SIGNED_OUT) -> None:
    """Sign out: end the sign-in on the server (its console tokens are revoked with it),
    then forget the whole session cookie."""
    secret = session.get(SESSION_KEY)
    row = sessions.find(secret) if secret else None
    if row is not None and row.ended_at is None:
        with unit_of_work():
            sessions.end(row, reason, remote_addr=request.remote_addr)
    session.clear()
    request.environ.pop(_CACHE, None)
