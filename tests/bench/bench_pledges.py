"""Pledge filing through HTTP: gunicorn with 2 workers, OAuth tokens, If-Match.

Single: concurrent enterprise clients each create a draft and publish it (two requests per
pledge). Batch: a platform files and publishes for its merchants, 100 items a request.
Prints a table of pledges per second and request latency; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "credit"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict, *args: str) -> str:
    return subprocess.run(
        [*FLASK, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


class Http:
    """One keep-alive connection (a client thread's own)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict | None = None,
        form: dict | None = None,
    ) -> tuple[int, dict, dict]:
        hdrs = dict(headers or {})
        data = None
        if form is not None:
            from urllib.parse import urlencode

            data = urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, dict(resp.getheaders()), json.loads(raw or b"{}")


def _token(port: int, client_id: str, secret: str) -> str:
    import base64

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, _, body = Http(port).call(
        "POST",
        "/oauth/token",
        form={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200, body
    return body["access_token"]


def _pledge(template: dict) -> dict:
    today = date.today()
    return {
        "template_id": template["id"],
        "clauses": [c["code"] for c in template["clauses"] if c.get("required")],
        "valid_from": today.isoformat(),
        "valid_until": today.replace(year=today.year + 1).isoformat(),
        "signer_name": "王小明",
        "signer_title": "总经理",
        "consent_to_publish": True,
    }


def _pct(samples: list[float]) -> tuple[str, str, str]:
    if len(samples) < 2:
        return ("-", "-", "-")
    q = statistics.quantiles(samples, n=100)
    return f"{q[49]:.1f}", f"{q[94]:.1f}", f"{q[98]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8, help="concurrent enterprise clients")
    ap.add_argument("--per-client", type=int, default=40, help="pledges each client files")
    ap.add_argument("--batches", type=int, default=10, help="platform batches of 100")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="credit-bench-pledges-"))
    port = _free_port()
    env = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(work),
        "CREDIT_SEARCH_URL": "",
        "CREDIT_LOG_LEVEL": "WARNING",
        "CREDIT_RATELIMIT_TOKEN": "100000 per minute",
        "CREDIT_RATELIMIT_TOKEN_ADDRESS": "100000 per minute",
        "WEB_CONCURRENCY": "2",
        "PORT": str(port),
    }
    server = None
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        _cli(env, "demo", "--enterprises", "3000", "--seed", "5", "--no-pledges", "--no-violations")
        _cli(env, "pledges", "seed-templates")
        sys.path.insert(0, str(ROOT))
        from credit.demo import generate

        records = list(generate(3000, seed=5))
        platform = next(r for r in records if r["operator_type"] == "platform")
        merchants = [r for r in records if r is not platform][: args.batches * 100]
        firms = merchants[: args.clients]
        creds = []
        for firm in firms:
            out = json.loads(
                _cli(
                    env,
                    "clients",
                    "create",
                    "--kind",
                    "enterprise",
                    "--name",
                    "bench",
                    "--uscc",
                    firm["uscc"],
                    "--scopes",
                    "pledges:write",
                )
            )
            creds.append((out["client_id"], out["client_secret"]))
        out = json.loads(
            _cli(
                env,
                "clients",
                "create",
                "--kind",
                "enterprise",
                "--name",
                "platform",
                "--uscc",
                platform["uscc"],
                "--scopes",
                "pledges:write",
            )
        )
        platform_cred = (out["client_id"], out["client_secret"])
        _cli(
            env,
            "pledges",
            "mandate",
            "--platform",
            platform["uscc"],
            *[m["uscc"] for m in merchants],
        )

        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if Http(port).call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        template = next(
            t
            for t in Http(port).call("GET", "/api/v1/pledge-templates")[2]["items"]
            if t["code"] == "ECOM-STD"
        )

        create_ms: list[float] = []
        publish_ms: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()

        def firm_worker(cred: tuple[str, str]) -> None:
            h = Http(port)
            auth = {"Authorization": f"Bearer {_token(port, *cred)}"}
            for _ in range(args.per_client):
                t = time.perf_counter()
                status, headers, body = h.call("POST", "/api/v1/pledges", _pledge(template), auth)
                c = (time.perf_counter() - t) * 1000
                if status != 201:
                    with lock:
                        errors.append(status)
                    continue
                t = time.perf_counter()
                status, _, _ = h.call(
                    "POST",
                    f"/api/v1/pledges/{body['id']}/publish",
                    {},
                    {**auth, "If-Match": headers["ETag"]},
                )
                p = (time.perf_counter() - t) * 1000
                with lock:
                    create_ms.append(c)
                    publish_ms.append(p)
                    if status != 200:
                        errors.append(status)

        started = time.perf_counter()
        threads = [threading.Thread(target=firm_worker, args=(c,)) for c in creds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        single_s = time.perf_counter() - started
        rows = [
            [
                "single: create draft",
                len(create_ms),
                f"{single_s:.1f}",
                f"{len(publish_ms) / single_s:.0f}",
                *_pct(create_ms),
            ],
            [
                "single: publish (If-Match)",
                len(publish_ms),
                f"{single_s:.1f}",
                f"{len(publish_ms) / single_s:.0f}",
                *_pct(publish_ms),
            ],
        ]

        h = Http(port)
        auth = {"Authorization": f"Bearer {_token(port, *platform_cred)}"}
        batch_ms: list[float] = []
        created = 0
        started = time.perf_counter()
        for b in range(args.batches):
            items = [
                {**_pledge(template), "uscc": m["uscc"], "publish": True}
                for m in merchants[b * 100 : (b + 1) * 100]
            ]
            t = time.perf_counter()
            status, _, body = h.call("POST", "/api/v1/pledges/batch", {"items": items}, auth)
            batch_ms.append((time.perf_counter() - t) * 1000)
            created += body.get("created", 0) if status == 200 else 0
        batch_s = time.perf_counter() - started
        rows.append(
            [
                f"batch of 100 (platform), {args.batches} requests",
                created,
                f"{batch_s:.1f}",
                f"{created / batch_s:.0f}",
                *_pct(batch_ms),
            ]
        )
        print(
            f"\nPledge filing over HTTP: gunicorn 2 workers x 4 threads, SQLite, "
            f"{args.clients} concurrent clients; errors: {len(errors)}"
        )
        headers = ["scenario", "pledges", "seconds", "pledges/s", "p50 ms", "p95 ms", "p99 ms"]
        widths = [
            max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(headers)
        ]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for r in rows:
            print("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
