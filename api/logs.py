"""Logging: one line per record, every line carrying the request id, none forgeable.

The record factory gives every record, whichever logger made it and whichever handler gets
it, the current request id, and redacts and escapes its message (``api.logformat``): a
``%0a`` in a URL path or a line separator in a user agent cannot start a line of its own.
``CREDIT_LOG_FORMAT`` picks the text format or one JSON object per line; under gunicorn
its own lines (``gunicorn.error``) get the same format.
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context

from api.logformat import clean_record, make_formatter

_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
    """Every record carries the current request id and a redacted, escaped message
    (libraries such as authlib log tokens at DEBUG; clients choose paths and headers)."""
    record = _base_factory(*args, **kwargs)
    record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
    return clean_record(record)


def configure(app: Flask) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    kind = app.config["CREDIT_LOG_FORMAT"]
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_credit", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._credit = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(make_formatter(kind))
    # gunicorn's own lines (its handlers do not propagate to the root): same format, and
    # tracebacks treated as ours. In the text format they keep gunicorn's layout.
    for h in logging.getLogger("gunicorn.error").handlers:
        current = h.formatter
        h.setFormatter(
            make_formatter(kind, getattr(current, "_fmt", None), getattr(current, "datefmt", None))
        )
    if kind == "json":  # Python warnings through logging too: one object per line
        logging.captureWarnings(True)
    root.setLevel(app.config["CREDIT_LOG_LEVEL"])
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    logging.getLogger("authlib").setLevel(logging.INFO)
