"""Log lines cannot be forged: escaping, the text and JSON formats, tracebacks (in-process).

The same properties are shown over the real server in tests/live/test_plumbing.py.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from api.logformat import (
    TRACEBACK_INDENT,
    JsonFormatter,
    TextFormatter,
    clean_record,
    escape,
)

FORGED = "2099-01-01 00:00:00,000 INFO [-] credit.access: GET /admin 200"
#: Everything str.splitlines, a terminal or a log viewer may take for a line break.
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def _record(msg: str, *args: object, exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("credit.test", logging.INFO, __file__, 1, msg, args, exc_info)
    return clean_record(record)


def test_escape_writes_each_control_character_visibly() -> None:
    assert escape("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert escape("\x00\x1b\x7f\x85\x9f") == "\\x00\\x1b\\x7f\\x85\\x9f"
    assert escape("\u2028\u2029") == "\\u2028\\u2029"
    # Printable text, Chinese and other scripts are untouched.
    assert escape("苏州 Wang记 ñ «»") == "苏州 Wang记 ñ «»"


@given(st.text())
def test_an_escaped_text_is_one_line_without_control_characters(text: str) -> None:
    out = escape(text)
    assert len(out.splitlines()) <= 1
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in out)


def test_a_message_with_line_breaks_stays_one_line_in_the_text_format() -> None:
    fmt = TextFormatter()
    for brk in BREAKS:
        line = fmt.format(_record("GET %s 404", f"/{brk}{FORGED}"))
        assert len(line.splitlines()) == 1, repr(line)
        assert FORGED in line  # kept, visibly, inside the one line


def test_tracebacks_stay_multi_line_but_no_line_of_them_passes_for_a_record() -> None:
    try:
        raise ValueError(f"bad value\n{FORGED}\r{FORGED}\u2028{FORGED}")
    except ValueError:
        record = _record("unhandled error", exc_info=sys.exc_info())
    text = TextFormatter().format(record)
    lines = text.splitlines()
    assert lines[0].endswith("credit.test: unhandled error")
    assert len(lines) > 3  # the traceback is printed as tracebacks are
    assert all(line.startswith(TRACEBACK_INDENT) for line in lines[1:])
    assert any(line.strip() == "Traceback (most recent call last):" for line in lines)
    assert not any(line.startswith(FORGED[:10]) for line in lines)


def test_json_format_is_one_object_per_line_with_the_fields() -> None:
    try:
        raise RuntimeError("boom\nFAKE")
    except RuntimeError:
        record = _record("GET %s 500", f"/\u2028{FORGED}", exc_info=sys.exc_info())
    record.request_id = "abc-123"
    line = JsonFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert "\u2028" not in line and "\x85" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "credit.test"
    assert entry["request_id"] == "abc-123"
    assert entry["pid"] == record.process
    assert entry["message"] == f"GET /\\u2028{FORGED} 500"
    assert entry["time"].endswith("Z")
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: boom\nFAKE" in entry["exception"]  # one field, as printed


def test_json_escapes_what_json_itself_would_leave_raw() -> None:
    """NEL, DEL and the line separators are legal raw in JSON strings, and some readers
    break lines at them: written as \\u escapes, they come back intact when parsed."""
    try:
        raise ValueError("a\x85b\u2028c\x7fd")
    except ValueError:
        record = logging.makeLogRecord({"msg": "x\x85y", "exc_info": sys.exc_info()})
    line = JsonFormatter().format(record)
    assert not any(c in line for c in "\x85\u2028\x7f")
    entry = json.loads(line)
    assert entry["message"] == "x\\x85y"
    assert "ValueError: a\x85b\u2028c\x7fd" in entry["exception"]


def test_every_logger_gets_escaped_records(app_ctx) -> None:
    """The app's record factory cleans records of any logger, to any handler."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))  # a plain handler of anyone's
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    try:
        logger.warning("user %s signed in", f"x\n{FORGED}")
        logger.warning("token jsct_at_abcdef123456 seen\r\n%s", FORGED)
    finally:
        logger.removeHandler(handler)
    assert lines == [
        f"user x\\n{FORGED} signed in",
        f"token jsct_at_[REDACTED] seen\\r\\n{FORGED}",
    ]
