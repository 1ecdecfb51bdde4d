"""Schemathesis over the generated OpenAPI document: no input makes the server fail.

Every operation gets a bounded number of generated requests (valid and invalid); the check
is schemathesis' ``not_a_server_error`` plus: every error answer is problem+json.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.helpers import import_records, sample_records

MAX_EXAMPLES = 30


def test_no_server_errors(client, app_ctx) -> None:
    import_records(sample_records(20))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                content_type = response.headers["content-type"][0]
                assert content_type.startswith("application/problem+json")

        run()
