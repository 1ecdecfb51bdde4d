"""Reading a USCC from user input (issue 15): NFKC folding, length and character set judged
before any case change, and every rule of positions 1-18 named by its position.

The expanding characters are not a hand-made list: every code point whose NFKC form, upper
case or case fold is several characters of the code's alphabet (``ﬀ`` -> ``ff``, ``Ǉ`` ->
``LJ``, ``㉑`` -> ``21``) is found here and tried.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from credit import uscc
from credit.enterprises.schemas import EnterpriseRecordSchema
from credit.uscc_field import UsccCode

TYPED = set(uscc.CHARSET + uscc.CHARSET.lower())
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}


def full_width(code: str) -> str:
    return code.translate(FULL_WIDTH)


@cache
def expanders() -> dict[str, str]:
    """Every character one of the naive readings turns into 2+ characters of the alphabet,
    with that expansion (upper-cased)."""
    found = {}
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        for form in (unicodedata.normalize("NFKC", ch), ch.upper(), ch.casefold()):
            if len(form) > 1 and all(c in TYPED for c in form):
                found[ch] = form.upper()
                break
    return found


def disguised(ch: str) -> tuple[str, str]:
    """(a valid code with the expansion of ``ch`` in positions 9.., the same code with
    ``ch`` in place of the expansion: 17 characters for "ﬀ", 16 for "ﬄ" ...)."""
    expansion = expanders()[ch]
    body = (expansion + "00000001")[:8]
    code = uscc.complete("91320583" + body)
    return code, code[:8] + ch + code[8 + len(expansion) :]


def test_the_expanders_include_the_ones_the_issue_names() -> None:
    found = expanders()
    assert {"ﬀ", "ﬂ", "ﬄ", "Ǉ", "ǈ", "ǋ"} <= set(found)
    assert found["ﬀ"] == "FF" and found["ﬄ"] == "FFL"
    assert len(found) > 50  # circled numbers, squared units ...


@pytest.mark.parametrize("ch", sorted(expanders()))
def test_a_character_that_expands_never_passes(ch: str) -> None:
    code, raw = disguised(ch)
    assert len(raw) == 19 - len(expanders()[ch]) < 18  # 17 for "ﬀ", 16 for "ﬄ" ...
    # The naive readings (upper case, NFKC then upper case) give back the valid code ...
    naive = {raw.strip().upper(), unicodedata.normalize("NFKC", raw).strip().upper()}
    assert code in naive or unicodedata.normalize("NFKC", raw).casefold().upper() == code
    # ... the real one refuses it, says how long it is and where the character is.
    result = uscc.check(raw)
    assert not result.valid
    assert [f.code for f in result.faults] == ["length", "charset"]
    assert f"实际为 {len(raw)} 位" in result.faults[0].message
    assert result.faults[1].position == "9"
    assert f"U+{ord(ch):04X}" in result.faults[1].message
    assert uscc.canonical(raw) is None
    assert uscc.code_like(raw) is None
    assert len(uscc.normalize(raw)) == len(raw)


@pytest.mark.parametrize("ch", ["ﬀ", "ﬂ", "ﬄ", "Ǉ", "㉑"])
def test_expanded_codes_are_refused_by_input_schemas(ch: str) -> None:
    _, raw = disguised(ch)

    class Body(Schema):
        uscc = UsccCode(required=True)

    with pytest.raises(ValidationError) as exc:
        Body().load({"uscc": raw})
    messages = exc.value.messages["uscc"]
    assert any("18" in m for m in messages) and any("第 9 位" in m for m in messages)
    with pytest.raises(ValidationError) as exc:
        EnterpriseRecordSchema().load(
            {
                "uscc": raw,
                "name": "昆山测试有限公司",
                "operator_type": "platform",
                "industry": "food",
            }
        )
    assert "uscc" in exc.value.messages


@pytest.mark.parametrize("ch", ["ǅ", "ß", "ﬁ", "ﬆ"])
def test_expansions_outside_the_alphabet_are_refused_too(ch: str) -> None:
    code = uscc.complete("9132058300000001")
    raw = code[:8] + ch + code[10:]  # 17 characters
    result = uscc.check(raw)
    assert [f.code for f in result.faults] == ["length", "charset"]
    assert result.faults[1].position == "9"


def test_full_width_and_case_and_spaces_fold_to_the_code() -> None:
    code = uscc.complete("9132058300000001")
    for raw in (
        full_width(code),
        full_width(code.lower()),
        f"\u3000{full_width(code)}\u3000",
        f" {code.lower()}\t",
        code[:9] + full_width(code[9:]),
    ):
        result = uscc.check(raw)
        assert result.valid and result.code == code, raw
        assert uscc.normalize(raw) == code
        assert uscc.code_like(raw) == code
        assert uscc.canonical(raw) == code

    class Body(Schema):
        uscc = UsccCode(required=True)

    assert Body().load({"uscc": full_width(code)}) == {"uscc": code}


def test_inner_spaces_and_invisible_characters_are_named() -> None:
    code = uscc.complete("9132058300000001")
    for raw, position in (
        (code[:4] + " " + code[4:17], "5"),
        (code[:17] + "\u200b", "18"),
    ):
        result = uscc.check(raw)
        assert [f.code for f in result.faults] == ["charset"], raw
        assert result.faults[0].position == position


# -- one rule per position, each failing alone ------------------------------------------------
def _only(first16: str) -> list[tuple[str, str | None]]:
    result = uscc.check(uscc.complete(first16))
    assert not result.valid
    return [(f.code, f.position) for f in result.faults]


@pytest.mark.parametrize(
    "first16, expected",
    [
        ("X132058300000001", [("authority", "1")]),  # X: no such authority
        ("0132058300000001", [("authority", "1")]),
        ("9432058300000001", [("category", "2")]),  # 9 has categories 1, 2, 3
        ("9932058300000001", [("category", "2")]),
        ("Y232058300000001", [("category", "2")]),  # Y has category 1 only
        ("91A2058300000001", [("division", "3-8")]),  # a letter in the division
        ("91320B8300000001", [("division", "3-8")]),
        ("9199058300000001", [("division", "3-4")]),  # no province 99
        ("9171058300000001", [("division", "3-4")]),  # Taiwan: no issuing authority
        ("9132998300000001", [("division", "5-6")]),  # Jiangsu has cities 01-13
        ("9132148300000001", [("division", "5-6")]),
    ],
)
def test_each_position_rule_alone(first16: str, expected: list) -> None:
    assert _only(first16) == expected


def test_check_characters_alone() -> None:
    code = uscc.complete("9132058300000001")
    wrong17 = code[:16] + ("2" if code[16] != "2" else "3")
    wrong17 += uscc.gb32100_check_char(wrong17)
    assert [(f.code, f.position) for f in uscc.check(wrong17).faults] == [("check_17", "17")]
    wrong18 = code[:17] + ("0" if code[17] != "0" else "1")
    assert [(f.code, f.position) for f in uscc.check(wrong18).faults] == [("check_18", "18")]


def test_every_fault_names_its_position_in_both_languages() -> None:
    code = uscc.complete("X1A2058300000001")
    result = uscc.check(code[:17] + ("0" if code[17] != "0" else "1"))
    assert [f.code for f in result.faults] == ["authority", "division", "check_18"]
    for f in result.faults:
        first = f.position.split("-")[0].split(",")[0]
        assert f"第 {first}" in f.message and "position" in f.message_en


@pytest.mark.parametrize(
    "first16, valid, in_jiangsu, notes",
    [
        ("9132058300000001", True, True, []),
        ("9111000060003734", True, False, ["not_jiangsu"]),  # 91110000600037341L, Beijing
        ("9132000000000001", True, False, ["province_level"]),
        ("9110000000000001", True, False, ["national"]),
        ("5132010000000001", True, True, []),  # a Nanjing social organisation
        ("N232058300000001", True, True, []),  # a village collective (unverified entry)
    ],
)
def test_valid_codes_and_what_they_say(first16, valid, in_jiangsu, notes) -> None:
    result = uscc.check(uscc.complete(first16))
    assert result.valid is valid and result.in_jiangsu is in_jiangsu
    assert [n.code for n in result.notes] == notes
    assert result.authority.code == first16[0] and result.category.code == first16[1]


def test_the_tables_are_data_with_their_sources() -> None:
    import json

    raw = json.loads(uscc.DATA.read_text("utf-8"))
    assert "GB 32100-2015" in raw["authorities"]["_source"]
    assert "GB/T 2260" in raw["divisions"]["_source"]
    t = uscc.tables()
    assert set(t.authorities["9"].categories) == {"1", "2", "3"}
    assert not t.authorities["9"].unverified and t.authorities["N"].unverified
    assert set(t.authorities) <= set(uscc.CHARSET)
    assert t.provinces["32"] == "江苏省"


# -- properties -------------------------------------------------------------------------------
TRICKY = (
    list(uscc.CHARSET + uscc.CHARSET.lower() + "IOZSVioszv")
    + [chr(c) for c in FULL_WIDTH.values()]
    + list("ﬀﬂﬄǇǅß㉑⑩ \u3000\u200b-")
)


@given(st.text(max_size=120))
def test_any_text_never_raises_and_a_pass_is_18_allowed_characters(raw: str) -> None:
    _assert_sound(raw)


@given(st.text(alphabet=st.sampled_from(TRICKY), min_size=14, max_size=22))
def test_near_codes_never_raise_and_a_pass_is_18_allowed_characters(raw: str) -> None:
    _assert_sound(raw)


@given(st.text(alphabet=uscc.CHARSET, min_size=16, max_size=16), st.booleans())
def test_completed_codes_pass_in_any_width(prefix: str, wide: bool) -> None:
    code = uscc.complete(prefix)
    result = uscc.check(full_width(code) if wide else code)
    assert result.code == code
    assert {f.code for f in result.faults} <= {"authority", "category", "division"}


def _assert_sound(raw: str) -> None:
    result = uscc.check(raw)
    assert len(uscc.normalize(raw)) <= len(raw)
    assert all(f.code and f.message and f.message_en for f in result.faults)
    if result.valid:
        assert len(result.code) == 18 and set(result.code) <= set(uscc.CHARSET)
        assert len(uscc.fold(raw)) == 18  # what was typed had 18 characters
        assert uscc.check(result.code).code == result.code
    else:
        assert result.faults
