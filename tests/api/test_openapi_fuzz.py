"""Schemathesis over the generated OpenAPI document: no input makes the server fail.

Every operation gets a bounded number of generated requests (valid and invalid); the check
is schemathesis' ``not_a_server_error`` plus: every error answer is problem+json.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.helpers import import_records, sample_records
from tests.parties import client_token, make_parties, seed_templates

MAX_EXAMPLES = 30


@pytest.mark.parametrize("as_owner", [False, True], ids=["anonymous", "enterprise-token"])
def test_no_server_errors(client, app_ctx, as_owner: bool) -> None:
    """Every operation, anonymously and with an enterprise's token (so the write routes get
    past authentication and their validation is fuzzed too)."""
    import_records(sample_records(20))
    parties = make_parties()
    seed_templates()
    headers = {}
    if as_owner:
        headers["Authorization"] = f"Bearer {client_token(client, parties.clients['owner'])}"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {
        "/api/v1/pledges",
        "/api/v1/pledges/{pledge_id}",
        "/api/v1/pledges/batch",
        "/api/v1/pledge-templates",
        "/api/v1/enterprises/{uscc}",
    } <= paths
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                content_type = response.headers["content-type"][0]
                assert content_type.startswith("application/problem+json")

        run()
