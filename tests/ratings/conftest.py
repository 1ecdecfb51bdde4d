from __future__ import annotations

import pytest

from tests.parties import bearer, client_token, make_parties


@pytest.fixture
def parties(app_ctx):
    return make_parties()


@pytest.fixture
def reg_in(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["reg_in"]))


@pytest.fixture
def owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))
