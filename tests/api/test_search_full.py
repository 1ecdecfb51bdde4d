"""The public search over enterprises, pledges and violations (issue 7), through the API:
types, filters, sorting, highlights, cursors, suggestions, normalisation, public view."""

from __future__ import annotations

import re
from datetime import timedelta

from credit import clock
from search.documents import SPECS
from tests.helpers import import_records, sample_records
from tests.parties import make_parties, make_pledge, make_violation, seed_templates


def _refresh(app) -> None:
    backend = app.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)


def _search(client, **query):
    r = client.get("/api/v1/search", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def test_pledges_and_violations_are_searchable_while_public(client, app_ctx) -> None:
    parties = make_parties()
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, days_ago=10, decision_number="苏市监罚〔2026〕4321号")
    _refresh(app_ctx)
    pledges = _search(client, type="pledge", q=parties.owner_uscc)
    assert [i["id"] for i in pledges["items"]] == [pledge.id]
    assert pledges["items"][0]["compliance"] == "kept"
    found = _search(client, type="violation", q="4321")
    assert [i["id"] for i in found["items"]] == [v.id]
    item = found["items"][0]
    assert item["decision_number"] == "苏市监罚〔2026〕4321号" and item["severity"] == "general"
    assert item["severity_name"] == "一般" and "tier" not in item and "tier_name" not in item
    assert found["facets"]["severity"] == [{"value": "general", "label": "一般", "count": 1}]
    assert "tier" not in found["facets"]
    assert _search(client, type="violation", q="4321", severity="general")["total"] == 1
    assert _search(client, type="violation", q="4321", severity="serious")["total"] == 0
    assert "<em>4321</em>" in item["highlights"]["decision_number"][0]
    assert not any(k.startswith("t_") or k.endswith("_exact") for k in item)
    firm = _search(client, q=parties.owner_uscc)["items"][0]
    assert (firm["published_pledges"], firm["active_violations"]) == (1, 1)
    assert firm["grade"] and firm["credit_score"] is not None

    # Leaving public view leaves the index: a revoked violation, a withdrawn pledge.
    from credit.identity import Identity, IdentityKind
    from credit.pledges import service as pledges_service
    from credit.uow import unit_of_work
    from credit.violations import service as violations
    from tests.parties import owner_identity

    reg = Identity(
        IdentityKind.REGULATOR,
        "r",
        authority_id=v.authority_id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset({parties.owner_city}),
    )
    with unit_of_work() as uow:
        violations.revoke_violation(reg, uow, v.id, "复议撤销", v.version)
    with unit_of_work() as uow:
        pledges_service.withdraw_pledge(
            owner_identity(parties.owner_uscc), uow, pledge.id, "停止经营", pledge.version
        )
    _refresh(app_ctx)
    assert _search(client, type="violation", q="4321")["total"] == 0
    assert _search(client, type="pledge", q=parties.owner_uscc)["total"] == 0
    firm = _search(client, q=parties.owner_uscc)["items"][0]
    assert (firm["published_pledges"], firm["active_violations"]) == (0, 0)


def test_publicity_end_removes_the_record(client, app_ctx, frozen_clock) -> None:
    from credit.sweeps import sweep

    parties = make_parties()
    v = make_violation(parties, days_ago=10)
    _refresh(app_ctx)
    assert _search(client, type="violation", q=parties.owner_uscc)["total"] == 1
    frozen_clock.advance(((v.publish_until - clock.today()).days + 1) * 86400)
    sweep()
    _refresh(app_ctx)
    assert _search(client, type="violation", q=parties.owner_uscc)["total"] == 0


def test_filters_sorts_and_facets(client, app_ctx) -> None:
    records = sample_records(60, seed=3)
    import_records(records)
    _refresh(app_ctx)
    body = _search(client, q="", size=100)
    assert set(body["facets"]) == {"city", "industry", "grade", "tier", "key_category"}
    grades = {b["value"]: b["count"] for b in body["facets"]["grade"]}
    assert sum(grades.values()) == 60
    # A tier is a score's, named as the model names it: never 守信 / 关注 / 失信.
    words = {"A": "信用良好", "B": "信用一般", "C": "信用差"}
    assert body["facets"]["tier"]
    assert all(b["label"] == words[b["value"]] for b in body["facets"]["tier"])
    grade = next(iter(grades))
    only = _search(client, q="", grade=grade, size=100)
    assert only["total"] == grades[grade] and {i["grade"] for i in only["items"]} == {grade}
    by_score = _search(client, q="", sort="score", size=100)["items"]
    scores = [i["credit_score"] for i in by_score]
    assert scores == sorted(scores, reverse=True)
    by_date = _search(client, q="", sort="date", size=100)["items"]
    dates = [i["registration_date"] or "" for i in by_date]
    assert dates == sorted(dates, reverse=True)
    cutoff = sorted(d for d in dates if d)[30]
    recent = _search(client, q="", date_from=cutoff, size=100)
    assert recent["total"] == sum(1 for d in dates if d and d >= cutoff)


def test_argument_errors_are_per_field(client) -> None:
    cases = [
        ({"type": "shop"}, "type"),
        ({"category": "pricing"}, "category"),
        ({"type": "violation", "tier": "A"}, "tier"),
        ({"type": "violation", "tier": "general"}, "tier"),  # a violation's is its severity
        ({"type": "violation", "severity": "A"}, "severity"),
        ({"severity": "general"}, "severity"),  # enterprises have a rating tier, no severity
        ({"sort": "name"}, "sort"),
        ({"page": 51, "size": 20}, "page"),
        ({"cursor": "!!"}, "cursor"),
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "date_to"),
        ({"grade": "AAAA"}, "grade"),
    ]
    for query, field in cases:
        r = client.get("/api/v1/search", query_string=query)
        assert r.status_code == 400, query
        assert r.content_type == "application/problem+json"
        fields = [e["field"].split(".")[0] for e in r.get_json()["errors"]]
        assert field in fields, (query, r.get_json())


def test_cursor_pages_through_everything_once(client, app_ctx) -> None:
    import_records(sample_records(130, seed=5))
    _refresh(app_ctx)
    for sort in ("relevance", "score", "date"):
        seen: list[str] = []
        body = _search(client, q="", size=40, sort=sort)
        seen += [i["uscc"] for i in body["items"]]
        while body["next_cursor"]:
            body = _search(client, q="", size=40, sort=sort, cursor=body["next_cursor"])
            seen += [i["uscc"] for i in body["items"]]
        assert len(seen) == len(set(seen)) == 130, sort
    fragment = sample_records(130, seed=5)[0]["name"][:2]
    expected = _search(client, q=fragment, size=100)["total"]
    seen = []
    body = _search(client, q=fragment, size=7)
    seen += [i["uscc"] for i in body["items"]]
    while body["next_cursor"]:
        body = _search(client, q=fragment, size=7, cursor=body["next_cursor"])
        seen += [i["uscc"] for i in body["items"]]
    assert len(seen) == len(set(seen)) == expected
    other = client.get(
        "/api/v1/search",
        query_string={
            "q": "别的",
            "size": 7,
            "cursor": _search(client, q=fragment, size=7)["next_cursor"],
        },
    )
    assert other.status_code == 400 and other.get_json()["errors"][0]["field"] == "cursor"


def test_exact_uscc_full_width_and_case(client, app_ctx) -> None:
    rec = {
        **sample_records(1, seed=8)[0],
        "name": "苏州Ｗａｎｇ记（集团）服饰有限公司",
        "shops": [{"platform": "taobao", "shop_name": "Wang Ji 3C数码小店", "url": None}],
    }
    import_records([rec, *sample_records(20, seed=9)])
    _refresh(app_ctx)
    assert [i["uscc"] for i in _search(client, q=rec["uscc"])["items"]] == [rec["uscc"]]
    assert [i["uscc"] for i in _search(client, q=rec["uscc"].lower())["items"]] == [rec["uscc"]]
    for q in ("wang记", "ＷＡＮＧ记", "(集团)", "wang ji 3c", "ＷＡＮＧ　ＪＩ"):
        assert rec["uscc"] in [i["uscc"] for i in _search(client, q=q)["items"]], q
    top = _search(client, q="苏州Wang记(集团)服饰有限公司")["items"][0]
    assert top["uscc"] == rec["uscc"]  # the exact name, folded, ranks first
    assert top["name"] == rec["name"]  # ... and is shown as registered


def test_highlights_are_escaped(client, app_ctx) -> None:
    rec = {**sample_records(1, seed=12)[0], "name": "苏州<b>华鑫</b>商贸有限公司"}
    import_records([rec])
    _refresh(app_ctx)
    item = _search(client, q="华鑫")["items"][0]
    assert item["highlights"]["name"] == ["苏州&lt;b&gt;<em>华鑫</em>&lt;/b&gt;商贸有限公司"]


def test_suggest_names_and_code_prefixes(client, app_ctx) -> None:
    records = sample_records(50, seed=4)
    import_records(records)
    _refresh(app_ctx)
    target = records[7]
    by_name = client.get("/api/v1/suggest", query_string={"q": target["name"][:6]}).get_json()
    assert target["uscc"] in [s["uscc"] for s in by_name["items"]]
    assert all(s["name"].startswith(target["name"][:6]) for s in by_name["items"][:1])
    by_code = client.get("/api/v1/suggest", query_string={"q": target["uscc"][:12]}).get_json()
    assert by_code["items"][0]["uscc"] == target["uscc"]
    assert client.get("/api/v1/suggest").status_code == 400


def test_search_dates_filter_violations(client, app_ctx) -> None:
    parties = make_parties()
    old = make_violation(parties, days_ago=200)
    new = make_violation(parties, days_ago=5)
    _refresh(app_ctx)
    since = (clock.today() - timedelta(days=30)).isoformat()
    body = _search(client, type="violation", q="", date_from=since)
    assert [i["id"] for i in body["items"]] == [new.id]
    latest = _search(client, type="violation", q="", sort="date")["items"]
    assert [i["id"] for i in latest] == [new.id, old.id]
    assert {b["value"] for b in body["facets"]["category"]} == {"fake_orders"}


def test_traditional_characters_and_a_mistyped_code_find_the_firm(client, app_ctx) -> None:
    """A name typed in traditional characters is matched as simplified (OpenCC t2s); a
    code with one wrong character fails its check and finds the firms one character away
    (the one meant), on the search API, pledge and violation search alike."""
    from credit import uscc

    rec = {**sample_records(1, seed=13)[0], "name": "苏州市吴江区丝绸发展有限公司"}
    import_records([rec, *sample_records(30, seed=14)])
    _refresh(app_ctx)
    for q in ("蘇州市吳江區絲綢發展有限公司", "絲綢發展", "吳江 絲綢"):
        found = _search(client, q=q)
        assert found["items"] and found["items"][0]["uscc"] == rec["uscc"], q
    code = rec["uscc"]
    i = 9  # inside the organisation code
    typo = code[:i] + next(c for c in uscc.CHARSET if c != code[i]) + code[i + 1 :]
    assert not uscc.is_valid(typo)
    found = _search(client, q=typo)
    assert [item["uscc"] for item in found["items"]] == [code]
    assert found["total"] == 1
    # a code that is valid (and unknown) is looked up as typed, never widened
    other = uscc.complete(code[:9] + "AAAAAAA")
    assert uscc.is_valid(other) and _search(client, q=other)["total"] == 0


def test_a_name_typed_without_or_with_its_citys_shi_finds_the_firm(client, app_ctx) -> None:
    """Firms are registered as 宿迁市X… or 宿迁X…, and users type either: a query that
    finds nothing is searched again with the city's 市 added or left out, and the answer
    says so (``searched_as``); a query that finds something is never widened."""
    with_shi = {**sample_records(1, seed=15)[0], "name": "宿迁市顺俊农业发展有限公司"}
    without = {**sample_records(1, seed=16)[0], "name": "南京云弘贸易有限公司"}
    import_records([with_shi, without, *sample_records(20, seed=17)])
    _refresh(app_ctx)
    found = _search(client, q="宿迁顺俊农业发展有限公司")
    assert [i["uscc"] for i in found["items"]] == [with_shi["uscc"]]
    assert found["searched_as"] == "宿迁市顺俊农业发展有限公司"
    assert found["items"][0]["highlights"]["name"] == ["<em>宿迁市顺俊农业发展有限公司</em>"]
    found = _search(client, q="南京市云弘贸易有限公司")
    assert [i["uscc"] for i in found["items"]] == [without["uscc"]]
    assert found["searched_as"] == "南京云弘贸易有限公司"
    found = _search(client, q="宿迁市顺俊农业发展有限公司")
    assert found["searched_as"] is None and found["items"][0]["uscc"] == with_shi["uscc"]
    nothing = _search(client, q="宿迁市不存在的公司")
    assert nothing["total"] == 0 and nothing["searched_as"] is None
    page = client.get("/search", query_string={"q": "宿迁顺俊农业发展有限公司"})
    assert "以下是“宿迁市顺俊农业发展有限公司”的结果" in page.get_data(as_text=True)


def test_a_name_typed_in_pinyin_or_its_initials_finds_the_firm(client, app_ctx) -> None:
    """A query of letters that finds nothing as typed is read as pinyin (city and trade
    name, as people say them) or as initials; the answer says what was searched."""
    rec = {**sample_records(1, seed=18)[0], "name": "宿迁市顺俊农业发展有限公司"}
    rec = {**rec, "city_code": "321300", "district_code": "321302"}
    import_records([rec, *sample_records(20, seed=19)])
    _refresh(app_ctx)
    found = _search(client, q="suqianshunjun")
    assert found["items"][0]["uscc"] == rec["uscc"]
    assert found["searched_as"] == "su qian shun jun"
    found = _search(client, q="SQSJ")
    assert rec["uscc"] in [i["uscc"] for i in found["items"]]
    assert found["searched_as"] == "s q s j"
    page = client.get("/search", query_string={"q": "suqianshunjun"}).get_data(as_text=True)
    assert "以下是“su qian shun jun”的结果" in page and rec["name"] in page


def test_a_name_one_character_off_finds_the_firm_and_says_so(client, app_ctx) -> None:
    """A name typed with one character wrong, missing or extra finds nothing as typed and
    is searched as its near misses: the firm comes first, ``near_miss`` says so and the
    page tells the user; a name typed right is never widened."""
    rec = {**sample_records(1, seed=23)[0], "name": "南京云海科技有限公司"}
    import_records([rec, *sample_records(20, seed=24)])
    _refresh(app_ctx)
    for typed in ("南京云河科技有限公司", "南京云科技有限公司", "南京云海海科技有限公司"):
        found = _search(client, q=typed)
        assert found["items"][0]["uscc"] == rec["uscc"], typed
        assert found["near_miss"] is True and found["searched_as"] is None
        assert "<em>" in found["items"][0]["highlights"]["name"][0]
    exact = _search(client, q="南京云海科技有限公司")
    assert exact["near_miss"] is False and exact["items"][0]["uscc"] == rec["uscc"]
    page = client.get("/search", query_string={"q": "南京云河科技有限公司"}).get_data(as_text=True)
    assert "没有找到“南京云河科技有限公司”，以下是与它相差一个字的名称" in page
    assert rec["name"] in re.sub(r"<[^>]+>", "", page)  # the name, its matches marked


def test_an_address_like_query_finds_the_trade_in_the_district(client, app_ctx) -> None:
    """City, district and trade (南京 鼓楼 食品) find that trade's firms in that district,
    whatever their names say."""
    base = sample_records(1, seed=25)[0]
    food = {**base, "name": "南京远航商贸有限公司", "city_code": "320100"}
    food = {**food, "district_code": "320106", "industry": "food"}
    elsewhere = {**sample_records(1, seed=26)[0], "city_code": "320100"}
    elsewhere = {**elsewhere, "district_code": "320102", "industry": "food"}
    import_records([food, elsewhere, *sample_records(20, seed=27)])
    _refresh(app_ctx)
    found = _search(client, q="南京 鼓楼 食品")
    codes = [i["uscc"] for i in found["items"]]
    assert food["uscc"] in codes and elsewhere["uscc"] not in codes
