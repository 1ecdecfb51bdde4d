"""The deployed sender: ``flask --app wsgi credit worker`` processes deliver to a real
receiver on 127.0.0.1 (allow-listed) that verifies every request with standardwebhooks.
The worker holding the sender's lease is killed (SIGKILL) while the receiver holds its
request; another worker takes the lease, sends the same message again, meets a 500 and
retries: the receiver gets the event, verified, at least once."""

from __future__ import annotations

import time

from credit.extensions import db
from tests.parties import make_parties, make_violation
from tests.server import WorkerProcess
from tests.webhooks.helpers import deliveries, make_endpoint
from tests.webhooks.receiver import Receiver

WORKER = {"WORKER_LEASE_SECONDS": 3, "WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "WEBHOOK_TIMEOUT": 10}


def _until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_an_event_reaches_the_receiver_after_the_worker_is_killed(
    app_ctx, app_config: dict, tmp_path
) -> None:
    receiver = Receiver(answers=["hang", 500, 204]).start()
    first = second = None
    try:
        parties = make_parties()
        endpoint, receiver.secret = make_endpoint(receiver.url, event_types=["violation.published"])
        violation = make_violation(parties)
        (queued,) = deliveries(endpoint.id)

        first = WorkerProcess({**app_config, **WORKER}, tmp_path / "first.log").start()
        assert receiver.got_one.wait(30), first.log_text()
        first.kill()  # mid-delivery: the receiver has the request and has not answered
        receiver.release.set()
        db.session.expire_all()
        assert deliveries(endpoint.id)[0].status == "pending"  # nothing was recorded

        second = WorkerProcess({**app_config, **WORKER}, tmp_path / "second.log").start()
        done = _until(lambda: deliveries(endpoint.id)[0].status == "delivered")
        assert done, second.log_text()
        log = second.log_text()
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        receiver.stop()

    (delivery,) = deliveries(endpoint.id)
    assert delivery.attempts == 2 and delivery.last_status_code == 204  # the 500, then this
    assert "attempt 1: pending: HTTP 500" in log
    assert len(receiver.requests) == 3
    for got in receiver.requests:
        assert got.verified, got.error
        assert got.headers["webhook-id"] == queued.event_id
        assert got.payload["data"]["id"] == violation.id
