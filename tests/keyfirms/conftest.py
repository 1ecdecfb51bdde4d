from __future__ import annotations

import pytest


@pytest.fixture
def parties(app_ctx):
    from tests.parties import make_parties

    return make_parties()


@pytest.fixture
def department(app_ctx, parties):
    from tests.keyfirms.helpers import make_department

    return make_department(parties.owner_city)
