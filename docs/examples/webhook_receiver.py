"""An example webhook receiver for the platform's deliveries (README, "Webhooks").

It verifies every request with the published Standard Webhooks library (PyPI
``standardwebhooks``), answers 400 to anything that does not verify, ignores a message id
it has already handled (deliveries are at-least-once), and appends each verified event to
a file, one JSON object a line. The secret is read from a file at each request, so the
receiver can start before the endpoint is registered.

    python docs/examples/webhook_receiver.py --port 8931 --secret-file secret --out events.jsonl
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from standardwebhooks import Webhook, WebhookVerificationError

MAX_BODY = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--secret-file", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                secret = args.secret_file.read_text().strip()
                event = Webhook(secret).verify(body, headers)
            except (OSError, WebhookVerificationError) as exc:
                self.send_error(400, f"not verified: {exc}")
                return
            msg_id = headers["webhook-id"]
            if msg_id not in seen:  # at-least-once: a redelivery is acknowledged, not redone
                seen.add(msg_id)
                line = {"webhook_id": msg_id, "verified": True, **event}
                with args.out.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
