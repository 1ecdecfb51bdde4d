"""Text a client sends: no NUL, no other control characters, no lone surrogates.

PostgreSQL cannot store NUL in a text column (the driver refuses it, which used to surface
as a 500), a lone surrogate (``"\\ud800"`` in JSON) cannot be encoded as UTF-8 by either
database nor in a response, and control characters in names or codes are never meant.
So every text input is checked here, once:

* ``Text`` (and ``Email`` / ``Url``) are the marshmallow fields every input schema uses
  instead of ``fields.String``; a test walks every input schema to keep it so.
  ``Text(multiline=True)`` allows tab, CR and LF, for free text such as facts or reasons.
* ``bad_character`` is the rule itself, for values that do not pass through a schema
  (the HTTP layer checks query strings, path parameters, form fields and whole JSON bodies
  with it, so a field that forgets its type is still covered for NUL).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

#: C0 controls, DEL, C1 controls and UTF-16 surrogates (only lone ones reach a Python str).
_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: The same, but tab, LF and CR are allowed (multi-line free text).
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(text: str, multiline: bool = False) -> tuple[int, str] | None:
    """The first character ``text`` may not hold, as (position, ``U+XXXX``), or None."""
    match = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    if match is None:
        return None
    return match.start(), f"U+{ord(match.group()):04X}"


def message(found: tuple[int, str]) -> str:
    """The per-field message for a refused character, in Chinese and English."""
    position, code = found
    return (
        f"不能包含控制字符（第 {position + 1} 个字符为 {code}）/ "
        f"must not contain control characters ({code} at position {position + 1})"
    )


def check(text: str, multiline: bool = False) -> None:
    """Raise marshmallow's ``ValidationError`` if ``text`` holds a refused character."""
    found = bad_character(text, multiline)
    if found is not None:
        raise ValidationError(message(found))


def text_value(value: Any) -> None:
    """Validator for ``fields.Raw`` inputs that may be text (multi-line allowed)."""
    if isinstance(value, str):
        check(value, multiline=True)


class _Checked:
    """Mixin for string fields: the control-character rule runs before the field's own."""

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            check(value, self.multiline)
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]


class Text(_Checked, fields.String):
    """A string input: refuses NUL and control characters (tab/CR/LF too unless
    ``multiline=True``) and lone surrogates."""


class Email(_Checked, fields.Email):
    """``fields.Email`` with the control-character rule."""


class Url(_Checked, fields.Url):
    """``fields.Url`` with the control-character rule."""


def printable(value: Any) -> str:
    """A value as it may be shown back in an error (a field name the client made up):
    refused characters escaped, at most 100 characters."""
    text = str(value)[:100]
    return _SINGLE_LINE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
