"""Issue 17's public pages: one violation record's permalink (``/violations/<id>``) and the
published rating method (``/about/rating``), in-process on the real database and search."""

from __future__ import annotations

import html as htmllib
import re
import uuid

import pytest

from credit.ratings.catalog import catalog
from credit.ratings.texts import FAMILIES
from credit.scoring.signals.base import HardRuleParams
from credit.violations import rules
from search.documents import SPECS
from tests.parties import (
    make_parties,
    make_pledge,
    make_violation,
    regulator_identity,
    seed_templates,
)


def _html(resp) -> str:
    return htmllib.unescape(resp.get_data(as_text=True))


@pytest.fixture
def record(client, app_ctx):
    """The owner firm with a published pledge and a public general record breaching C03."""
    parties = make_parties()
    templates = seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    violation = make_violation(
        parties,
        days_ago=0,
        decision_number="苏市监罚〔2026〕4455号",
        breached=[{"pledge_id": pledge.id, "clause": "C03"}],
    )
    backend = app_ctx.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)
    clause = next(c for c in templates["ECOM-STD"].clauses if c["code"] == "C03")
    return parties, pledge, violation, clause


def test_a_public_record_has_its_permalink_page(client, record) -> None:
    parties, pledge, v, clause = record
    r = client.get(f"/violations/{v.id}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = _html(r)
    assert f"<title>违法失信信息 {v.decision_number} · " in page
    assert '<link rel="canonical" href="http://' in page and f'/violations/{v.id}">' in page
    assert re.search(r'<meta name="description" content="[^"]*4455号[^"]*公示至', page)
    # the decision, in words
    for text in (v.decision_number, v.legal_basis, v.facts, "刷单炒信", "一般", "罚款", "50000"):
        assert text in page, text
    assert v.authority.name in page and v.decision_date.isoformat() in page
    # the window with the rule it follows, cited from the rules file
    assert v.public_from.isoformat() in page and v.publish_until.isoformat() in page
    assert v.repairable_from.isoformat() in page
    version = next(x for x in rules.table()["versions"] if x["code"] == v.rule_version)
    assert f"规则版本 {v.rule_version}" in page
    cite = version["severities"]["general"]["cite"]
    assert rules.table()["sources"][cite["source"]]["title"] in page and cite["says"] in page
    # status in words, the breached clause in words with a link to the pledge
    assert "状态：公示中" in page
    assert clause["text"] in page and "✗ 已违反" in page
    assert f'/enterprises/{parties.owner_uscc}#pledge-{pledge.id}"' in page
    assert "作出决定的机关未更正本信息" in page
    en = _html(client.get(f"/violations/{v.id}", query_string={"lang": "en"}))
    assert "Violation record" in en and "fake orders and reviews" in en
    assert "Status: published" in en and clause["text_en"] in en and "The rules these dates" in en


def test_corrections_are_listed_in_words(client, record, app_ctx) -> None:
    from credit.uow import unit_of_work
    from credit.violations import registry

    _, _, v, _ = record
    with unit_of_work() as uow:
        registry.correct_violation(
            regulator_identity("violations:write"),
            uow,
            v.id,
            "category",
            "false_advertising",
            "认定类别有误",
            v.version,
        )
    page = _html(client.get(f"/violations/{v.id}"))
    assert "认定类别有误" in page and "刷单炒信" in page and "虚假宣传" in page
    assert "状态：已更正" in page and "fake_orders" not in page


def test_a_record_not_public_is_404_exactly_like_an_unknown_id(client, record) -> None:
    parties = record[0]
    minor = make_violation(parties, severity="minor", decision_number="苏市监罚〔2026〕1112号")
    unknown_id = str(uuid.uuid4())
    unknown = client.get(f"/violations/{unknown_id}")
    hidden = client.get(f"/violations/{minor.id}")
    assert unknown.status_code == hidden.status_code == 404
    assert hidden.mimetype == "text/html" and "未找到该违法失信信息" in _html(hidden)
    # the same page, but for the id in the language-switch link
    assert _html(hidden).replace(minor.id, "ID") == _html(unknown).replace(unknown_id, "ID")
    assert minor.decision_number not in _html(hidden)
    assert client.get("/violations/" + "x" * 300).status_code == 404


def test_a_revoked_record_leaves_its_page(client, record) -> None:
    from credit.uow import unit_of_work
    from credit.violations import service

    _, _, v, _ = record
    assert client.get(f"/violations/{v.id}").status_code == 200
    with unit_of_work() as uow:
        service.revoke_violation(
            regulator_identity("violations:write"), uow, v.id, "复议撤销", v.version
        )
    assert client.get(f"/violations/{v.id}").status_code == 404


def test_profile_and_search_results_link_the_permalink(client, record) -> None:
    parties, _, v, _ = record
    profile = _html(client.get(f"/enterprises/{parties.owner_uscc}"))
    assert f'href="/violations/{v.id}"' in profile
    found = _html(client.get("/search", query_string={"type": "violation", "q": "4455"}))
    assert f'href="/violations/{v.id}"' in found


def test_every_grade_badge_links_to_the_method(client, record) -> None:
    parties = record[0]
    profile = _html(client.get(f"/enterprises/{parties.owner_uscc}"))
    badges = re.findall(r'<a class="grade-link" href="([^"]+)"[^>]*><span class="grade', profile)
    assert badges and all(re.fullmatch(r"/about/rating#grade-[ABC]{1,3}", b) for b in badges)
    results = _html(client.get("/search", query_string={"type": "pledge", "q": parties.owner_uscc}))
    assert 'class="grade-link" href="/about/rating#grade-' in results


def test_the_method_page_is_read_off_the_model_in_force(client, app_ctx) -> None:
    model = catalog().get()
    r = client.get("/about/rating")
    assert r.status_code == 200
    page = _html(r)
    assert "<title>信用评价方法 · " in page and '<link rel="canonical"' in page
    assert '<meta name="description"' in page and model.version in page
    assert f"基础分 {model.base} 起评" in page
    for grade, floor in model.grade_floors:
        row = re.search(rf'<tr id="grade-{grade}">(.*?)</tr>', page, re.S)
        assert row, grade
        assert model.grade_words[grade][0] in row.group(1) and f"{floor}–" in row.group(1)
    families = set()
    for sig, params in model.signals:
        if isinstance(params, HardRuleParams) or hasattr(params, "max_score"):
            cap = re.search(rf'<li id="cap-{sig.name}">(.*?)</li>', page, re.S)
            assert cap and f"不高于 {params.max_score} 分" in cap.group(1), sig.name
            continue
        assert f'id="signal-{sig.name}"' in page, sig.name
        families.add(sig.run.__module__.rsplit(".", 1)[-1])
        for code in sig.codes:  # the words of each reason, its placeholders left open
            for words in re.split(r"\{[a-z_]+\}", model.reasons[code]["zh"]):
                assert words in page, (code, words)
    assert "{" not in page.split("<main", 1)[1].split("<details", 1)[0]
    assert {"basic", "public", "market"} <= families
    for family in ("basic", "public", "market"):
        assert f'<h3 id="family-{family}">{FAMILIES[family][0]}</h3>' in page
    assert 'id="contest"' in page and "异议" in page and "信用修复" in page
    assert str(model.params("violations").monthly_decay) in page
    en = _html(client.get("/about/rating", query_string={"lang": "en"}))
    assert "How the credit rating works" in en
    for grade in model.grade_words.values():
        assert grade[1] in en
