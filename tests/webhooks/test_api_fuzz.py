"""Schemathesis over the webhook routes with a subscriber's token: no input makes the
server fail, answers match their documented schema, errors are problem+json. (The
suite-wide fuzz test uses a firm's token, which these routes refuse with 403.)"""

from __future__ import annotations

import ipaddress

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from credit.webhooks import addresses
from tests.webhooks.conftest import auth, make_subscribers
from tests.webhooks.helpers import make_endpoint

MAX_EXAMPLES = 30


def test_no_server_errors_with_a_subscriber_token(client, app_ctx, monkeypatch) -> None:
    # Every name resolves to a public address: registrations get past the URL check
    # (this machine has no outside DNS) and the rest of the input is what is fuzzed.
    monkeypatch.setattr(
        addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")]
    )
    subs = make_subscribers()
    headers = auth(client, subs.first)
    make_endpoint(subject=f"client:{subs.first.client_id}")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/webhooks")
    ]
    assert len(operations) == 7
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
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
            if response.status_code >= 400:
                content_type = response.headers["content-type"][0]
                assert content_type.startswith("application/problem+json")

        run()
