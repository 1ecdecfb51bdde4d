"""The signal registry: model 2026.1 rates exactly as before it, and a new signal is one
module plus one model entry."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.ratings.catalog import PACKAGED, load
from credit.scoring import rate
from credit.scoring.model import ModelError, ScoringModel
from credit.scoring.signals import REGISTRY, Contribution, Outcome, Situation, signal
from tests.unit import scoring_reference_2026_1 as reference
from tests.unit.scoring_facts import AS_OF, enterprise_facts, firm

MODEL = load(PACKAGED).get("2026.1")
DOC = json.loads((PACKAGED / "2026.1.json").read_text(encoding="utf-8"))
BEFORE = reference.ScoringModel.from_dict(DOC)


def _plain(r) -> tuple:
    return (
        r.model_version,
        r.as_of,
        r.score,
        r.grade,
        r.tier,
        [(c.family, c.code, c.points, c.ref, c.params) for c in r.contributions],
        r.hard_rules,
        r.next_change,
        r.inputs_digest,
    )


@settings(max_examples=500, deadline=None)
@given(enterprise_facts(), st.integers(-400, 800))
def test_model_2026_1_rates_exactly_as_before_the_registry(facts, days) -> None:
    """Same score, grade, contributions (record by record), caps and next change date as the
    engine before the refactor (tests/unit/scoring_reference_2026_1.py, a frozen copy)."""
    day = AS_OF + timedelta(days=days)
    assert _plain(rate(facts, day, MODEL)) == _plain(reference.rate(facts, day, BEFORE))


def test_the_2026_1_file_reads_into_the_signal_list() -> None:
    assert [sig.name for sig, _ in MODEL.signals] == [
        "registration_age",
        "disclosure",
        "licence_display",
        "violations",
        "pledges",
        "commendations",
        "serious_list",
        "registration_inactive",
        "serious_violation",
    ]
    assert MODEL.params("licence_display").lost_on == "any_breach"  # as 2026.1 was published
    assert (MODEL.max_positive(), MODEL.max_negative()) == (350, 650)


def _doc_with(*entries: dict[str, Any], reasons: dict | None = None) -> dict[str, Any]:
    doc = json.loads((PACKAGED / "2026.2.json").read_text(encoding="utf-8"))
    doc["version"] = "test"
    doc["signals"] = [*doc["signals"], *entries]
    doc["reasons"] = {**doc["reasons"], **(reasons or {})}
    return doc


@dataclass(frozen=True)
class _ComplaintParams:
    points: int

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> _ComplaintParams:
        return cls(int(doc["points"]))

    def problems(self) -> list[str]:
        return []

    def bounds(self) -> tuple[int, int]:
        return (self.points, 0)


@pytest.fixture
def complaints_signal():
    """What a new signal's module holds: its parameters and one registered function."""

    @signal("test_complaints", params=_ComplaintParams.parse, codes=("TEST_COMPLAINTS",))
    def complaints(s: Situation, p: _ComplaintParams) -> Outcome:
        if s.facts.shops < 3:
            return Outcome()
        return Outcome((Contribution("market", "TEST_COMPLAINTS", p.points),))

    yield REGISTRY["test_complaints"]
    del REGISTRY["test_complaints"]


def test_a_new_signal_is_one_registered_function_and_one_model_entry(complaints_signal) -> None:
    texts = {"TEST_COMPLAINTS": {"zh": "投诉均已妥善处理", "en": "every complaint resolved"}}
    model = ScoringModel.from_dict(
        _doc_with({"signal": "test_complaints", "points": 5}, reasons=texts)
    )
    plain = rate(firm(), AS_OF, model)
    busy = rate(replace(firm(), shops=3), AS_OF, model)
    assert ("TEST_COMPLAINTS", 5) in [(c.code, c.points) for c in busy.contributions]
    assert busy.score == plain.score + model.params("disclosure").shops + 5
    # ... whose reason text the model must give, and whose bounds the model checks
    with pytest.raises(ModelError, match="reason texts missing for \\['TEST_COMPLAINTS'\\]"):
        ScoringModel.from_dict(_doc_with({"signal": "test_complaints", "points": 5}))
    with pytest.raises(ModelError, match="exceeds 1000"):
        ScoringModel.from_dict(_doc_with({"signal": "test_complaints", "points": 6}, reasons=texts))


def test_an_unknown_or_repeated_signal_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown signal 'nonsense'"):
        ScoringModel.from_dict(_doc_with({"signal": "nonsense"}))
    with pytest.raises(ModelError, match="listed once only"):
        ScoringModel.from_dict(
            _doc_with({"signal": "disclosure", "shops": 1, "customer_service": 1})
        )


def test_every_registered_signal_names_its_codes() -> None:
    for sig in REGISTRY.values():
        assert sig.codes and all(code.isupper() for code in sig.codes), sig.name
