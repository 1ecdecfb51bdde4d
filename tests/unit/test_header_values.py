"""api.headers.is_clean: exactly printable ASCII, spaces and tabs (the net that keeps a
response's headers sendable; it runs on every header of every response)."""

from __future__ import annotations

from api.headers import is_clean


def test_each_character_is_judged_as_the_rule_says() -> None:
    for code in range(0x3100):
        ch = chr(code)
        allowed = ch == "\t" or 0x20 <= code < 0x7F
        assert is_clean(f"ab{ch}cd") is allowed, hex(code)
        assert is_clean(ch) is allowed, hex(code)


def test_whole_values() -> None:
    assert is_clean("")
    assert is_clean('W/"3", max-age=0\tprivate')
    assert not is_clean("ok\n")  # a trailing newline is a header injection, not clean
    assert not is_clean("ok\r\nSet-Cookie: x=1")
    assert not is_clean("/search?q=苏州")
    assert not is_clean("caf\xe9")  # Latin-1 obs-text
