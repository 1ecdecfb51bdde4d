"""Log lines nobody can forge: escaping, redaction and the two formats (text, JSON).

Plain standard library on purpose: ``deploy/gunicorn.conf.py`` loads this file by its path
so that gunicorn's master writes its own lines in the same format without importing the
application (a ``kill -HUP`` reload must load new application code in new workers).

* **Escaping** (``escape``): every control character a client could put in a logged value
  (a URL path with ``%0a``, a user agent, a user name) is written as a visible escape, so
  one record is always one line: CR, LF and TAB as ``\\r`` ``\\n`` ``\\t``, the other C0
  characters, DEL and the C1 range (with U+0085 NEL) as ``\\xNN``, the Unicode line and
  paragraph separators as ``\\u2028`` ``\\u2029``. It is done once per record, by the
  record factory (``clean_record``), so it holds for every logger and handler.
* **Redaction**: our access tokens, refresh tokens, codes and client secrets carry
  recognisable prefixes (``credit.accounts.secrets``); whatever logs one (authlib does at
  DEBUG) gets ``[REDACTED]`` instead.
* **Tracebacks** stay multi-line in the text format, but every line of them is indented and
  escaped like a message (an exception's text may quote client input), so no traceback line
  can pass for a record of its own; in JSON they are one ``exception`` field.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

#: Every character ``str.splitlines`` (or a terminal, or a log viewer) may take for a line
#: break or that is otherwise invisible control: C0, DEL, C1 (U+0085 NEL among them), and
#: the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_LF = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Our tokens and secrets carry recognisable prefixes (credit.accounts.secrets).
_SECRET = re.compile(r"\b(jsct_(?:at|rt|ac)_|jscs_)[A-Za-z0-9_-]+")
#: What the text format puts before each line of a traceback.
TRACEBACK_INDENT = "    "


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character written as a visible escape (one line)."""
    return _CONTROL.sub(_escape_char, text) if _CONTROL.search(text) else text


def redact(text: str) -> str:
    """``text`` with our tokens and client secrets replaced by ``[REDACTED]``."""
    if "jsct_" in text or "jscs_" in text:
        return _SECRET.sub(r"\1[REDACTED]", text)
    return text


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact and escape a record's message, once (the record factories call this)."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return record
    cleaned = escape(redact(message))
    if cleaned != message:
        record.msg, record.args = cleaned, None
    return record


def _indented(text: str) -> str:
    """A traceback or stack, each line indented and escaped (newlines kept as lines)."""
    text = _CONTROL_BUT_LF.sub(_escape_char, text.rstrip("\n"))
    return "\n".join(TRACEBACK_INDENT + line for line in text.split("\n"))


class TextFormatter(logging.Formatter):
    """The human-readable format: one line per record; tracebacks indented below it."""

    DEFAULT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or self.DEFAULT_FORMAT, datefmt, defaults={"request_id": "-"})

    def formatException(self, ei) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


#: JSON escapes only C0 characters itself; these can only occur inside JSON strings, where
#: ``\\uXXXX`` is valid, and some readers take them for line breaks.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, request_id, pid,
    message, and exception (the whole traceback as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
            "message": escape(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


FORMATS = ("text", "json")


def make_formatter(
    kind: str, text_fmt: str | None = None, datefmt: str | None = None
) -> logging.Formatter:
    """The formatter of ``CREDIT_LOG_FORMAT`` (``text_fmt``, ``datefmt``: another text
    layout, such as gunicorn's own)."""
    if kind == "json":
        return JsonFormatter()
    return TextFormatter(text_fmt, datefmt)
