"""The words consumers search a trade by (credit.enterprises.vocab.INDUSTRY_TERMS): each
names one industry, so an address-like query (南京 鼓楼 食品) finds one trade."""

from __future__ import annotations

from credit.enterprises.vocab import INDUSTRIES, INDUSTRY_TERMS


def test_every_industry_has_terms_and_each_term_names_one_industry() -> None:
    assert set(INDUSTRY_TERMS) == set(INDUSTRIES)
    owner: dict[str, str] = {}
    for industry, terms in INDUSTRY_TERMS.items():
        assert terms, industry
        for term in terms:
            assert term not in owner, (term, owner.get(term), industry)
            owner[term] = industry
    # a term inside another industry's term would find that industry as well
    for term, industry in owner.items():
        for other, other_industry in owner.items():
            if other_industry != industry:
                assert term not in other, (term, other)
    # a firm's place words hold its industry's label too: no other trade's term is in it
    for industry, (label, _en) in INDUSTRIES.items():
        assert [t for t, i in owner.items() if i != industry and t in label] == [], label
