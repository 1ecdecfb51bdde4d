"""An Idempotency-Key claim held by a process that died, on the run's database (SQLite or
PostgreSQL with ``--db``): a duplicate takes a claim of a gone process of this host over at
once; a claim of a live process, or of another host's, waits for its lease (60 s)."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from credit import clock, idempotency
from credit.extensions import db
from credit.idempotency import IdempotencyRecord, claim, this_process

FINGERPRINT = "f" * 64
ROOT = __file__.rsplit("/tests/", 1)[0]


def _claimed_by(holder: str | None, key: str = "k1") -> None:
    """The key as a request that is (or was) running leaves it: claimed, its lease 60 s on."""
    now = clock.now()
    db.session.add(
        IdempotencyRecord(
            client_id="c1",
            key=key,
            request_hash=FINGERPRINT,
            state="claimed",
            created_at=now,
            locked_until=now + idempotency.LEASE,
            expires_at=now + idempotency.RETENTION,
            holder=holder,
        )
    )
    db.session.commit()
    db.session.remove()  # the duplicate arrives as a request of its own


def _duplicate() -> str:
    """A duplicate request with the key claims it (a request of its own: its own session)."""
    outcome = claim("c1", "k1", FINGERPRINT).outcome
    db.session.remove()
    return outcome


def _holder_of_a_process_that_exited() -> str:
    """A real process of this host names itself as a holder would, then exits."""
    code = "from credit.idempotency import this_process; print(this_process())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.skipif(sys.platform != "linux", reason="a process's start time comes from /proc")
def test_a_claim_whose_process_is_gone_is_taken_over_at_once(app_ctx) -> None:
    dead = _holder_of_a_process_that_exited()
    assert dead.startswith(f"{socket.gethostname()}:") and not dead.endswith(":-")
    _claimed_by(dead)

    assert _duplicate() == "proceed"
    record = db.session.get(IdempotencyRecord, ("c1", "k1"))
    assert record.holder == this_process()  # now this process's claim, with a new lease
    db.session.remove()
    # ...and a further duplicate, while this process runs, is told to wait.
    assert _duplicate() == "in_flight"


def test_a_claim_of_a_running_process_waits_for_its_lease(app_ctx, frozen_clock) -> None:
    _claimed_by(this_process())
    assert _duplicate() == "in_flight"
    frozen_clock.advance(idempotency.LEASE.total_seconds() - 1)
    assert _duplicate() == "in_flight"  # a second before the end
    frozen_clock.advance(1)
    assert _duplicate() == "proceed"  # the lease has ended


@pytest.mark.parametrize(
    "holder",
    [
        "another-host.example:1:1",  # another host: this one cannot tell whether it runs
        None,  # a claim made before claims named their process
        f"{socket.gethostname()}:1:-",  # a process whose start time could not be read
    ],
)
def test_a_claim_not_known_gone_waits_for_its_lease(app_ctx, holder) -> None:
    _claimed_by(holder)
    assert _duplicate() == "in_flight"


def test_the_lease_rule_is_unchanged_for_a_gone_holder_once_retaken(app_ctx) -> None:
    """The takeover is a compare-and-set on the holder: a claim another process already
    took over (a new holder) is not taken again because the old holder is gone."""
    if sys.platform != "linux":
        pytest.skip("a process's start time comes from /proc")
    dead = _holder_of_a_process_that_exited()
    _claimed_by(dead)
    record = db.session.get(IdempotencyRecord, ("c1", "k1"))
    record.holder = "another-host.example:7:7"  # taken over meanwhile by another instance
    record.locked_until = clock.now() + timedelta(seconds=60)
    db.session.commit()
    db.session.remove()
    assert _duplicate() == "in_flight"
