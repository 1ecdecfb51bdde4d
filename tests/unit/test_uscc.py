"""USCC validation (GB 32100 + GB 11714) on real codes and on every kind of fault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit import uscc

REAL_CODES = ["91110000600037341L", "9144030071526726XG"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    result = uscc.check(code)
    assert result.valid, result.faults
    assert result.faults == []
    assert result.entity_type == "enterprise"


def test_real_code_division_and_city() -> None:
    r = uscc.check("9144030071526726XG")
    assert r.division_code == "440300"
    assert r.city_code == "440300"
    assert r.in_jiangsu is False


def test_normalises_case_and_spaces() -> None:
    assert uscc.check(" 91110000600037341l ").valid


@pytest.mark.parametrize("code", ["", "9111000060003734", "91110000600037341LL"])
def test_length_fault(code: str) -> None:
    r = uscc.check(code)
    assert not r.valid
    assert [f.code for f in r.faults] == ["length"]


@pytest.mark.parametrize(
    "code", ["91110000600037341I", "9111000060003734OL", "91110000600037341@", "9111000060003734S1"]
)
def test_charset_fault(code: str) -> None:
    r = uscc.check(code)
    assert not r.valid
    assert [f.code for f in r.faults] == ["charset"]


def test_check_18_fault() -> None:
    r = uscc.check("91110000600037341M")
    assert [f.code for f in r.faults] == ["check_18"]


def test_check_17_fault_alone() -> None:
    # Position 17 wrong, position 18 recomputed so only the GB 11714 check fails.
    first16 = "9111000060003734"
    wrong17 = first16 + "2"
    code = wrong17 + uscc.gb32100_check_char(wrong17)
    r = uscc.check(code)
    assert [f.code for f in r.faults] == ["check_17"]
    assert "17" in r.faults[0].message


def test_gb11714_worked_example() -> None:
    # 6*3 + 0*7 + 0*9 + 0*10 + 3*5 + 7*8 + 3*4 + 4*2 = 109; 109 mod 11 = 10; 11 - 10 = 1
    assert uscc.gb11714_check_char("60003734") == "1"


def test_gb11714_ten_is_x_and_eleven_is_zero() -> None:
    assert uscc.gb11714_check_char("71526726") == "X"  # from 9144030071526726XG
    # Find a body whose sum is divisible by 11 -> check character "0".
    assert uscc.gb11714_check_char("00000000") == "0"


def test_entity_types_from_prefix() -> None:
    code = uscc.complete("9232050800000001")
    r = uscc.check(code)
    assert r.valid and r.entity_type == "individual_business"
    assert r.city_code == "320500" and r.in_jiangsu


code_prefixes = st.builds(
    lambda kind, city, district, body: kind + f"32{city:02d}{district:02d}" + body,
    st.sampled_from(["91", "92", "93"]),
    st.integers(1, 13),
    st.integers(0, 99),
    st.text(alphabet=uscc.CHARSET, min_size=8, max_size=8),
)


@given(code_prefixes)
def test_completed_codes_are_valid(prefix: str) -> None:
    code = uscc.complete(prefix)
    assert uscc.check(code).valid
    assert uscc.check(code).in_jiangsu


@given(code_prefixes, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_detected(prefix: str, pos: int, shift: int) -> None:
    code = uscc.complete(prefix)
    replaced = uscc.CHARSET[(uscc.CHARSET.index(code[pos]) + shift) % 31]
    mutated = code[:pos] + replaced + code[pos + 1 :]
    assert not uscc.check(mutated).valid
