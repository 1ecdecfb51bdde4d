""" "Is this record public on day D?" and "does this authority cover this firm?" are written
once, in ``credit/publicity.py``. The first was once written seven times and the second four
(violations, search documents, ratings, pledges), and the copies disagreed (one forgot the
decision date, another the jurisdiction's districts). This test fails when a copy comes back;
``tests/violations/test_publicity_agreement.py`` proves every caller gives the same answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "credit" / "publicity.py"

#: Shapes of the rule written again: a window bound compared with a day in SQL or Python,
#: the published flag tested next to it, a jurisdiction walked code by code.
COPIES = {
    "SQL window bound": re.compile(r"Violation\.(publish_until|public_from)\s*(<=|>=|<|>)"),
    "window bound against a day": re.compile(
        r"\b(today|day)\s*(<=|>=|<|>)\s*[\w.]*\.(publish_until|public_from)\b"
        r"|\.(publish_until|public_from)\s*(<=|>=|<|>)\s*(today|day)\b"
    ),
    "decision date as the start of publicity": re.compile(r"Violation\.decision_date\s*<=\s*today"),
    "jurisdiction walked by hand": re.compile(r"for\s+\w+\s+in\s+[\w.]+\.jurisdiction\b"),
    "a second covers()": re.compile(r"def\s+covers\w*\("),
}


def _sources() -> list[Path]:
    out = []
    for package in ("credit", "search", "api"):
        out += [p for p in (ROOT / package).rglob("*.py") if p != HOME]
    out += list((ROOT / "api" / "pages" / "templates").rglob("*.html"))
    return sorted(out)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_rules_are_not_written_again(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [
        f"{name}: line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for name, pattern in COPIES.items()
        for m in pattern.finditer(text)
    ]
    assert not found, f"{path.relative_to(ROOT)} writes the rule again: {found}"


def test_the_checker_sees_the_rule_where_it_lives() -> None:
    # Guard against patterns that silently match nothing.
    text = HOME.read_text(encoding="utf-8")
    assert COPIES["SQL window bound"].search(text)
    assert COPIES["a second covers()"].search(text)
    assert COPIES["jurisdiction walked by hand"].search("for code in identity.jurisdiction:")
    assert COPIES["window bound against a day"].search("if today > v.publish_until:")
    assert COPIES["decision date as the start of publicity"].search(
        "Violation.decision_date <= today,"
    )
