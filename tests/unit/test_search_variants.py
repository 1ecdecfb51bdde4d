"""Query variants brought to the registry's form: traditional characters, mistyped codes
and names one character off (search.variants, credit.uscc.near_misses)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import uscc
from credit.demo import generate
from search.variants import (
    ONE_OFF_MAX,
    ONE_OFF_MIN,
    meant_codes,
    one_off,
    simplified,
    trade_words,
)

CODES = [r["uscc"] for r in generate(200, seed=21)]


def test_traditional_becomes_simplified_and_simplified_stays() -> None:
    assert simplified("蘇州市吳江區絲綢發展有限公司") == "苏州市吴江区丝绸发展有限公司"
    assert simplified("乾隆") == "乾隆"  # phrase-aware: not 干隆
    for r in generate(2000, seed=22):
        assert simplified(r["name"]) == r["name"]
    assert simplified("wang ji 3c") == "wang ji 3c"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CODES), st.integers(0, 17), st.sampled_from(uscc.CHARSET))
def test_one_wrong_character_is_always_caught_and_the_meant_code_offered(
    code: str, position: int, ch: str
) -> None:
    typo = code[:position] + ch + code[position + 1 :]
    if typo == code:
        assert meant_codes(typo) == ()  # a valid code is looked up as typed
        return
    assert not uscc.is_valid(typo)  # GB 32100 catches every single substitution
    near = uscc.near_misses(typo)
    assert code in near
    assert all(uscc.is_valid(c) for c in near)
    assert all(sum(a != b for a, b in zip(c, typo, strict=True)) == 1 for c in near)
    assert meant_codes(typo) == (typo, *near)


def test_not_a_code_has_no_near_misses() -> None:
    assert uscc.near_misses("short") == []
    assert uscc.near_misses("91320000" + "IIIIIIIIII") == []  # I is not in the charset
    assert meant_codes("苏州华鑫") == ()


def test_a_city_gains_or_loses_its_shi_only_before_more_text() -> None:
    from search.variants import city_variant

    assert city_variant("宿迁顺俊农业发展有限公司") == "宿迁市顺俊农业发展有限公司"
    assert city_variant("宿迁市顺俊农业发展有限公司") == "宿迁顺俊农业发展有限公司"
    assert city_variant("连云港源美食品") == "连云港市源美食品"  # not 连云
    for q in ("宿迁", "宿迁市", "宿迁 食品", "宿迁市 食品", "顺俊农业", "wang记"):
        assert city_variant(q) is None, q


def _near(name: str, alternative: str) -> bool:
    """The near-miss rule the backends apply (SearchQuery.near_misses), on one value: one
    part anywhere, or two parts at most one character apart in either order."""
    parts = alternative.split()
    if len(parts) == 1:
        return parts[0] in name
    a, b = parts
    for first, second in ((a, b), (b, a)):
        for i in range(len(name)):
            if name.startswith(first, i):
                end = i + len(first)
                if name.startswith(second, end) or name.startswith(second, end + 1):
                    return True
    return False


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@settings(max_examples=300, deadline=None)
@given(
    st.text(HAN, min_size=ONE_OFF_MIN + 1, max_size=ONE_OFF_MAX - 1),
    st.sampled_from(["wrong", "missing", "extra"]),
    st.integers(0, 1000),
    HAN,
)
def test_a_name_one_character_off_is_always_among_the_near_misses(
    name: str, edit: str, at: int, ch: str
) -> None:
    i = at % len(name)
    typed = {
        "wrong": name[:i] + ch + name[i + 1 :],
        "missing": name[:i] + name[i + 1 :],
        "extra": name[:i] + ch + name[i:],
    }[edit]
    triples = [typed[j : j + 3] for j in range(len(typed) - 2)]
    if len(set(triples)) < len(triples):  # three characters typed twice: never widened
        assert one_off(typed) == ()
        return
    assert any(_near(name, alt) for alt in one_off(typed)), (name, typed)


def test_near_misses_are_made_only_for_a_run_of_four_to_thirty_chinese_characters() -> None:
    assert one_off("南京云河科技") == (
        "南 京云河科技",
        "南京 云河科技",
        "南京云 河科技",
        "南京云河 科技",
        "南京云河科 技",
        "南 云河科技",
        "南京 河科技",
        "南京云 科技",
        "南京云河 技",
        "京云河科技",
        "南京云河科",
    )
    assert one_off("苏宁易够") and not one_off("苏宁够")
    thirty = "".join(chr(0x4E00 + i) for i in range(31))
    assert len(one_off(thirty[:30])) > 0 and one_off(thirty) == ()
    assert one_off("南京 云河科技") == ()  # two words: each is matched as typed
    assert one_off("苏宁3c数码") == ()  # a word of letters is no character
    assert one_off("suqianshunjun") == ()
    assert one_off("有限公司有限公司") == () and one_off("南京市南京市南京市") == ()
    assert one_off("淮安淮安鑫智明农产品专业合作社")  # 淮安 twice (city, district) is a name


def test_a_trade_word_also_matches_as_its_industrys_name() -> None:
    assert trade_words("南京 鼓楼 零食") == {"零食": ("食品饮料",)}
    assert trade_words("女装 汽配") == {"女装": ("服装鞋帽",), "汽配": ("汽车用品",)}
    assert trade_words("南京零食") == {}  # only a whole word names a trade
    assert trade_words("食品饮料") == {}  # the name itself needs nothing more
