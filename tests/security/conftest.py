from __future__ import annotations

import pytest

from tests.parties import make_parties


@pytest.fixture
def parties(app_ctx):
    return make_parties()
