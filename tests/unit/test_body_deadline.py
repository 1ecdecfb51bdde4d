"""The request-body deadline (api/bodytimeout.py) on a real socket pair, in-process.

The server side of the pair stands in for ``environ["gunicorn.socket"]``; the body is read
from it with blocking reads, as gunicorn reads it. Over the real server the same is shown
with 24 slow uploads in tests/live/test_plumbing.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from api.bodytimeout import BodyDeadline, BodyTimeout


class SocketBody:
    """A request body read from a socket with blocking reads (like gunicorn's Body)."""

    def __init__(self, sock: socket.socket, length: int) -> None:
        self.sock = sock
        self.left = length
        self.failed = False  # gunicorn's flag: do not reuse the connection

    def read(self, size: int = -1) -> bytes:
        want = self.left if size is None or size < 0 else min(size, self.left)
        chunks = []
        while want > 0:
            data = self.sock.recv(want)
            if not data:
                break
            chunks.append(data)
            want -= len(data)
            self.left -= len(data)
        return b"".join(chunks)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def reading_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"%d" % len(body)]


def call(app, environ: dict) -> tuple[list[bytes] | None, BaseException | None]:
    out: list = [None, None]
    try:
        out[0] = list(app(environ, lambda status, headers: None))
    except BodyTimeout as exc:
        out[1] = exc
    return out[0], out[1]


def environ_for(server: socket.socket, length: int, arrived: float | None = None) -> dict:
    body = SocketBody(server, length)
    if arrived is not None:
        body.credit_arrived = arrived
    return {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": body,
        "gunicorn.socket": server,
    }


def test_a_dribbling_client_is_cut_off_at_the_deadline(pair) -> None:
    server, client = pair
    stop = threading.Event()

    def dribble() -> None:
        while not stop.is_set():
            try:
                client.send(b"x")
            except OSError:
                return
            stop.wait(0.05)

    threading.Thread(target=dribble, daemon=True).start()
    environ = environ_for(server, 100_000)
    body = environ["wsgi.input"]
    try:
        result, error = call(BodyDeadline(reading_app, 0.5), environ)
    finally:
        stop.set()
    assert result is None
    assert isinstance(error, BodyTimeout) and error.code == 408
    assert "0.5" in error.description and "秒" in error.description
    assert body.failed  # gunicorn closes the connection instead of reading on


def test_a_silent_client_is_cut_off_too(pair) -> None:
    server, client = pair
    client.sendall(b"{")
    result, error = call(BodyDeadline(reading_app, 0.3), environ_for(server, 10))
    assert result is None and isinstance(error, BodyTimeout)


def test_a_body_that_arrived_in_time_is_read_even_if_its_thread_came_late(pair) -> None:
    """Queued past its deadline, the request still gets what has arrived: nothing waits."""
    server, client = pair
    client.sendall(b"y" * 5000)
    environ = environ_for(server, 5000, arrived=time.monotonic() - 60)
    body = environ["wsgi.input"]
    result, error = call(BodyDeadline(reading_app, 1), environ)
    assert error is None and result == [b"5000"]
    assert not body.failed


def test_an_incomplete_body_found_late_is_refused_without_waiting(pair) -> None:
    server, client = pair
    client.sendall(b"z" * 10)  # of 1000, and the client sends nothing more
    environ = environ_for(server, 1000, arrived=time.monotonic() - 60)
    result, error = call(BodyDeadline(reading_app, 30), environ)
    assert result is None and isinstance(error, BodyTimeout)


def test_requests_without_a_body_are_left_alone() -> None:
    sentinel = object()
    seen = {}

    def app(environ, start_response):
        seen["input"] = environ["wsgi.input"]
        return [b""]

    BodyDeadline(app, 1)({"REQUEST_METHOD": "GET", "wsgi.input": sentinel}, None)
    assert seen["input"] is sentinel


def test_without_a_socket_a_read_past_the_deadline_is_refused() -> None:
    """The test client and ``flask run`` give no socket to cut: the deadline is checked
    at each read."""

    class Slow:
        def read(self, size: int = -1) -> bytes:
            time.sleep(0.1)
            return b"a"

    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "1000", "wsgi.input": Slow()}

    def app(environ, start_response):
        while environ["wsgi.input"].read(1):
            pass
        return [b""]

    with pytest.raises(BodyTimeout):
        BodyDeadline(app, 0.3)(environ, None)


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BodyDeadline(reading_app, 0)
