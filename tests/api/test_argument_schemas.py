"""Argument schemas are built once per process (api/v1/common.py ``StrictParser``) and
shared by every request and thread: each request must still get its own answer."""

from __future__ import annotations

import threading

from api.v1.common import StrictParser
from credit.pledges.schemas import PledgeInputSchema
from tests.parties import bearer, client_token, make_parties, pledge_body, seed_templates


def test_one_schema_instance_per_class() -> None:
    parser = StrictParser()
    first = parser._get_schema(PledgeInputSchema, None)
    assert isinstance(first, PledgeInputSchema)
    assert parser._get_schema(PledgeInputSchema, None) is first
    assert StrictParser()._get_schema(PledgeInputSchema, None) is first


def test_threads_sharing_a_schema_each_get_their_own_errors(clean_app) -> None:
    """Eight threads send bodies wrong in different ways through the one shared
    PledgeInputSchema at once: every answer names exactly its own bad field."""
    client = clean_app.test_client()
    with clean_app.app_context():
        parties = make_parties()
        body = pledge_body(seed_templates()["ECOM-STD"])
        token = client_token(client, parties.clients["owner"])
    answers: dict[int, list[tuple[int, list[str]]]] = {}

    def send(n: int) -> None:
        own = clean_app.test_client()
        seen = []
        for round_ in range(15):
            bad = {**body, f"unknown_{n}_{round_}": 1}
            if n % 2:  # half the threads also break a declared field
                bad["signer_name"] = ""
            r = own.post("/api/v1/pledges", json=bad, headers=bearer(token))
            seen.append((r.status_code, sorted(e["field"] for e in r.get_json()["errors"])))
        answers[n] = seen

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(answers) == list(range(8))
    for n, seen in answers.items():
        for round_, (status, fields) in enumerate(seen):
            expected = sorted([f"unknown_{n}_{round_}"] + (["signer_name"] if n % 2 else []))
            assert status in (400, 422), (n, round_, status)
            assert fields == expected, (n, round_)
