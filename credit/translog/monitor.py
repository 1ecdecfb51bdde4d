"""Watching a running platform's log from outside: what ``credit log monitor`` runs.

A monitor (an outside auditor, another authority) fetches the platform's signed checkpoint
over time. Each one must be signed by the log's key, name the log's origin, and extend the
last checkpoint it verified: the same size with the same root, or a bigger size with a
consistency proof (RFC 9162 §2.1.4) that the older tree is a prefix of the newer. A smaller
size is a shrink; the same size with another root, or a proof that does not hold, is a
fork: the platform showed two different histories, and the two signed notes prove it.

The last verified checkpoint (and the key it was verified with) is kept in a small JSON
state file, written atomically, so tomorrow's run checks against what was seen today. The
client is the standard library's, with a timeout and a bound on every response read.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from credit.translog.merkle import EMPTY_ROOT, HASH_SIZE
from credit.translog.notes import Checkpoint, NoteError, Verifier, open_note
from credit.translog.verify import verify_consistency

#: A signed checkpoint is a few hundred bytes (MAX_SIGNATURES cosignatures at most ~16 KiB).
MAX_NOTE_BYTES = 16 * 1024
#: A proof at 2^48 leaves has at most 2·48 hashes; RFC 9162 trees in practice under 64.
MAX_PROOF_HASHES = 64
MAX_JSON_BYTES = 16 * 1024
USER_AGENT = "credit-log-monitor/1"


class MonitorError(Exception):
    """The platform could not be read (network, HTTP status, an answer not as documented)."""


class Alert(Exception):
    """The platform's log misbehaved: a bad signature, a wrong origin, a shrink or a fork.
    ``note`` is what it served (with the last verified note, the evidence of a fork) and
    ``proof`` the consistency proof that failed, if any."""

    note: str | None = None
    proof: list[bytes] | None = None


@dataclass(frozen=True)
class Seen:
    """The last checkpoint verified, and the key that verified it."""

    origin: str
    size: int
    root: bytes
    key: str
    #: the signed note itself: with a later one that contradicts it, proof of a fork
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "key": self.key,
            "note": self.note,
            "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    @classmethod
    def from_json(cls, data: object) -> Seen:
        try:
            assert isinstance(data, dict)
            root = base64.b64decode(data["root"], validate=True)
            seen = cls(
                str(data["origin"]),
                int(data["size"]),
                root,
                str(data["key"]),
                str(data.get("note", "")),
            )
        except (AssertionError, KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise MonitorError(f"状态文件无效 (the state file is not valid): {exc}") from None
        if len(seen.root) != HASH_SIZE or seen.size < 0:
            raise MonitorError("状态文件无效 (the state file is not valid)")
        return seen


def parse_base_url(url: str) -> str:
    """``url`` as a base URL (http or https, a host, no query): else ``MonitorError``."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MonitorError(
            f"不是 http(s) 地址 (not an http or https URL): {url!r}, e.g. http://127.0.0.1:8000"
        )
    if parts.query or parts.fragment:
        raise MonitorError(f"平台地址不带查询或片段 (a base URL has no query or fragment): {url!r}")
    try:
        parts.port  # noqa: B018  (a bad port raises)
    except ValueError:
        raise MonitorError(f"端口无效 (not a valid port): {url!r}") from None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def default_state_path(base_url: str) -> Path:
    """``~/.cache/credit-platform/log-monitor-<host>.json`` (the port too, when given)."""
    netloc = urllib.parse.urlsplit(base_url).netloc.rsplit("@", 1)[-1]
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in netloc)
    return Path.home() / ".cache" / "credit-platform" / f"log-monitor-{safe}.json"


def load_state(path: Path) -> Seen | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MonitorError(f"读不了状态文件 (cannot read the state file {path}): {exc}") from None
    try:
        return Seen.from_json(json.loads(text))
    except json.JSONDecodeError as exc:
        raise MonitorError(f"状态文件无效 (the state file {path} is not JSON): {exc}") from None


def save_state(path: Path, seen: Seen) -> None:
    """Write ``seen`` to ``path`` atomically (a temporary file in the same directory,
    flushed, then renamed over it): a crash leaves the old state or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(seen.to_json(), out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect to http(s) only (urllib would follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            return None  # urllib then raises the 3xx as an HTTPError
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


class Client:
    """GETs from the platform's API with a timeout, bounded reads and a few retries."""

    def __init__(
        self, base_url: str, timeout: float = 10.0, retries: int = 3, backoff: float = 1.0
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.retries = max(1, retries)
        self.backoff = backoff

    def get(self, path: str, limit: int, query: dict[str, int] | None = None) -> bytes:
        """The body of ``path``'s 200 answer (at most ``limit`` bytes). A 404 raises
        ``LookupError``; other statuses, network errors and timeouts are retried, then
        raise ``MonitorError``."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        # http(s) only: parse_base_url refused every other scheme
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
        last = ""
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with _OPENER.open(request, timeout=self.timeout) as answer:
                    body = answer.read(limit + 1)
                if len(body) > limit:
                    raise MonitorError(f"{url}: 回答过大 (the answer is over {limit} bytes)")
                return body
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    raise LookupError(url) from None
                last = f"HTTP {exc.code}"
                if 400 <= exc.code < 500 and exc.code not in (408, 429):
                    break  # the request is wrong: asking again will not help
            except (OSError, http.client.HTTPException, ValueError) as exc:
                # OSError: refused, reset, timed out (URLError too); HTTPException: not
                # HTTP at all; ValueError: a URL urllib cannot use (a space in the host)
                reason = getattr(exc, "reason", exc)
                last = str(reason) or type(reason).__name__
        raise MonitorError(f"{url}: 无法读取 (cannot be read): {last}")

    def json(self, path: str, limit: int, query: dict[str, int] | None = None) -> dict:
        body = self.get(path, limit, query)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise MonitorError(f"{path}: 不是 JSON (the answer is not JSON)") from None
        if not isinstance(data, dict):
            raise MonitorError(f"{path}: 不是 JSON 对象 (the answer is not a JSON object)")
        return data


@dataclass(frozen=True)
class ServerKey:
    origin: str
    verifier: Verifier


def fetch_key(client: Client) -> ServerKey:
    """The log's origin and verifier key as the platform publishes them."""
    try:
        data = client.json("/api/v1/log/key", MAX_JSON_BYTES)
    except LookupError:
        raise MonitorError("平台未公布日志密钥 (the platform publishes no log key)") from None
    try:
        return ServerKey(str(data["origin"]), Verifier.parse(str(data["verifier_key"])))
    except (KeyError, NoteError) as exc:
        raise MonitorError(f"平台公布的密钥无效 (the published key is not valid): {exc}") from None


def _hash_list(values: object) -> list[bytes]:
    if not isinstance(values, list) or len(values) > MAX_PROOF_HASHES:
        raise ValueError("a list of at most 64 hashes")
    out = [base64.b64decode(v, validate=True) if isinstance(v, str) else b"" for v in values]
    if any(len(h) != HASH_SIZE for h in out):
        raise ValueError("hashes of 32 bytes")
    return out


def fetch_consistency(client: Client, first: int, second: int) -> list[bytes]:
    try:
        data = client.json(
            "/api/v1/log/proof/consistency", MAX_JSON_BYTES, {"first": first, "second": second}
        )
    except LookupError:
        raise MonitorError(
            "平台不提供一致性证明 (the platform serves no consistency proof)"
        ) from None
    if data.get("first") != first or data.get("second") != second:
        raise MonitorError(
            f"一致性证明的大小不符 (the consistency proof is for {data.get('first')!r} -> "
            f"{data.get('second')!r}, not {first} -> {second})"
        )
    try:
        return _hash_list(data.get("proof"))
    except (ValueError, binascii.Error) as exc:
        raise MonitorError(
            f"一致性证明格式无效 (the consistency proof is malformed): {exc}"
        ) from None


def _short(root: bytes) -> str:
    return base64.b64encode(root).decode()


def check_once(
    client: Client, verifier: Verifier, origin: str, last: Seen | None, say: Callable[[str], None]
) -> Seen | None:
    """Fetch the checkpoint and check it against ``last``: the checkpoint now verified
    (``None`` when the log has none yet). Raises ``Alert`` on misbehaviour (with what was
    served) and ``MonitorError`` when the platform cannot be read."""
    served: dict[str, object] = {}
    try:
        return _check(client, verifier, origin, last, say, served)
    except Alert as alert:
        alert.note = served.get("note")  # type: ignore[assignment]
        alert.proof = served.get("proof")  # type: ignore[assignment]
        raise


def evidence(alert: Alert, base_url: str, last: Seen | None) -> dict[str, object]:
    """What to keep of an alert: the last verified note and the one that contradicts it
    (both signed by the log's key: together they prove the fork to anyone)."""
    return {
        "alert": str(alert),
        "url": base_url,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_verified": last.to_json() if last else None,
        "served_note": alert.note,
        "consistency_proof": (
            None if alert.proof is None else [base64.b64encode(h).decode() for h in alert.proof]
        ),
    }


def _check(
    client: Client,
    verifier: Verifier,
    origin: str,
    last: Seen | None,
    say: Callable[[str], None],
    served: dict[str, object],
) -> Seen | None:
    try:
        raw = client.get("/api/v1/log/checkpoint", MAX_NOTE_BYTES)
    except LookupError:
        if last is not None and last.size > 0:
            raise Alert(
                f"日志缩小 (the log shrank): 曾见大小 {last.size} 的检查点，现在没有检查点 "
                f"(a checkpoint of size {last.size} was seen, now there is none)"
            ) from None
        say("尚无检查点 (the log has no checkpoint yet)")
        return last
    try:
        note = raw.decode("utf-8")
        served["note"] = note
        text = open_note(note, verifier)
    except (UnicodeDecodeError, NoteError) as exc:
        raise Alert(f"签名无效 (signature does not verify): {exc}") from None
    say(f"签名有效 (signature verifies): {verifier.name}+{verifier.id.hex()}")
    try:
        checkpoint = Checkpoint.parse(text)
    except NoteError as exc:
        raise Alert(f"检查点格式无效 (the signed checkpoint is malformed): {exc}") from None
    if checkpoint.origin != origin:
        raise Alert(f"来源不符 (wrong origin): {checkpoint.origin!r}, 应为 (expected) {origin!r}")
    size, root = checkpoint.size, checkpoint.root
    say(f"检查点 (checkpoint): {origin} 大小 (size) {size} 根 (root) {_short(root)}")
    if size == 0 and root != EMPTY_ROOT:
        raise Alert("分叉 (fork): 空日志的根哈希不对 (an empty log's root is SHA-256 of nothing)")
    seen = Seen(origin, size, root, verifier.encoded(), note)
    if last is None:
        say(
            "首次验证 (first checkpoint verified): "
            "此后的检查点须与之一致 (later ones must extend it)"
        )
        return seen
    if size < last.size:
        raise Alert(f"日志缩小 (the log shrank): 大小 {last.size} -> {size} (size went down)")
    if size == last.size:
        if root != last.root:
            raise Alert(
                f"分叉 (fork): 同一大小 {size}, 根不同 (same size, different root): "
                f"{_short(last.root)} / {_short(root)}"
            )
        say(f"未变 (unchanged): 大小 (size) {size}")
        return seen
    if last.size == 0:
        say(f"增长 (grew): 0 -> {size} (an empty log is a prefix of every log)")
        return seen
    proof = fetch_consistency(client, last.size, size)
    served["proof"] = proof
    if not verify_consistency(last.size, size, last.root, root, proof):
        raise Alert(
            f"分叉 (fork): 大小 {size} 的树不延续大小 {last.size} 的树 "
            f"(the tree of size {size} does not extend the one of size {last.size}: "
            "the consistency proof does not verify)"
        )
    say(
        f"一致 (consistent): {last.size} -> {size}, "
        f"证明 {len(proof)} 个哈希 (proof of {len(proof)} hashes)"
    )
    return seen
