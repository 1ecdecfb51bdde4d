"""Over the real server (issue 15, the rating model): a published serious record keeps a firm
in tier C whatever commendation it then receives, and the grade is served in the words of
the nine-level scale, never calling a score 失信."""

from __future__ import annotations

import pytest

from credit import clock
from tests.parties import make_parties, make_pledge, seed_templates


@pytest.fixture
def parties(app_ctx):
    p = make_parties()
    seed_templates()
    make_pledge(p.owner_uscc, publish=True)
    return p


def rating(live, uscc: str) -> dict:
    r = live.get(f"/api/v1/enterprises/{uscc}/rating")
    assert r.status_code == 200, r.text
    assert all(v.isascii() for v in r.headers.values())
    return r.json()


def test_a_serious_record_keeps_the_firm_in_tier_c_after_a_commendation(live, parties) -> None:
    regulator = live.bearer(parties.clients["reg_in"])
    before = rating(live, parties.owner_uscc)
    assert before["model_version"] == "2026.2" and before["tier"] in {"A", "B"}
    today = clock.today().isoformat()
    r = live.post(
        "/api/v1/violations",
        headers=regulator,
        json={
            "uscc": parties.owner_uscc,
            "category": "counterfeit",
            "severity": "serious",
            "decision_number": "苏市监罚〔2026〕9901号",
            "legal_basis": "《中华人民共和国产品质量法》第三十二条",
            "facts": "销售假冒注册商标的商品",
            "penalty_type": "fine",
            "penalty_amount": 200000,
            "decision_date": today,
        },
    )
    assert r.status_code == 201, r.text
    r = live.post(
        "/api/v1/commendations",
        headers=regulator,
        json={
            "uscc": parties.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "省商务厅认定",
            "granted_on": today,
            "valid_until": clock.today().replace(year=clock.today().year + 1).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    after = rating(live, parties.owner_uscc)
    assert after["tier"] == "C" and after["score"] <= 449, after
    assert "HARD_SERIOUS_VIOLATION" in after["hard_rules"]
    assert "COMMENDATION" in [f["code"] for f in after["raised"]]
    assert (after["grade_text"], after["tier_text"]) == ("信用很差", "信用差")
    assert after["grade_text_en"] == "very poor"

    page = live.get(f"/enterprises/{parties.owner_uscc}")
    assert page.status_code == 200
    html = page.text
    badge = '<span class="grade tier-C">CCC</span> <span class="tier-word grade-word">信用很差'
    assert badge in html
    assert "C 失信" not in html and ">失信<" not in html  # a score is not a legal finding
    assert "严重违法失信记录" in html  # ... the record is, and says so
