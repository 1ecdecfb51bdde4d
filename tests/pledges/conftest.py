from __future__ import annotations

import pytest

from tests.parties import bearer, client_token, make_parties, seed_templates


@pytest.fixture
def parties(app_ctx):
    return make_parties()


@pytest.fixture
def templates(parties):
    return seed_templates()


@pytest.fixture
def owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


@pytest.fixture
def other(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["other"]))
