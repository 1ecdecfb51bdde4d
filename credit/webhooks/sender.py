"""The sender: the worker holding the ``webhooks-sender`` lease POSTs due deliveries.

Each delivery is signed as the Standard Webhooks specification says: headers
``webhook-id`` (the message id, the same on every attempt), ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``,
keyed with the base64-decoded part of the endpoint's ``whsec_`` secret; receivers verify it
with the published libraries (``standardwebhooks``).

Outbound requests are bounded and go where they were checked to go (SECURITY H10): the URL
is parsed and its host resolved again at each attempt; every address must be public (or
the host allow-listed); the connection is made to one of those addresses (the Host header
and TLS SNI name the host), and the address the socket is connected to is checked before
anything is sent. Connect and each read wait at most ``timeout`` seconds and the whole
request is cut off at twice that; at most ``max_response_bytes`` of the answer are read;
redirects are never followed (a 3xx is a failed attempt).

A 2xx answer delivers it. Otherwise it is retried after 5 s, 5 min, 30 min, 2 h, 5 h and
10 h while the retry falls within 24 hours of the first attempt, then it is ``failed``.
An endpoint whose every attempt has failed for ``disable_after`` is disabled, with the
reason its subscriber reads in GET /api/v1/webhooks/{id}.

At-least-once: a delivery stays pending and due until its outcome is committed, so a
worker killed mid-request leaves it to the next holder of the lease, which sends it again
(receivers de-duplicate on ``webhook-id``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock
from credit.webhooks.addresses import (
    AddressRefused,
    IPAddress,
    Target,
    check_address,
    checked_addresses,
    parse_url,
)
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

LEASE_NAME = "webhooks-sender"
#: Waits before each retry (after the 1st, 2nd, ... failed attempt).
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
#: Retries are made while they fall within this time of the first attempt.
RETRY_WINDOW = timedelta(hours=24)
USER_AGENT = "js-credit-platform-webhooks/1"
ERROR_MAX = 500


@dataclass(frozen=True)
class SenderSettings:
    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    timeout: float = 5.0
    disable_after: timedelta = timedelta(days=5)
    max_response_bytes: int = 64 * 1024
    batch_size: int = 20


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` over ``{msg_id}.{timestamp}.{body}`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to one checked address; Host and SNI name the URL's host."""

    def __init__(self, target: Target, address: IPAddress, timeout: float) -> None:
        super().__init__(str(address), target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            check_address(self.target, _peer(sock))  # the address actually connected to
        except AddressRefused:
            sock.close()
            raise
        if self.target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.target.host)
        self.sock = sock

    def abort(self) -> None:
        """Cut the request off (the overall deadline)."""
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing to cut
                sock.shutdown(socket.SHUT_RDWR)


class _ConnectFailed(Exception):
    pass


def _peer(sock: socket.socket) -> IPAddress:
    return ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])


def _post_to(
    target: Target,
    address: IPAddress,
    body: bytes,
    headers: dict[str, str],
    settings: SenderSettings,
) -> Outcome:
    conn = _PinnedConnection(target, address, settings.timeout)
    try:
        conn.connect()
    except AddressRefused as exc:
        return Outcome(None, f"{exc.code}: {exc}")
    except (OSError, ssl.SSLError) as exc:
        conn.close()
        raise _ConnectFailed(f"{type(exc).__name__}: {exc}") from None
    timer = threading.Timer(settings.timeout * 2, conn.abort)
    timer.daemon = True
    timer.start()
    try:
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header, "Content-Length": str(len(body))},
        )
        response = conn.getresponse()
        response.read(settings.max_response_bytes)  # bounded; the rest is never read
        status = response.status
        location = response.getheader("Location") or ""
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        timer.cancel()
        conn.close()
    if 300 <= status < 400:
        return Outcome(status, f"HTTP {status}: redirect not followed ({location[:200]})")
    if not 200 <= status < 300:
        return Outcome(status, f"HTTP {status}")
    return Outcome(status)


def post(url: str, body: bytes, headers: dict[str, str], settings: SenderSettings) -> Outcome:
    """POST ``body`` to ``url`` under the rules of this module; never raises."""
    try:
        target = parse_url(url, settings.allow_hosts)
        addresses = checked_addresses(target)
    except AddressRefused as exc:
        return Outcome(None, f"{exc.code}: {exc}")
    failures = []
    for address in addresses:
        try:
            return _post_to(target, address, body, headers, settings)
        except _ConnectFailed as exc:
            failures.append(f"{address}: {exc}")
    return Outcome(None, "cannot connect: " + "; ".join(failures))


def _next_attempt(delivery: WebhookDelivery, now: datetime) -> datetime | None:
    index = delivery.attempts - 1
    if index >= len(RETRY_DELAYS):
        return None
    due = now + RETRY_DELAYS[index]
    return due if due <= delivery.window_started_at + RETRY_WINDOW else None


def _record(
    session: Session,
    delivery_id: str,
    outcome: Outcome,
    started: datetime,
    settings: SenderSettings,
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # the endpoint was deleted meanwhile
        session.rollback()
        return
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    now = clock.now()
    delivery.attempts += 1
    delivery.last_attempt_at = started
    delivery.last_status_code = outcome.status
    delivery.last_error = outcome.error[:ERROR_MAX] if outcome.error else None
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        endpoint.failing_since, endpoint.consecutive_failures = None, 0
        endpoint.last_success_at = now
    else:
        due = _next_attempt(delivery, now)
        delivery.next_attempt_at = due
        if due is None:
            delivery.status = "failed"
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or started
        if endpoint.enabled and now - endpoint.failing_since >= settings.disable_after:
            endpoint.enabled = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = (
                f"自 {endpoint.failing_since:%Y-%m-%d %H:%M} UTC 起所有投递均失败"
                f"（{endpoint.consecutive_failures} 次），最近一次：{delivery.last_error} / "
                f"every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC "
                f"({endpoint.consecutive_failures} attempts); the last: {delivery.last_error}"
            )[:1000]
            endpoint.version += 1
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)
    session.commit()
    log.info(
        "webhook %s %s (delivery %s, endpoint %s) attempt %d: %s",
        delivery.event_type,
        delivery.event_id,
        delivery.id,
        delivery.endpoint_id,
        delivery.attempts,
        "delivered" if outcome.ok else f"{delivery.status}: {delivery.last_error}",
    )


def attempt(session: Session, delivery_id: str, settings: SenderSettings) -> Outcome | None:
    """One attempt at one delivery: read what to send, end the transaction (nothing is
    held open over the network), POST, record the outcome. None if it is gone."""
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:
        session.rollback()
        return None
    url, secret, msg_id = endpoint.url, endpoint.secret, delivery.event_id
    body = body_of(delivery.payload)
    session.commit()
    started = clock.now()
    timestamp = int(started.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    try:
        outcome = post(url, body, headers, settings)
    except Exception as exc:  # never a delivery retried at once forever: it waits its turn
        log.exception("webhook delivery %s: unexpected failure", delivery_id)
        outcome = Outcome(None, f"internal error: {type(exc).__name__}")
    _record(session, delivery_id, outcome, started, settings)
    return outcome


def due_deliveries(session: Session, limit: int) -> list[str]:
    """Ids of pending deliveries whose time has come, of enabled endpoints, oldest first."""
    ids = session.scalars(
        sa.select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= clock.now(),
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    session.commit()
    return list(ids)


def send_due(
    session: Session, settings: SenderSettings, keep_going: Callable[[], bool] = lambda: True
) -> int:
    """Attempt the deliveries that are due (one batch); returns how many were attempted.
    ``keep_going`` is asked before each (the worker: still holding the lease, no stop)."""
    done = 0
    for delivery_id in due_deliveries(session, settings.batch_size):
        if not keep_going():
            break
        attempt(session, delivery_id, settings)
        done += 1
    return done
