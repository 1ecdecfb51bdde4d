"""The fast encodings a full rescore relies on write the bytes the slow ones wrote: stored
result digests and inputs digests were made from them, and a moved digest reads as a
changed rating (a history row and a log entry for every firm)."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.ratings.catalog import PACKAGED, load
from credit.ratings.store import to_json
from credit.scoring import rate
from credit.scoring.facts import _CANONICAL_NAMES
from tests.unit.scoring_facts import AS_OF, enterprise_facts

MODELS = sorted(load(PACKAGED).models.values(), key=lambda m: m.version)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dataclass_repr(value: object) -> str:
    """The dataclass repr, field by field, with the canonical names (the reference)."""
    if is_dataclass(value):
        shown = ", ".join(
            f"{_CANONICAL_NAMES.get(f.name, f.name)}={_dataclass_repr(getattr(value, f.name))}"
            for f in fields(value)
        )
        return f"{type(value).__qualname__}({shown})"
    if isinstance(value, tuple):
        inner = ", ".join(_dataclass_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(plain, max_size=5))
def test_stored_json_is_the_standard_librarys(value) -> None:
    assert to_json(value) == _json(value)


def test_what_orjson_refuses_goes_through_the_standard_library() -> None:
    for value in (["\ud800 lone surrogate"], [2**64], [{"k": -(2**70)}]):
        assert to_json(value) == _json(value)


@pytest.mark.parametrize("model", MODELS, ids=[m.version for m in MODELS])
@settings(max_examples=200, deadline=None)
@given(facts=enterprise_facts())
def test_contributions_of_every_model_encode_as_before(model, facts) -> None:
    r = rate(facts, AS_OF, model)
    rows = [c.as_row() for c in r.contributions]
    assert to_json(rows) == _json(rows)
    assert to_json(list(r.hard_rules)) == _json(list(r.hard_rules))


@settings(max_examples=300, deadline=None)
@given(enterprise_facts())
def test_the_compiled_canonical_repr_is_the_dataclass_repr(facts) -> None:
    assert repr(facts) == _dataclass_repr(facts)
