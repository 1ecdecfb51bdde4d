from __future__ import annotations

import pytest


@pytest.fixture
def parties(app_ctx):
    from tests.parties import make_parties

    return make_parties()


@pytest.fixture
def org(app_ctx, parties):
    """The provincial association (ECA) and the identity of its client."""
    from tests.organisations.helpers import make_organisation

    return make_organisation()
