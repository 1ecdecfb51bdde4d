"""Credentials are stored as hashes only.

Client secrets and tokens are long random strings we generate (≥ 256 bits), so a single
SHA-256 is enough to make a stolen table useless; a recognisable prefix on each value
(``jsct_`` tokens, ``jscs_`` secrets) lets leaked ones be found by secret scanners.
Passwords, chosen by people, get a slow salted hash (argon2id) instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ACCESS_PREFIX = "jsct_at_"
REFRESH_PREFIX = "jsct_rt_"
CODE_PREFIX = "jsct_ac_"
SECRET_PREFIX = "jscs_"  # noqa: S105 (a prefix, not a secret)
CLIENT_ID_PREFIX = "jsc_"

#: argon2id as RFC 9106 recommends where memory is limited (its second option: 3 passes
#: over 64 MiB, 4 lanes), about 0.2 s a hash on one core here. Stored with each hash, so a
#: later change of parameters still verifies the hashes made before it.
PASSWORD_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(PASSWORD_PARAMETERS)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same_digest(value: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(digest(value), stored)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(10)


def new_client_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(36)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


#: A hash of a random password: verifying against it costs as much as a real check, so
#: a login for an unknown user takes as long as one for a known user.
DUMMY_PASSWORD_HASH = _hasher.hash(secrets.token_urlsafe(16))
