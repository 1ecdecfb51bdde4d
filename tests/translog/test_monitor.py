"""``flask --app wsgi credit log monitor URL`` against platforms that lie (issue 21).

The monitor is a client, and what it must catch is a server that lies; so the servers here
are fakes on purpose: a tiny ``http.server`` on loopback serving the documented endpoints
(``/api/v1/log/checkpoint``, ``/key``, ``/proof/consistency``) from an in-memory tree
signed with ``notes.Signer``. An honest log growing passes, across two runs (the state
file carries what was seen) and within one; a checkpoint signed by another key, one of
another origin, a shrunk tree, a forked root of the same size and a bigger tree that does
not extend the last one each stop the monitor with exit status 2 and the alert in words; a
platform that cannot be read gives exit status 1 and a message, never a traceback.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner

from api.cli import credit_cli
from credit.translog import monitor
from credit.translog.merkle import MemoryTree
from credit.translog.notes import Checkpoint, Signer

ORIGIN = "jsecredit.example/log"


class FakeLog:
    """What the fake platform serves: a tree, the key that signs its checkpoints, and
    knobs to lie with."""

    def __init__(self, signer: Signer, entries: int, tag: bytes = b"") -> None:
        self.signer = signer
        self.origin = ORIGIN
        self.tree = MemoryTree()
        self.grow(entries, tag)
        self.served_size: int | None = None  # serve the checkpoint of an older size
        self.note_signer: Signer | None = None  # sign with another key
        self.cosigner: Signer | None = None  # a second signature (a key rotation)
        self.status: int | None = None  # answer every request with this status
        self.on_checkpoint: Callable[[FakeLog], None] | None = None
        self.proof_answer: tuple[int, object] | None = None  # answer proofs with this
        self.requests: list[str] = []

    def grow(self, n: int, tag: bytes = b"") -> None:
        for _ in range(n):
            self.tree.append(tag + b"entry %d" % self.tree.size)

    def note(self) -> str | None:
        size = self.tree.size if self.served_size is None else self.served_size
        if size == 0 and self.tree.size == 0:
            return None
        checkpoint = Checkpoint(self.origin, size, self.tree.at(size).root())
        note = (self.note_signer or self.signer).sign(checkpoint.text())
        if self.cosigner:  # as the platform cosigns: the second signature line appended
            note += self.cosigner.sign(checkpoint.text()).split("\n\n", 1)[1]
        return note


class Handler(BaseHTTPRequestHandler):
    server: LogServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: object) -> None:
        kind = "application/json" if status == 200 else "application/problem+json"
        self._send(status, json.dumps(doc).encode(), kind)

    def do_GET(self) -> None:
        log = self.server.log
        url = urlsplit(self.path)
        log.requests.append(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if log.status:
            return self._json(log.status, {"title": "unavailable", "status": log.status})
        if url.path == "/api/v1/log/checkpoint":
            if log.on_checkpoint:
                log.on_checkpoint(log)
            note = log.note()
            if note is None:
                return self._json(404, {"title": "no checkpoint yet", "status": 404})
            return self._send(200, note.encode(), "text/plain; charset=utf-8")
        if url.path == "/api/v1/log/key":
            verifier = log.signer.verifier()
            return self._json(
                200,
                {
                    "origin": log.origin,
                    "verifier_key": verifier.encoded(),
                    "key_id": verifier.id.hex(),
                },
            )
        if url.path == "/api/v1/log/proof/consistency":
            if log.proof_answer:
                return self._json(*log.proof_answer)
            first, second = int(query["first"]), int(query["second"])
            if not 0 < first <= second <= log.tree.size:
                return self._json(400, {"title": "bad sizes", "status": 400})
            proof = log.tree.at(second).consistency_proof(first)
            doc = {
                "first": first,
                "second": second,
                "proof": [base64.b64encode(h).decode() for h in proof],
            }
            return self._json(200, doc)
        return self._json(404, {"title": "not found", "status": 404})


class LogServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, log: FakeLog) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def serve() -> Iterator[Callable[[FakeLog], LogServer]]:
    servers: list[LogServer] = []

    def start(log: FakeLog) -> LogServer:
        server = LogServer(log)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


def run(*args: str):
    """``credit log monitor ARGS`` as the flask CLI runs it (the command needs no app)."""
    return CliRunner().invoke(credit_cli, ["log", "monitor", *args])


def watch(server: LogServer, state: Path, key: str | None, *more: str):
    args = [server.url, "--state", str(state), "--retries", "1", *more]
    return run(*args, *(["--key", key] if key else []))


def saved(state: Path) -> dict:
    return json.loads(state.read_text(encoding="utf-8"))


def test_an_honest_log_growing_passes_across_runs(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 10)
    server = serve(log)
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    first = watch(server, state, key)
    assert first.exit_code == 0, first.output
    assert "签名有效 (signature verifies)" in first.output
    assert "首次验证 (first checkpoint verified)" in first.output
    assert "全部检查通过 (all checks passed)" in first.output
    assert saved(state)["size"] == 10 and saved(state)["origin"] == ORIGIN
    assert saved(state)["root"] == base64.b64encode(log.tree.at(10).root()).decode()

    log.grow(25)  # tomorrow: the log grew; the run checks it against yesterday's state
    second = watch(server, state, key)
    assert second.exit_code == 0, second.output
    assert "一致 (consistent): 10 -> 35" in second.output
    assert "/api/v1/log/proof/consistency" in log.requests
    assert saved(state)["size"] == 35

    third = watch(server, state, None)  # no --key: the state file's key, no trust on first use
    assert third.exit_code == 0, third.output
    assert "未变 (unchanged)" in third.output and "trust-on-first-use" not in third.output


def test_growth_within_one_run_is_checked_at_every_fetch(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 3)
    log.on_checkpoint = lambda log: log.grow(7)  # each fetch finds 7 more entries
    server = serve(log)
    state = tmp_path / "state.json"
    result = watch(server, state, signer.verifier().encoded(), "--count", "4", "--interval", "0")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("一致")]
    assert [line.split(":")[1].split(",")[0].strip() for line in lines] == [
        "10 -> 17",
        "17 -> 24",
        "24 -> 31",
    ]
    assert saved(state)["size"] == 31


def test_trust_on_first_use_is_said_and_the_key_kept(tmp_path, serve, signer) -> None:
    server = serve(FakeLog(signer, 5))
    state = tmp_path / "state.json"
    result = watch(server, state, None)
    assert result.exit_code == 0, result.output
    assert "trusting the server's own key is trust-on-first-use" in result.output
    assert saved(state)["key"] == signer.verifier().encoded()


def test_a_checkpoint_signed_by_another_key_is_an_alert(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 8)
    server = serve(log)
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    assert watch(server, state, key).exit_code == 0
    before = state.read_text(encoding="utf-8")
    log.grow(4)
    log.note_signer = Signer.generate(ORIGIN)  # same name, another key
    result = watch(server, state, key)
    assert result.exit_code == 2, result.output
    assert "警报 (ALERT): 签名无效 (signature does not verify)" in result.output
    assert state.read_text(encoding="utf-8") == before  # what was verified stays
    # and with a fresh state file: the key given is the one that counts
    fresh = watch(server, tmp_path / "fresh.json", key)
    assert fresh.exit_code == 2 and "签名无效 (signature does not verify)" in fresh.output


def test_a_key_rotation_is_followed_with_the_new_key(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 8)
    server = serve(log)
    state = tmp_path / "state.json"
    assert watch(server, state, signer.verifier().encoded()).exit_code == 0
    new = Signer.generate(ORIGIN)  # same name: the same log
    log.cosigner = new
    log.grow(3)
    assert watch(server, state, None).exit_code == 0  # the old key still signs
    log.signer, log.cosigner = new, None  # the old key removed
    log.grow(3)
    stale = watch(server, state, None)
    assert stale.exit_code == 2 and "签名无效 (signature does not verify)" in stale.output
    rotated = watch(server, state, new.verifier().encoded())
    assert rotated.exit_code == 0, rotated.output
    assert "--key 与状态文件中的密钥不同 (differs from the state file's key)" in rotated.output
    assert "一致 (consistent): 11 -> 14" in rotated.output
    assert saved(state)["key"] == new.verifier().encoded()


def test_a_checkpoint_of_another_origin_is_an_alert(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 8)
    server = serve(log)
    state = tmp_path / "state.json"
    assert watch(server, state, signer.verifier().encoded()).exit_code == 0
    log.origin = "another.example/log"
    result = watch(server, state, None)
    assert result.exit_code == 2, result.output
    assert "来源不符 (wrong origin)" in result.output


def test_a_shrunk_tree_is_an_alert(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 20)
    server = serve(log)
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    assert watch(server, state, key).exit_code == 0
    log.served_size = 13  # a correctly signed checkpoint of a smaller tree
    result = watch(server, state, key)
    assert result.exit_code == 2, result.output
    assert "日志缩小 (the log shrank): 大小 20 -> 13" in result.output
    assert saved(state)["size"] == 20


def test_a_forked_root_of_the_same_size_is_an_alert(tmp_path, serve, signer) -> None:
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    assert watch(serve(FakeLog(signer, 20)), state, key).exit_code == 0
    # the same platform (same key, same origin) shows another history of the same length
    forked = FakeLog(signer, 20, tag=b"rewritten ")
    result = watch(serve(forked), state, key)
    assert result.exit_code == 2, result.output
    assert "分叉 (fork): 同一大小 20, 根不同 (same size, different root)" in result.output
    (kept,) = tmp_path.glob("state.alert-*.json")
    found = json.loads(kept.read_text(encoding="utf-8"))
    assert found["served_note"] == forked.note() and found["consistency_proof"] is None


def test_a_bigger_tree_that_does_not_extend_the_last_is_a_fork(tmp_path, serve, signer) -> None:
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    honest = FakeLog(signer, 20)
    assert watch(serve(honest), state, key).exit_code == 0
    # a bigger log whose first 20 entries are not the ones seen: entry 7 was edited
    forked = FakeLog(signer, 7)
    forked.tree.append(b"entry 7, quietly edited")
    forked.grow(40 - 8)
    result = watch(serve(forked), state, key)
    assert result.exit_code == 2, result.output
    assert "分叉 (fork): 大小 40 的树不延续大小 20 的树" in result.output
    assert "the consistency proof does not verify" in result.output
    assert saved(state)["size"] == 20
    # the evidence kept: both signed notes (each verifies with the key) and the proof
    (kept,) = tmp_path.glob("state.alert-*.json")
    assert f"证据 (evidence): {kept}" in result.output
    found = json.loads(kept.read_text(encoding="utf-8"))
    assert found["last_verified"]["note"] == honest.note()
    assert found["served_note"] == forked.note()
    assert found["consistency_proof"] == [
        base64.b64encode(h).decode() for h in forked.tree.at(40).consistency_proof(20)
    ]
    kept.unlink()
    # the monitor stopped at the first alert: one checkpoint fetched, no more
    many = watch(serve(forked), state, key, "--count", "3", "--interval", "0")
    assert many.exit_code == 2 and many.output.count("警报 (ALERT)") == 1


def test_a_platform_that_cannot_be_read_is_an_error_not_a_traceback(
    tmp_path, serve, signer
) -> None:
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    log = FakeLog(signer, 5)
    server = serve(log)
    log.status = 503
    result = watch(server, state, key, "--retries", "2")
    assert result.exit_code == 1, result.output
    assert "无法读取 (cannot be read): HTTP 503" in result.output
    assert log.requests.count("/api/v1/log/checkpoint") == 2  # retried
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not state.exists()

    closed = LogServer(FakeLog(signer, 1))  # a port nobody listens on
    url = closed.url
    closed.server_close()
    result = run(url, "--state", str(state), "--key", key, "--retries", "1", "--timeout", "2")
    assert result.exit_code == 1 and "无法读取 (cannot be read)" in result.output
    assert "Traceback" not in result.output

    # a server that does not speak HTTP
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    talker = threading.Thread(target=lambda: _garble(silent), daemon=True)
    talker.start()
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    result = run(url, "--state", str(state), "--key", key, "--retries", "1", "--timeout", "2")
    silent.close()
    assert result.exit_code == 1 and "无法读取 (cannot be read)" in result.output
    assert "Traceback" not in result.output

    for bad in (
        "ftp://example.org/",
        "127.0.0.1:8000",
        "http://",
        "http://host:99999/",
        "http://a b/",
    ):
        result = run(bad, "--state", str(state), "--key", key)
        assert result.exit_code == 1, (bad, result.output)
        assert "错误 (error)" in result.output and "Traceback" not in result.output
    for wrong in ("not-a-key", ""):  # an empty key is no key, not trust on first use
        bad_key = run(server.url, "--state", str(state), "--key", wrong)
        assert bad_key.exit_code == 1 and "--key 无效 (not a verifier key)" in bad_key.output


def _garble(listening: socket.socket) -> None:
    """Answer one connection with bytes that are not HTTP."""
    with contextlib.suppress(OSError):
        conn, _ = listening.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def test_no_checkpoint_yet_is_not_an_alert_until_one_was_seen(tmp_path, serve, signer) -> None:
    log = FakeLog(signer, 0)
    server = serve(log)
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    result = watch(server, state, key)
    assert result.exit_code == 0 and "尚无检查点 (the log has no checkpoint yet)" in result.output
    log.grow(3)
    assert watch(server, state, key).exit_code == 0
    log.tree = MemoryTree()  # the log is gone
    gone = watch(server, state, key)
    assert gone.exit_code == 2 and "日志缩小 (the log shrank)" in gone.output


def test_the_state_file_is_written_atomically_and_read_back(tmp_path) -> None:
    path = tmp_path / "deep" / "state.json"
    seen = monitor.Seen(ORIGIN, 42, bytes(range(32)), "k+00000000+AA==")
    monitor.save_state(path, seen)
    assert monitor.load_state(path) == seen
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary left
    assert monitor.default_state_path("http://127.0.0.1:8000").name == (
        "log-monitor-127.0.0.1_8000.json"
    )
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(monitor.MonitorError, match="state file"):
        monitor.load_state(path)


def test_a_proof_missing_or_malformed_is_an_error_and_nothing_is_trusted(
    tmp_path, serve, signer
) -> None:
    log = FakeLog(signer, 10)
    server = serve(log)
    state = tmp_path / "state.json"
    key = signer.verifier().encoded()
    assert watch(server, state, key).exit_code == 0
    log.grow(10)
    good = log.tree.at(20).consistency_proof(10)
    encoded = [base64.b64encode(h).decode() for h in good]
    for answer, said in (
        ((404, {"title": "not found"}), "平台不提供一致性证明 (the platform serves no consistency"),
        ((200, {"first": 9, "second": 20, "proof": encoded}), "一致性证明的大小不符"),
        ((200, {"first": 10, "second": 20, "proof": ["AA=="]}), "一致性证明格式无效"),
        ((200, {"first": 10, "second": 20, "proof": encoded * 30}), "一致性证明格式无效"),
        ((200, ["not", "an", "object"]), "不是 JSON 对象"),
    ):
        log.proof_answer = answer
        result = watch(server, state, key)
        assert result.exit_code == 1, result.output
        assert said in result.output and "Traceback" not in result.output
        assert saved(state)["size"] == 10  # nothing unverified is kept
    log.proof_answer = None
    assert watch(server, state, key).exit_code == 0 and saved(state)["size"] == 20


def test_the_real_platform_passes_as_its_log_grows(app_ctx, gunicorn_server, tmp_path) -> None:
    """End to end: the app as deployed (gunicorn) serves the checkpoints the platform's
    signer signs and the consistency proofs of its store; the monitor verifies them."""
    from credit.extensions import db
    from credit.translog import service, store

    signers = app_ctx.extensions["credit.log_signers"]
    published = requests.get(gunicorn_server.url + "/api/v1/log/key", timeout=10).json()
    assert published["verifier_key"] == signers[0].verifier().encoded()
    state = tmp_path / "state.json"
    start = store.size(db.session)
    store.append(db.session, [b"monitor %d" % i for i in range(5)])
    service.sign_checkpoint(db.session, signers)
    db.session.commit()
    args = ["--state", str(state), "--key", published["verifier_key"], "--retries", "1"]
    first = run(gunicorn_server.url, *args)
    assert first.exit_code == 0, first.output
    assert f"大小 (size) {start + 5}" in first.output
    store.append(db.session, [b"monitor more %d" % i for i in range(37)])
    service.sign_checkpoint(db.session, signers)
    db.session.commit()
    second = run(gunicorn_server.url, *args)
    assert second.exit_code == 0, second.output
    assert f"一致 (consistent): {start + 5} -> {start + 42}" in second.output
    assert saved(state)["origin"] == published["origin"] and saved(state)["size"] == start + 42
