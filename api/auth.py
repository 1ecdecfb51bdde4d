"""Turning the caller into a ``credit.Identity``.

Every route served so far is public, so the caller is anonymous. The OAuth 2.0 issue adds
bearer tokens here: a scope-checked decorator builds the Identity from the token.
"""

from __future__ import annotations

from credit.identity import ANONYMOUS, Identity


def current_identity() -> Identity:
    return ANONYMOUS
