"""Pages in English show words, never codes (issue 17 item 6): the consent page's
permissions, a console form's required fields, a correction's category, a breached clause,
the authority's and the platform's names; and ``/api/v1/vocabularies`` has no English gap."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from credit.pledges.vocab import STANDARD_CLAUSES
from credit.violations.vocab import CATEGORIES
from tests.pages.console_parties import authorize_url, page, post, record_violation, sign_in

HAN = re.compile(r"[\u3400-\u9fff]")


def _english(client) -> None:
    """Choose English the way a visitor does (the switch link; remembered in a cookie)."""
    assert client.get("/?lang=en").status_code == 200


def _clause(code: str) -> tuple[str, str]:
    row = next(c for c in STANDARD_CLAUSES if c[0] == code)
    return row[1], row[2]


def test_consent_page_names_permissions_in_words(client, cp) -> None:
    _english(client)
    authorize = authorize_url(client)
    r = client.get(authorize)
    login = client.get(r.headers["Location"]).get_data(as_text=True)
    from tests.parties import PASSWORD, csrf_of

    next_value = re.search(r'name="next" value="([^"]*)"', login).group(1)
    import html as html_mod

    r = client.post(
        "/login",
        data={
            "username": "firm-a",
            "password": PASSWORD,
            "csrf": csrf_of(login),
            "next": html_mod.unescape(next_value),
        },
    )
    consent = client.get(r.headers["Location"]).get_data(as_text=True)
    items = re.search(r"<ul>(.*?)</ul>", consent, re.S).group(1)
    assert "read non-public registry data (contacts)" in items
    assert ":" not in re.sub(r"<[^>]+>", "", items)  # no scope code such as enterprises:read
    assert not HAN.search(re.sub(r"<[^>]+>", "", items))


def test_required_fields_are_marked_once_with_a_legend(client, cp) -> None:
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/commendations/new?lang=en")
    assert "(required)" not in html and "(必填)" not in html
    assert html.count('class="required-note"') == 1
    assert '<span class="req" aria-hidden="true">*</span> required' in html
    stars = html.count('<span class="req" aria-hidden="true">*</span>')
    required = len(re.findall(r"<(?:input|select|textarea)[^>]* required", html))
    assert stars - 1 == required > 0  # one star per required field, plus the legend's


def _record_breaching_c03(client, cp, clean_app) -> str:
    from tests.parties import make_pledge

    with clean_app.app_context():
        pledge_id = make_pledge(cp.owner_uscc, publish=True).id
    sign_in(client, "reg-in")
    path = "/console/regulator/violations/new"
    from credit import clock

    r = record_violation(  # the preview, then "确认公示"
        client,
        {
            "uscc": cp.owner_uscc,
            "category": "fake_orders",
            "severity": "general",
            "decision_number": "苏市监罚〔2026〕7701号",
            "decision_date": clock.today().isoformat(),
            "facts": "组织虚假交易、编造用户评价",
            "legal_basis": "《中华人民共和国电子商务法》第十七条",
            "penalty_type": "fine",
            "penalty_amount": "50000",
            "breached": [f"{pledge_id}:C03"],
        },
        csrf_from=f"{path}?uscc={cp.owner_uscc}",
    )
    return r.headers["Location"].rsplit("/", 1)[-1]


def test_breached_clause_and_corrected_category_in_words(client, cp, clean_app) -> None:
    vid = _record_breaching_c03(client, cp, clean_app)
    _english(client)
    view = f"/console/regulator/violations/{vid}"
    html = page(client, view)
    breaches = re.search(r'<dd id="breaches">(.*?)</dd>', html, re.S).group(1)
    assert _clause("C03")[1] in breaches and "C03" not in breaches
    # The category is corrected by choosing its words, not by typing a code.
    assert "fake_orders" not in re.sub(r'value="[^"]*"', "", html)
    assert f">{CATEGORIES['false_advertising'][1]}</option>" in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    post(
        client,
        f"{view}/correct",
        {
            "field": "category",
            "new_category": "false_advertising",
            "reason": "类别录入有误",
            "version": version,
        },
        csrf_from=view,
    )
    html = page(client, view)
    corrections = re.search(r'<ul id="corrections">(.*?)</ul>', html, re.S).group(1)
    assert (
        CATEGORIES["fake_orders"][1] in corrections
        and CATEGORIES["false_advertising"][1] in corrections
    )
    assert "fake_orders" not in corrections and "false_advertising" not in corrections
    # The public record names the breached clause and the authority in English.
    with clean_app.app_context():
        from credit.accounts.models import Authority
        from credit.extensions import db
        from credit.regions import JIANGSU_CITIES, JIANGSU_CITIES_EN
        from credit.uow import unit_of_work

        with unit_of_work() as uow:
            uow.session.execute(
                sa.update(Authority)
                .where(Authority.code == "IN")
                .values(name=f"{JIANGSU_CITIES[cp.parties.owner_city]}市场监督管理局")
            )
        db.session.remove()
        city_en = JIANGSU_CITIES_EN[cp.parties.owner_city]
    public = page(client, f"/violations/{vid}?lang=en")
    assert f"{city_en} Administration for Market Regulation" in public
    assert _clause("C03")[1] in public


def test_platform_names_in_english(client, cp) -> None:
    from credit.enterprises.vocab import PLATFORMS, PLATFORMS_EN

    html = page(client, f"/enterprises/{cp.owner_uscc}?lang=en")
    [shops] = re.findall(r'<ul class="shops">(.*?)</ul>', html, re.S)
    tags = re.findall(r'<span class="tag">([^<]*)</span>', shops)
    assert tags and all(tag in PLATFORMS_EN.values() for tag in tags), tags
    zh = page(client, f"/enterprises/{cp.owner_uscc}?lang=zh")
    [shops] = re.findall(r'<ul class="shops">(.*?)</ul>', zh, re.S)
    assert all(
        t in PLATFORMS.values() for t in re.findall(r'<span class="tag">([^<]*)</span>', shops)
    )


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [
            found
            for k, v in node.items()
            for found in ([(f"{path}.{k}", v)] if k == "name_en" else _walk(v, f"{path}.{k}"))
        ]
    if isinstance(node, list):
        return [found for i, v in enumerate(node) for found in _walk(v, f"{path}[{i}]")]
    return []


def test_vocabularies_have_every_english_name(client) -> None:
    body = client.get("/api/v1/vocabularies").get_json()
    names = _walk(body)
    assert len(names) == sum(len(v) for v in body.values())
    for where, name in names:
        assert isinstance(name, str) and name.strip() and not HAN.search(name), (where, name)
