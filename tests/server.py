"""The real server for tests: gunicorn with ``deploy/gunicorn.conf.py`` on a loopback port.

The test client never sends what a network client sends (request lines with raw bytes,
header encodings, several worker processes, a proxy in front), so whatever depends on the
server is tested here, over HTTP, with a real client library (``requests``) and, for
what no library sends, raw bytes on a socket.

The server runs on the test's own database and search index (the ``app_config`` of
``tests/conftest.py``), so tests arrange data in-process and read it back over HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(config: Mapping[str, Any]) -> dict[str, str]:
    """``create_app(config)`` keys as the ``CREDIT_*`` variables a deployment sets."""
    out = {}
    for key, value in config.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[f"CREDIT_{key}"] = str(value)
    return out


class _LoggedProcess:
    """A process the test starts on its database and search index (the ``CREDIT_*``
    variables of ``config``, none inherited), writing into ``log_path``, in a session of its
    own so a signal reaches every process it starts."""

    config: dict[str, Any]
    log_path: Path
    proc: subprocess.Popen | None

    def _spawn(self, argv: list[str], env: Mapping[str, str]) -> None:
        full = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
        full.update(env_for(self.config))
        full.update(env)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self._log_start = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=full,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _wait_until(
        self,
        ready: Callable[[], bool],
        timeout: float,
        interval: float,
        give_up: Callable[[], None],
    ) -> None:
        """Until ``ready()``; the log's tail in the error if the process exits first or
        ``timeout`` passes (then ``give_up()`` stops it)."""
        name = self.__class__.__name__
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(interval)
        give_up()
        raise RuntimeError(f"{name} was not ready within {timeout}s:\n{self.log_tail()}")

    def log_text(self) -> str:
        """What the process wrote since it started (its log lines and errors)."""
        with open(self.log_path, "rb") as fh:
            fh.seek(self._log_start)
            return fh.read().decode("utf-8", "replace")

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class GunicornServer(_LoggedProcess):
    """One gunicorn master with its workers; ``url`` once started."""

    def __init__(
        self,
        config: Mapping[str, Any],
        log_path: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        extra_env: Mapping[str, str] | None = None,
        port: int | None = None,
        app_spec: str = "wsgi:app",
    ) -> None:
        self.config = dict(config)
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.extra_env = dict(extra_env or {})
        self.app_spec = app_spec  # another module for a test-only route (tests/live/*_app.py)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> GunicornServer:
        # The server's public URL is its own (links, issuer, console redirect URI), unless
        # extra_env names another one.
        env = {
            "CREDIT_PUBLIC_URL": self.url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), self.app_spec]
        self._spawn(argv, env)

        def answers() -> bool:
            try:
                healthy = requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False
            return healthy and self._all_workers_up()

        self._wait_until(answers, timeout, 0.2, self.stop)
        return self

    def _all_workers_up(self) -> bool:
        """Every worker has loaded the app (each logs 'Booting worker' before loading)."""
        import psutil

        children = psutil.Process(self.proc.pid).children() if self.proc else []
        return len(children) >= self.workers

    def worker_pids(self) -> list[int]:
        import psutil

        return [c.pid for c in psutil.Process(self.proc.pid).children()] if self.proc else []

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        self._log.close()


class WorkerProcess(_LoggedProcess):
    """``flask --app wsgi credit worker`` as deployed (the systemd unit's command), on the
    test's database and search index; ``holder`` once it has started."""

    def __init__(
        self, config: Mapping[str, Any], log_path: Path, extra_env: Mapping[str, str] | None = None
    ) -> None:
        self.config = dict(config)
        self.log_path = log_path
        self.extra_env = dict(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.holder: str | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        import re

        self._spawn(
            [sys.executable, "-m", "flask", "--app", "wsgi", "credit", "worker"],
            {"PYTHONUNBUFFERED": "1", **self.extra_env},
        )

        def started() -> bool:
            match = re.search(r"worker (\S+) starting", self.log_text())
            if match:
                self.holder = match.group(1)
            return match is not None

        self._wait_until(started, timeout, 0.1, self.kill)
        return self

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, as systemd and honcho stop it; its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: the worker dies without releasing anything."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(url: str, data: bytes, timeout: float = 10) -> RawResponse:
    """Send bytes exactly as given (a request line no HTTP library would send) and read
    the answer until the server closes or the body is complete."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            raw = b"".join(chunks)
            head, sep, body = raw.partition(b"\r\n\r\n")
            if sep:
                length = _content_length(head)
                if length is not None and len(body) >= length:
                    break
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


class HttpResponse:
    """A ``requests`` response with the parts of Flask's test response the tests read, so
    a test written for the test client runs unchanged over HTTP."""

    def __init__(self, response: requests.Response) -> None:
        self.raw = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.content_type = response.headers.get("Content-Type", "")

    def get_json(self, silent: bool = False) -> Any:
        try:
            return self.raw.json()
        except ValueError:
            if silent:
                return None
            raise

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.raw.text if as_text else self.raw.content

    @property
    def text(self) -> str:
        return self.raw.text


class HttpClient:
    """Flask's test-client interface (``open``, ``get``, ``post``, ...) over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback through a configured proxy

    def open(
        self,
        path: str,
        method: str = "GET",
        *,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        query_string: Any = None,
        auth: tuple[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> HttpResponse:
        response = self.session.request(
            method,
            self.base_url + path,
            json=json,
            data=data,
            headers=dict(headers or {}),
            params=query_string,
            auth=auth,
            allow_redirects=follow_redirects,
            timeout=30,
        )
        return HttpResponse(response)

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "POST", **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "PATCH", **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "PUT", **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.open(path, "DELETE", **kwargs)

    def close(self) -> None:
        self.session.close()
