"""Console passwords are stored as argon2id hashes with RFC 9106's parameters for limited
memory; a hash states its own parameters, so a hash made under other parameters (an older
release, or the cheap ones the in-process tests use) still verifies."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters, profiles

from credit.accounts import secrets


def test_production_parameters_are_rfc_9106_low_memory() -> None:
    stored = PasswordHasher.from_parameters(secrets.PASSWORD_PARAMETERS).hash("correct horse")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$v=19$")
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
    assert secrets.PASSWORD_PARAMETERS == profiles.RFC_9106_LOW_MEMORY


def test_a_hash_made_under_other_parameters_still_verifies() -> None:
    production = PasswordHasher.from_parameters(secrets.PASSWORD_PARAMETERS).hash("s3cret pass")
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("s3cret pass")
    for stored in (production, cheap):
        assert secrets.verify_password(stored, "s3cret pass")
        assert not secrets.verify_password(stored, "s3cret pasS")
    assert not secrets.verify_password("not a hash", "s3cret pass")
