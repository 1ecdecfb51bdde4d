"""The regulator console reads codes like the API (issue 15): a code typed in full-width
characters or lower case finds the firm; one that only passes when a ligature expands is
refused with the position named, on the violation and the commendation forms."""

from __future__ import annotations

import re

from credit import clock, uscc
from tests.pages.console_parties import page, post, record_violation, sign_in

WIDE = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}
PATH = "/console/regulator/violations/new"


def _violation(code: str) -> dict:
    return {
        "uscc": code,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕8901号",
        "decision_date": clock.today().isoformat(),
        "facts": "组织虚假交易、编造用户评价",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "penalty_type": "fine",
        "penalty_amount": "50000",
    }


def test_a_full_width_code_finds_the_firm_on_the_violation_form(client, cp) -> None:
    sign_in(client, "reg-in")
    wide = cp.owner_uscc.lower().translate(WIDE)
    html = page(client, f"{PATH}?uscc={wide}&category=fake_orders")
    assert f'<input type="hidden" name="uscc" value="{cp.owner_uscc}">' in html
    r = record_violation(
        client, _violation(wide), csrf_from=f"{PATH}?uscc={wide}&category=fake_orders"
    )
    html = page(client, r.headers["Location"])
    assert cp.owner_uscc in html and "苏市监罚〔2026〕8901号" in html


def test_a_ligature_code_is_refused_with_its_position(client, cp) -> None:
    sign_in(client, "reg-in")
    code = cp.owner_uscc
    raw = code[:8] + "ﬀ" + code[10:]  # 17 characters
    html = page(client, f"{PATH}?uscc={raw}&category=fake_orders")
    assert 'name="uscc" value="' + code not in html
    assert "第 9 位" in html and "U+FB00" in html
    r = post(client, PATH, _violation(raw), status=400, csrf_from=PATH)
    html = r.get_data(as_text=True)
    assert 'id="uscc-error"' in html and "第 9 位" in html


def test_a_commendation_folds_the_code(client, cp) -> None:
    sign_in(client, "reg-in")
    path = "/console/regulator/commendations/new"
    form = page(client, path)
    granted = re.search(r'name="granted_on" type="date" value="([^"]+)"', form).group(1)
    valid_until = re.search(r'name="valid_until" type="date" value="([^"]+)"', form).group(1)
    post(
        client,
        path,
        {
            "uscc": f" {cp.owner_uscc.translate(WIDE)} ",
            "title": "江苏省电子商务示范企业",
            "legal_basis": "省商务厅认定",
            "granted_on": granted,
            "valid_until": valid_until,
        },
    )
    profile = client.get(f"/enterprises/{cp.owner_uscc}").get_data(as_text=True)
    assert "江苏省电子商务示范企业" in profile
