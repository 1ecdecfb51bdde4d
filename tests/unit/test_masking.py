"""Masking of natural persons' names before publication."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from credit.masking import mask_person_name


def test_examples() -> None:
    assert mask_person_name("张三明") == "张*明"
    assert mask_person_name("李四") == "李*"
    assert mask_person_name("欧阳娜娜") == "欧**娜"
    assert mask_person_name("王") == "*"
    assert mask_person_name(None) is None


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=8
    )
)
def test_masked_name_never_reveals_the_middle(name: str) -> None:
    masked = mask_person_name(name)
    assert masked != name
    assert len(masked) == len(name)
    assert masked[1] == "*"
