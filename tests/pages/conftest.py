from __future__ import annotations

import pytest

from tests.pages.console_parties import make_console_parties


@pytest.fixture
def cp(clean_app):
    """Console parties. No app context stays pushed: each page request gets its own, as
    in a browser (use ``with clean_app.app_context():`` to arrange data directly)."""
    with clean_app.app_context():
        return make_console_parties()
