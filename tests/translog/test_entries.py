"""Entries and commitments: canonical JSON exactly as RFC 8785's reference implementation
writes it (the fast path included), and entries that rebuild from their fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.translog import entries

_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)  # beyond 2^53 too: the slow path
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text()
)
_keys = st.text(max_size=8)  # any key, non-ASCII too (sorted by UTF-16 code units)
_values = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=800, deadline=None)
@given(_values)
def test_canonical_json_is_rfc8785_byte_for_byte(value) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception:
        with pytest.raises(Exception):  # noqa: B017 - whatever the reference refuses
            entries.canonical(value)
        return
    assert entries.canonical(value) == expected


def test_known_answers_of_rfc8785() -> None:
    # RFC 8785 §3.2.3 orders keys by UTF-16 code units: "\u20ac" (Euro) before "\U0001f600"
    # would differ by code point; and numbers are written as ECMAScript does.
    assert entries.canonical({"b": 1, "a": [True, None, "é\n"]}) == (
        '{"a":[true,null,"é\\n"],"b":1}'.encode()
    )
    assert entries.canonical({"\U0001f600": 1, "\ufb33": 2}) == rfc8785.dumps(
        {"\U0001f600": 1, "\ufb33": 2}
    )
    assert entries.canonical(1e21) == b"1e+21"
    assert entries.canonical(2**53 - 1) == b"9007199254740991"
    with pytest.raises(rfc8785.IntegerDomainError):  # a double cannot hold it exactly
        entries.canonical(2**53)


def test_an_entry_rebuilds_from_its_fields_and_refuses_anything_else() -> None:
    at = entries.timestamp(datetime(2026, 12, 2, 5, 41, 52, 123456, tzinfo=UTC))
    assert at == "2026-12-02T05:41:52.123Z"
    entry = entries.Entry("violation", "v-1", "violation.published", at, bytes(range(32)))
    raw = entry.encode()
    assert entries.Entry.decode(raw) == entry
    assert raw.startswith(b'{"at":"2026-12-02T05:41:52.123Z","commitment":')
    for bad in (raw.replace(b":", b": ", 1), b'{"v":2}', b'{"v":1}', b"[]", b"x" * 5000):
        with pytest.raises(ValueError):
            entries.Entry.decode(bad)
