"""Logging: one line per request, every line carrying the request id."""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context

_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
    """Every record, whichever handler gets it, carries the current request id."""
    record = _base_factory(*args, **kwargs)
    record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
    return record


def configure(app: Flask) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    if not any(getattr(h, "_credit", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._credit = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(app.config["CREDIT_LOG_LEVEL"])
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
