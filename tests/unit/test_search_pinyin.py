"""Pinyin for search (search.pinyin): names spelled per character, typed pinyin read back
into syllables (every way it splits) or initials."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.demo import generate
from search.pinyin import query_forms, segmentations, spelled

NAMES = [r["name"] for r in generate(300, seed=23)]


def test_a_name_is_spelled_per_character_in_syllables_and_initials() -> None:
    assert spelled("宿迁顺俊农业发展有限公司") == (
        "su qian shun jun nong ye fa zhan you xian gong si",
        "s q s j n y f z y x g s",
    )
    assert spelled("Wang记（集团）") == ("ji ji tuan", "j j t")  # only the characters
    assert spelled("女") == ("nv", "n")  # ü typed as v


def test_typed_pinyin_becomes_each_reading_or_initials_or_nothing() -> None:
    assert query_forms("suqianshunjun")[0] == "su-qian-shun-jun"
    assert query_forms("SuQian ShunJun")[0] == "su-qian shun-jun"
    assert query_forms("xian") == ["xian", "xi-an"]  # 先 or 西安: the fewest syllables first
    assert "nan-jing-an" in query_forms("nanjingan")
    assert query_forms("sqsj") == ["s-q-s-j"]  # not pinyin: initials
    assert len(query_forms("xian xian xian")) == 4  # bounded
    for q in ("wang ji 3c", "苏州", "suqian 苏州", "a", "x" * 41, ""):
        assert query_forms(q) == [], q


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.integers(0, 8), st.integers(2, 6))
def test_any_run_of_a_names_characters_typed_in_pinyin_is_read_back(
    name: str, start: int, length: int
) -> None:
    """Whatever part of a name a user spells without syllable marks, one of its readings
    is the run's syllables, a phrase of the name's spelling; its initials are one too."""
    syllables, initials = spelled(name[start : start + length])
    if not syllables:
        return
    whole, whole_initials = spelled(name)
    assert syllables.split() in segmentations(syllables.replace(" ", ""))
    assert syllables in whole and initials in whole_initials
