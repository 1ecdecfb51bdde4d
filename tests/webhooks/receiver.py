"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 (a thread) that
verifies every request it gets with the published ``standardwebhooks`` library and
answers as the test scripts it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

#: Answers a test may script: a status code, ("redirect", location), or "hang" (hold the
#: request until released, then close without answering).
Answer = int | tuple[str, str] | str


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None
    payload: Any = None


@dataclass
class Receiver:
    secret: str | None = None
    answers: list[Answer] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    got_one: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, error, payload = False, None, None
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception as exc:  # recorded: the test asserts on it
                    error = f"{type(exc).__name__}: {exc}"
                receiver.requests.append(
                    Received(self.command, self.path, headers, body, verified, error, payload)
                )
                receiver.got_one.set()
                answer = receiver.answers.pop(0) if receiver.answers else 204
                if answer == "hang":
                    receiver.release.wait(60)
                    self.close_connection = True
                    return
                if isinstance(answer, tuple):
                    self.send_response(302)
                    self.send_header("Location", answer[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = _handle
            do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/credit"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
