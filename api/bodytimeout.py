"""A bound on the time a client may take to send its request body (slow uploads).

gunicorn's gthread worker reads a request body in the thread that serves the request, with
blocking reads: a client that sends its headers and then a byte now and then holds that
thread for as long as it likes, and a per-read socket timeout would not bound the total
(every byte starts it again). Two dozen such uploads held every thread of the workers and
``/healthz`` stopped answering.

``BodyDeadline`` wraps ``wsgi.input`` of every request that has a body with a deadline:
``CREDIT_REQUEST_BODY_TIMEOUT`` seconds after the request reached the worker (the worker
class in ``deploy/gunicorn.conf.py`` notes when; time spent queued while every thread was
busy counts). One watchdog thread per process shuts down the read side of the client
socket (``environ["gunicorn.socket"]``) when a deadline passes: a read blocked on a silent
client returns at once, and from then on reads take what has already arrived without
waiting for more. A body still incomplete is refused with ``BodyTimeout`` (408
problem+json); gunicorn closes the connection after that answer instead of reading on,
and the thread is free. A queue of slow uploads is therefore refused within one timeout
of their arrival, however many there are, while an upload that was complete when its
thread took it still succeeds. Requests without a body cost nothing. Without gunicorn (the
test client, ``flask run``) there is no socket to cut: a read past the deadline is refused.

This is the second line of defence: production runs behind a proxy that buffers whole
request bodies (nginx), so the application only ever sees complete ones.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import RequestTimeout

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyTimeout(RequestTimeout):
    """The request body did not arrive in time (408)."""


class _Watch:
    """One request body under watch: its deadline, its socket, whether it ended."""

    __slots__ = ("deadline", "done", "expired", "lock", "sock", "stream")

    def __init__(self, deadline: float, sock: socket.socket | None, stream: Any) -> None:
        self.deadline = deadline
        self.sock = sock
        self.stream = stream
        self.done = False
        self.expired = False
        self.lock = threading.Lock()

    def finish(self) -> None:
        """The body was read, or the request is over: nothing more to cut."""
        with self.lock:
            self.done = True

    def expire(self) -> None:
        """Past the deadline: stop waiting for the client. Shutting down the read side
        makes a blocked recv() return at once, and later ones return only what has
        already arrived, never waiting for more."""
        with self.lock:
            if self.done or self.expired:
                return
            self.expired = True
            if self.sock is not None:
                with contextlib.suppress(OSError):  # the client has closed it already
                    self.sock.shutdown(socket.SHUT_RD)

    def fail(self) -> None:
        """The body is incomplete: the connection must not carry another request."""
        # gunicorn (27+) then closes the connection after the answer instead of reading
        # what is left of the body; other servers have no such attribute.
        if hasattr(self.stream, "failed"):
            self.stream.failed = True
        self.finish()


class _Watchdog:
    """One thread per process that expires watches when their deadline passes.

    It sleeps until the earliest deadline; finished watches are dropped when they reach the
    head of the queue (at most one request rate × timeout of them are ever queued).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._pid: int | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            if self._pid != os.getpid():  # first use in this process (or after a fork)
                self._pid = os.getpid()
                self._heap = []
                threading.Thread(target=self._run, name="body-deadline", daemon=True).start()
            heapq.heappush(self._heap, (watch.deadline, next(self._seq), watch))
            if self._heap[0][2] is watch:
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, watch = heapq.heappop(self._heap)
                    if not watch.done:
                        watch.expire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_watchdog = _Watchdog()


class _TimedInput:
    """``wsgi.input`` under a deadline: past it, reads take what has arrived and a body
    found incomplete is refused with 408."""

    def __init__(self, stream: Any, watch: _Watch, length: int | None, timeout: float) -> None:
        self._stream = stream
        self._watch = watch
        self._left = length  # bytes still to come, when the length is declared
        self._timeout = timeout

    def _timeout_error(self) -> BodyTimeout:
        self._watch.fail()
        return BodyTimeout(
            f"请求体未在 {self._timeout:g} 秒内发送完毕，请重试 "
            f"(request body not received within {self._timeout:g} s)"
        )

    def _read(self, method: Callable[..., bytes], size: int | None, line: bool) -> bytes:
        watch = self._watch
        if not watch.done and not watch.expired and time.monotonic() >= watch.deadline:
            watch.expire()
        if watch.expired and watch.sock is None and not watch.done:
            raise self._timeout_error()  # no socket to cut: a read could wait forever
        whole = size is None or size < 0
        want = self._left if whole else (size if self._left is None else min(size, self._left))
        try:
            data = method() if whole else method(size)
        except Exception:
            if watch.expired and not watch.done:  # e.g. a chunked body cut off mid-chunk
                raise self._timeout_error() from None
            raise
        if self._left is not None:
            self._left -= len(data)
        if watch.expired and not watch.done:
            short = want is not None and len(data) < want
            if (self._left or 0) > 0 and short and not (line and data.endswith(b"\n")):
                raise self._timeout_error()  # the client did not send it in time
        if (self._left is not None and self._left <= 0) or (not data and size != 0):
            watch.finish()  # the whole body is in
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._read(self._stream.read, size, line=False)

    def readline(self, size: int | None = -1) -> bytes:
        return self._read(self._stream.readline, size, line=True)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(self)

    def __iter__(self):
        return iter(self.readline, b"")


def _has_body(environ: dict[str, Any]) -> tuple[bool, int | None]:
    """Whether the request has a body, and its length if declared."""
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True, None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False, None
    return length > 0, length


class BodyDeadline:
    """WSGI middleware: a request body must arrive within ``timeout`` seconds."""

    def __init__(self, app: WSGIApp, timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be > 0")
        self.app = app
        self.timeout = timeout

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        has_body, length = _has_body(environ)
        if not has_body:
            return self.app(environ, start_response)
        stream = environ["wsgi.input"]
        # gunicorn serves one request at a time on an HTTP/1.1 connection (HTTP/2 is not
        # enabled in deploy/gunicorn.conf.py), so its socket is this request's alone.
        sock = environ.get("gunicorn.socket")
        now = time.monotonic()
        # When the request reached the worker (deploy/gunicorn.conf.py's worker notes it):
        # time spent queued while every thread was busy counts, so a queue of slow uploads
        # is refused at once when its time is up instead of each one taking a thread for
        # the whole timeout in turn.
        arrived = getattr(stream, "credit_arrived", None)
        start = arrived if isinstance(arrived, float) and arrived <= now else now
        watch = _Watch(start + self.timeout, sock, stream)
        environ["wsgi.input"] = _TimedInput(stream, watch, length, self.timeout)
        if sock is not None:
            if watch.deadline <= now:
                watch.expire()
            else:
                _watchdog.add(watch)
        try:
            return self.app(environ, start_response)
        finally:
            # Before gunicorn can close the socket (and its number be reused).
            watch.finish()
