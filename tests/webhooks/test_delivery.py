"""The sender, against a real receiver on 127.0.0.1 that verifies every delivery with
``standardwebhooks``: retries after a 500, no redirect followed, the address checked
again at delivery time, bounded time, and an endpoint disabled after failing for days."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import timedelta

import pytest

from credit.extensions import db
from credit.webhooks import addresses, sender
from credit.webhooks.sender import SenderSettings
from credit.webhooks.service import new_secret
from tests.parties import make_parties, make_violation
from tests.webhooks.helpers import deliveries, make_endpoint
from tests.webhooks.receiver import Receiver

SETTINGS = SenderSettings(allow_hosts=frozenset({"127.0.0.1"}), timeout=2.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _queued(receiver: Receiver, event_types=("violation.published",)):
    parties = make_parties()
    endpoint, secret = make_endpoint(receiver.url, event_types=list(event_types))
    receiver.secret = secret
    make_violation(parties)
    (delivery,) = deliveries(endpoint.id)
    return endpoint, delivery


def test_a_500_is_retried_and_every_attempt_verifies(app_ctx, receiver, frozen_clock) -> None:
    receiver.answers = [500, 204]
    endpoint, delivery = _queued(receiver)

    assert sender.send_due(db.session, SETTINGS) == 1
    (first,) = deliveries(endpoint.id)
    assert first.status == "pending" and first.attempts == 1
    assert first.last_status_code == 500 and first.last_error == "HTTP 500"
    assert first.next_attempt_at == frozen_clock.now + timedelta(seconds=5)
    assert sender.send_due(db.session, SETTINGS) == 0  # not due yet

    frozen_clock.advance(5)
    assert sender.send_due(db.session, SETTINGS) == 1
    (done,) = deliveries(endpoint.id)
    assert done.status == "delivered" and done.attempts == 2 and done.last_status_code == 204

    assert len(receiver.requests) == 2
    for got in receiver.requests:
        assert got.verified, got.error
        assert got.headers["webhook-id"] == delivery.event_id
        assert got.headers["webhook-signature"].startswith("v1,")
        assert got.headers["content-type"] == "application/json"
        assert got.path == "/hooks/credit"
        assert got.payload["type"] == "violation.published"
    # A wrong secret does not verify: the check is real.
    from standardwebhooks import Webhook, WebhookVerificationError

    got = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got.body, got.headers)


def test_redirects_are_not_followed(app_ctx, receiver) -> None:
    receiver.answers = [("redirect", "http://127.0.0.1:9/elsewhere")]
    endpoint, _ = _queued(receiver)
    sender.send_due(db.session, SETTINGS)
    (d,) = deliveries(endpoint.id)
    assert d.status == "pending" and d.last_status_code == 302
    assert "redirect not followed" in d.last_error
    assert [r.method for r in receiver.requests] == ["POST"]


def test_a_name_that_now_resolves_to_loopback_is_refused(app_ctx, receiver, monkeypatch) -> None:
    """Registered while it resolved to a public address; at delivery it resolves to the
    receiver on 127.0.0.1 (DNS rebinding): nothing is sent."""
    port = receiver.url.split(":")[2].split("/")[0]
    public = [ipaddress.ip_address("93.184.215.14")]
    monkeypatch.setattr(addresses, "resolve", lambda host, p: public)
    parties = make_parties()
    endpoint, receiver.secret = make_endpoint(
        f"http://hooks.example.com:{port}/hooks/credit", event_types=["violation.published"]
    )
    make_violation(parties)
    monkeypatch.setattr(addresses, "resolve", lambda host, p: [ipaddress.ip_address("127.0.0.1")])
    sender.send_due(db.session, SETTINGS)
    (d,) = deliveries(endpoint.id)
    assert d.status == "pending" and d.last_error.startswith("address_not_allowed")
    assert receiver.requests == []


def test_a_receiver_that_hangs_is_cut_off(app_ctx, receiver) -> None:
    receiver.answers = ["hang"]
    endpoint, _ = _queued(receiver)
    sender.send_due(db.session, SenderSettings(frozenset({"127.0.0.1"}), timeout=0.5))
    (d,) = deliveries(endpoint.id)
    assert d.status == "pending" and d.attempts == 1
    assert "timed out" in d.last_error or "TimeoutError" in d.last_error, d.last_error


def test_retries_end_after_a_day_and_a_failing_endpoint_is_disabled(client, frozen_clock) -> None:
    """Nothing listens on the port: every attempt fails. Retries run on the schedule
    until 24 hours have passed, then the delivery is failed; the endpoint, failing for
    longer than the setting, is disabled and its subscriber reads why."""
    from tests.webhooks.conftest import auth, make_subscribers

    with client.application.app_context():
        subs = make_subscribers()
        headers = auth(client, subs.first)
        client.application.config["CREDIT_WEBHOOK_ALLOW_HOSTS"] = "127.0.0.1"
        try:
            r = client.post(
                "/api/v1/webhooks",
                json={"url": "http://127.0.0.1:9/closed", "event_types": ["violation.published"]},
                headers=headers,
            )
        finally:
            client.application.config["CREDIT_WEBHOOK_ALLOW_HOSTS"] = ""
        assert r.status_code == 201, r.get_data(as_text=True)
        endpoint_id = r.get_json()["id"]
        make_violation(subs.parties)
        settings = SenderSettings(frozenset({"127.0.0.1"}), timeout=1)
        waits = []
        while sender.send_due(db.session, settings):
            (d,) = deliveries(endpoint_id)
            if d.next_attempt_at is not None:
                waits.append(d.next_attempt_at - frozen_clock.now)
                frozen_clock.advance(waits[-1].total_seconds())
        assert waits == list(sender.RETRY_DELAYS)  # the 7th would fall after 24 hours
        assert d.status == "failed" and d.attempts == 7
        assert d.last_error.startswith("cannot connect")
        headers = auth(client, subs.first)  # the clock moved past the first token's life
        assert client.get(f"/api/v1/webhooks/{endpoint_id}", headers=headers).get_json()["enabled"]
        # Days later, still failing: the next failed attempt disables the endpoint.
        frozen_clock.advance(timedelta(days=5).total_seconds())
        make_violation(subs.parties)
        assert sender.send_due(db.session, settings) == 1
        make_violation(subs.parties)  # not even queued for a disabled endpoint
        assert sender.send_due(db.session, settings) == 0
        headers = auth(client, subs.first)
    body = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=headers).get_json()
    assert body["enabled"] is False
    assert "every delivery failed since" in body["disabled_reason"]
    assert body["consecutive_failures"] == 8
    listed = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=headers).get_json()
    assert listed["total"] == 2
    assert [i["status"] for i in listed["items"]] == ["pending", "failed"]


def test_the_connected_address_is_checked_before_anything_is_sent(receiver) -> None:
    """However the address was come by, the socket's peer is checked once connected: a
    connection that ends at a loopback address sends no byte of the request."""
    target = addresses.parse_url(receiver.url, frozenset())  # not allow-listed
    outcome = sender._post_to(
        target,
        ipaddress.ip_address("127.0.0.1"),
        b"{}",
        {"webhook-id": "msg_x"},
        SETTINGS,
    )
    assert not outcome.ok and outcome.error.startswith("address_not_allowed")
    assert receiver.requests == []


def test_a_failed_delivery_is_sent_again_on_request(client, receiver, frozen_clock) -> None:
    """Redelivery: the same message id, due at once with a new window of retries; the
    deliveries list shows each state; a disabled endpoint must be enabled first."""
    from tests.webhooks.conftest import auth, make_subscribers

    receiver.answers = [500] * 7 + [204]
    with client.application.app_context():
        subs = make_subscribers()
        headers = auth(client, subs.first)
        client.application.config["CREDIT_WEBHOOK_ALLOW_HOSTS"] = "127.0.0.1"
        try:
            r = client.post(
                "/api/v1/webhooks",
                json={"url": receiver.url, "event_types": ["violation.published"]},
                headers=headers,
            )
        finally:
            client.application.config["CREDIT_WEBHOOK_ALLOW_HOSTS"] = ""
        endpoint = r.get_json()
        receiver.secret = endpoint["secret"]
        make_violation(subs.parties)
        while sender.send_due(db.session, SETTINGS):
            (d,) = deliveries(endpoint["id"])
            if d.next_attempt_at is not None:
                frozen_clock.advance((d.next_attempt_at - frozen_clock.now).total_seconds())
        headers = auth(client, subs.first)
        url = f"/api/v1/webhooks/{endpoint['id']}/deliveries"
        (failed,) = client.get(url, query_string={"status": "failed"}, headers=headers).get_json()[
            "items"
        ]
        assert failed["attempts"] == 7 and failed["last_status_code"] == 500
        assert (
            client.get(url, query_string={"status": "pending"}, headers=headers).get_json()["total"]
            == 0
        )

        r = client.post(f"{url}/{failed['id']}/redeliver", json={}, headers=headers)
        assert r.status_code == 202, r.get_data(as_text=True)
        assert r.get_json()["status"] == "pending"
        assert sender.send_due(db.session, SETTINGS) == 1
        (done,) = client.get(url, headers=headers).get_json()["items"]
        assert done["status"] == "delivered" and done["attempts"] == 8

        # Unknown delivery: 404; a disabled endpoint: 409 until it is enabled again.
        assert client.post(f"{url}/nope/redeliver", json={}, headers=headers).status_code == 404
        one = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=headers)
        client.patch(
            f"/api/v1/webhooks/{endpoint['id']}",
            json={"enabled": False},
            headers={**headers, "If-Match": one.headers["ETag"]},
        )
        r = client.post(f"{url}/{failed['id']}/redeliver", json={}, headers=headers)
        assert r.status_code == 409
    assert len({got.headers["webhook-id"] for got in receiver.requests}) == 1
    # The clock was moved by hours: the library then refuses the timestamp as too far from
    # its own clock (its replay protection), which proves it read it; the first verifies.
    assert receiver.requests[0].verified
    assert all(got.verified or "timestamp too" in (got.error or "") for got in receiver.requests), [
        got.error for got in receiver.requests
    ]
