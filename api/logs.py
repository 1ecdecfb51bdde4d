"""Logging: one line per request, every line carrying the request id."""

from __future__ import annotations

import logging
import re

from flask import Flask, g, has_request_context

_base_factory = logging.getLogRecordFactory()
# Our tokens and secrets carry recognisable prefixes (credit.accounts.secrets).
_SECRET = re.compile(r"\b(jsct_(?:at|rt|ac)_|jscs_)[A-Za-z0-9_-]+")


def _record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
    """Every record, whichever handler gets it, carries the current request id and has
    any token or client secret redacted (libraries such as authlib log tokens at DEBUG)."""
    record = _base_factory(*args, **kwargs)
    record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return record
    if "jsct_" in message or "jscs_" in message:
        record.msg, record.args = _SECRET.sub(r"\1[REDACTED]", message), None
    return record


def configure(app: Flask) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    if not any(getattr(h, "_credit", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._credit = True  # type: ignore[attr-defined]
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
        root.addHandler(handler)
    root.setLevel(app.config["CREDIT_LOG_LEVEL"])
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    logging.getLogger("authlib").setLevel(logging.INFO)
