"""Model 2026.2 meets its reference table (pure engine), and the README shows that table."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.ratings.catalog import PACKAGED, load
from credit.scoring import rate
from tests.ratings.reference_firms import MODEL_VERSION, REFERENCE_FIRMS, table
from tests.unit.scoring_facts import AS_OF

CATALOG = load(PACKAGED)
MODEL = CATALOG.get(MODEL_VERSION)
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    "ref", REFERENCE_FIRMS, ids=[r.name.split(" / ")[1] for r in REFERENCE_FIRMS]
)
def test_each_reference_firm_gets_its_grade(ref) -> None:
    r = rate(ref.facts, AS_OF, MODEL)
    assert r.grade == ref.grade, [(c.code, c.points) for c in r.contributions]
    assert sum(c.points for c in r.contributions) == r.score


def test_the_table_uses_the_scale() -> None:
    """Every tier, and at least seven of the nine grades, are someone's reference grade."""
    grades = {ref.grade for ref in REFERENCE_FIRMS}
    assert {g[0] for g in grades} == {"A", "B", "C"} and len(grades) >= 7


def test_2026_2_is_the_current_model() -> None:
    assert CATALOG.current == MODEL_VERSION


def test_the_readme_shows_this_table() -> None:
    """Regenerate with `.venv/bin/python -m tests.ratings.reference_firms` after a change."""
    assert table(MODEL) in README.read_text(encoding="utf-8")
