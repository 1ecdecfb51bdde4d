"""The consumer pages (issue 8): home, search, profile, credit report and verification,
statistics and the USCC check, on the real database and the real (embedded) search."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from credit import clock, uscc
from credit.extensions import db
from credit.ratings.catalog import catalog
from credit.reports.models import CreditReport
from credit.violations import registry
from search.documents import SPECS
from tests.helpers import import_records, sample_records
from tests.parties import make_parties, make_pledge, make_violation, seed_templates


@pytest.fixture(autouse=True)
def _fresh_statistics():
    registry.clear_statistics_cache()
    yield
    registry.clear_statistics_cache()


def _refresh(app) -> None:
    backend = app.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _commend(parties, title: str = "江苏省电子商务示范企业"):
    from credit.accounts.models import Authority
    from credit.identity import Identity, IdentityKind
    from credit.uow import unit_of_work

    authority = db.session.scalar(sa.select(Authority).where(Authority.code == "IN"))
    regulator = Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=authority.id,
        scopes=frozenset({"commendations:write"}),
        jurisdiction=frozenset(authority.jurisdiction),
    )
    today = clock.today()
    with unit_of_work() as uow:
        return registry.commend(
            regulator,
            uow,
            {
                "uscc": parties.owner_uscc,
                "title": title,
                "legal_basis": "苏商务〔2026〕1号",
                "granted_on": today - timedelta(days=3),
                "valid_until": today + timedelta(days=300),
            },
        )


@pytest.fixture
def record(client, app_ctx):
    """The owner enterprise with a kept and a breached clause, a public violation and a
    commendation; the other enterprise plain."""
    parties = make_parties()
    seed_templates()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    violation = make_violation(
        parties,
        days_ago=0,
        decision_number="苏市监罚〔2026〕7788号",
        breached=[{"pledge_id": pledge.id, "clause": "C03"}],
    )
    _commend(parties)
    _refresh(app_ctx)
    return parties, pledge, violation


class _Inputs(HTMLParser):
    """Form fields and labels of a page (every visible field needs a label)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str | None] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.fields.append(a.get("id"))
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])


def _assert_fields_labelled(html: str) -> None:
    parser = _Inputs()
    parser.feed(html)
    assert None not in parser.fields, "a field without an id cannot be labelled"
    assert set(parser.fields) <= parser.labels, set(parser.fields) - parser.labels


def _assert_csp_clean(html: str) -> None:
    assert "<script>" not in html and "<style" not in html and " style=" not in html


# -- home ---------------------------------------------------------------------------------
def test_home_search_box_and_latest_records_in_both_languages(client, record) -> None:
    parties = record[0]
    zh = _html(client.get("/"))
    assert 'action="/search"' in zh and 'name="q"' in zh
    assert 'role="combobox"' in zh and 'data-suggest="/api/v1/suggest"' in zh
    assert "/assets/suggest.js" in zh and " defer" in zh
    assert "最新公示的信用承诺" in zh and "最新公示的违法失信信息" in zh
    assert "苏市监罚〔2026〕7788号" in zh
    assert f"/enterprises/{parties.owner_uscc}" in zh
    _assert_fields_labelled(zh)
    _assert_csp_clean(zh)
    en = _html(client.get("/?lang=en"))
    assert "Latest published pledges" in en and "Latest published violations" in en
    assert "anyone can search them" in en


def test_suggest_script_and_api_it_calls(client, record) -> None:
    assert client.get("/assets/suggest.js").status_code == 200
    name = client.get(f"/api/v1/enterprises/{record[0].owner_uscc}").get_json()["name"]
    body = client.get("/api/v1/suggest", query_string={"q": name[:2]}).get_json()
    assert record[0].owner_uscc in [i["uscc"] for i in body["items"]]


# -- search -------------------------------------------------------------------------------
def test_results_with_badges_highlights_facets_and_sort_links(client, app_ctx) -> None:
    records = sample_records(30, seed=8)
    import_records(records)
    _refresh(app_ctx)
    target = records[0]
    fragment = target["name"][2:4]
    page = client.get("/search", query_string={"q": fragment})
    html = _html(page)
    assert page.status_code == 200
    assert target["name"] in re.sub(r"</?em>", "", html)
    assert f"<em>{fragment[0]}" in html  # the matched text is marked
    assert 'class="grade tier-' in html and "tier-word" in html  # badge + words
    assert "?q=" in html and "city=" in html and "industry=" in html  # facet links
    assert "sort=score" in html and "sort=date" in html
    _assert_fields_labelled(html)
    _assert_csp_clean(html)
    en = _html(client.get("/search", query_string={"q": fragment, "lang": "en"}))
    assert "results" in en and "Sort by" in en and "City" in en


def test_escaping_only_the_marks_are_html(client, app_ctx) -> None:
    rec = sample_records(1, seed=9)[0]
    rec["name"] = "苏州<b>放心</b>网店有限公司"
    import_records([rec])
    _refresh(app_ctx)
    html = _html(client.get("/search", query_string={"q": "放心"}))
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "<em>放心</em>" in html


def test_facet_links_add_and_remove_a_filter(client, app_ctx) -> None:
    records = sample_records(30, seed=8)
    import_records(records)
    _refresh(app_ctx)
    city = records[0]["city_code"]
    html = _html(client.get("/search", query_string={"city": city}))
    n = sum(1 for r in records if r["city_code"] == city)
    assert f"共 {n} 条结果" in html
    # the chosen filter is shown with a link that removes it
    assert 'aria-label="移除筛选 地市' in html
    assert (
        re.search(r'href="/search(\?type=enterprise)?"[^>]*aria-current="true"', html)
        or 'href="/search?type=enterprise"' in html
    )
    # and every other city's link adds to it (OR within the facet)
    other = next(r["city_code"] for r in records if r["city_code"] != city)
    both = _html(client.get("/search", query_string=[("city", city), ("city", other)]))
    m = sum(1 for r in records if r["city_code"] in {city, other})
    assert f"共 {m} 条结果" in both


def test_paging_links_and_the_cursor_for_deep_pages(client, app_ctx, monkeypatch) -> None:
    import_records(sample_records(45, seed=12))
    _refresh(app_ctx)
    first = _html(client.get("/search", query_string={"sort": "score"}))
    assert "共 45 条结果" in first and "page=2" in first and 'rel="prev"' not in first
    second = _html(client.get("/search", query_string={"sort": "score", "page": 2}))
    assert 'rel="prev"' in second and "page=3" in second
    third = _html(client.get("/search", query_string={"sort": "score", "page": 3}))
    assert 'rel="next"' not in third

    # Past the offset limit the next link carries the API's next_cursor.
    import api.pages.public as pages

    monkeypatch.setattr(pages, "MAX_OFFSET", 20)
    page1 = _html(client.get("/search", query_string={"sort": "score"}))
    link = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', page1)
    assert link, "expected a cursor link"
    deep = client.get(link.group(1).replace("&amp;", "&"))
    assert deep.status_code == 200
    uscc_re = re.compile(r"统一社会信用代码 ([0-9A-Z]{18})")
    assert set(uscc_re.findall(_html(deep))).isdisjoint(uscc_re.findall(page1))


def test_empty_state_suggests_what_to_try(client, app_ctx) -> None:
    import_records(sample_records(3))
    _refresh(app_ctx)
    html = _html(client.get("/search", query_string={"q": "完全不存在的名字"}))
    assert "没有找到" in html and "减少关键词" in html and "检查错别字" in html
    assert 'href="/uscc"' in html
    code = uscc.complete("9132050000000099")
    html = _html(client.get("/search", query_string={"q": code}))
    assert f"/uscc?code={code}" in html
    en = _html(client.get("/search", query_string={"q": "完全不存在的名字", "lang": "en"}))
    assert "use fewer words" in en


def test_bad_parameters_are_a_400_page_listing_what_to_fix(client) -> None:
    r = client.get("/search", query_string={"grade": "ZZZ", "industry": "nothing"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    html = _html(r)
    assert "<code>grade</code>" in html and "<code>industry</code>" in html
    assert "请修改以下内容" in html
    r = client.get("/search", query_string={"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert r.status_code == 400 and "<code>date_to</code>" in _html(r)
    assert client.get("/search", query_string={"type": "shops"}).status_code == 400
    assert client.get("/search", query_string={"page": "0"}).status_code == 400


def test_exact_uscc_goes_straight_to_the_profile(client, app_ctx) -> None:
    rec = sample_records(1, seed=3)[0]
    import_records([rec])
    _refresh(app_ctx)
    for q in (rec["uscc"], rec["uscc"].lower()):
        r = client.get("/search", query_string={"q": q})
        assert r.status_code == 302 and r.headers["Location"].endswith(
            f"/enterprises/{rec['uscc']}"
        ), q


def test_search_backend_down_is_a_friendly_503(app_config) -> None:
    from tests.conftest import make_app

    broken = make_app({**app_config, "SEARCH_URL": "http://127.0.0.1:9"})
    client = broken.test_client()
    r = client.get("/search", query_string={"q": "苏州"})
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "搜索服务暂不可用" in _html(r) and "Traceback" not in _html(r)
    assert r.headers["Retry-After"]
    home = client.get("/")  # the latest records come from the database, not search
    assert home.status_code == 200 and "最新公示的信用承诺" in _html(home)


# -- profile ------------------------------------------------------------------------------
def test_profile_shows_every_section(client, record) -> None:
    parties, _, violation = record
    r = client.get(f"/enterprises/{parties.owner_uscc}")
    assert r.status_code == 200
    html = _html(r)
    ent = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    rating = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating").get_json()
    assert ent["name"] in html and parties.owner_uscc in html
    assert f'class="grade tier-{rating["tier"]}">{rating["grade"]}</span>' in html
    assert "加分因素" in html and "减分因素" in html
    assert rating["lowered"][0]["text"] in html  # the top reason that lowered it
    assert "评价历史" in html and "<table>" in html
    # violation: severity, category, authority, decision number, dates, publicity end
    assert "苏市监罚〔2026〕7788号" in html and "刷单炒信" in html and "一般" in html
    assert "辖区内监管局" in html and violation.publish_until.isoformat() in html
    assert f"最晚于 {violation.publish_until.isoformat()} 结束" in html
    # pledge with its clauses, kept/breached
    assert "电子商务经营者诚信经营承诺书" in html and "不虚构交易" in html
    assert "违诺" in html and "已违反" in html
    assert "张*明" in html and "张三明" not in html  # the signer is masked
    assert "江苏省电子商务示范企业" in html
    for shop in ent["shops"]:
        assert shop["shop_name"] in html
    assert f"/enterprises/{parties.owner_uscc}/report" in html
    _assert_csp_clean(html)

    en = _html(client.get(f"/enterprises/{parties.owner_uscc}?lang=en"))
    assert "What raised it" in en and "What lowered it" in en and "Integrity pledges" in en
    assert "fake orders and reviews" in en and "breached" in en


def test_history_chart_is_accessible_svg(client, frozen_clock, record) -> None:
    parties = record[0]
    frozen_clock.advance(86400)  # the chart draws one point per day
    make_violation(parties, days_ago=5)  # a second rating result, the next day
    html = _html(client.get(f"/enterprises/{parties.owner_uscc}"))
    assert re.search(r'<svg viewBox="0 0 \d+ \d+" role="img" aria-labelledby="hist-t hist-d"', html)
    assert '<title id="hist-t">信用分变化</title>' in html and '<desc id="hist-d">' in html
    assert "评价历史数据表" in html


def test_profile_of_an_invalid_or_unknown_code_is_404(client, record) -> None:
    assert client.get("/enterprises/123").status_code == 404
    assert client.get("/enterprises/91320500000000009X").status_code == 404
    unknown = uscc.complete("9132050000000098")
    r = client.get(f"/enterprises/{unknown}")
    assert r.status_code == 404 and r.mimetype == "text/html" and "未找到" in _html(r)
    lower = client.get(f"/enterprises/{record[0].owner_uscc.lower()}")
    assert lower.status_code == 301


def test_profile_hides_what_is_not_public(client, record) -> None:
    parties = record[0]
    minor = make_violation(parties, severity="minor", decision_number="苏市监罚〔2026〕1111号")
    html = _html(client.get(f"/enterprises/{parties.owner_uscc}"))
    assert minor.decision_number not in html
    assert "customer_service" not in html


# -- report and verification --------------------------------------------------------------
def _report_no(html: str) -> str:
    return re.search(r"<strong>(JSCR\d{8}[0-9A-F]{12})</strong>", html).group(1)


def test_report_is_printable_with_number_qr_and_verify_link(client, record) -> None:
    parties = record[0]
    r = client.get(f"/enterprises/{parties.owner_uscc}/report")
    assert r.status_code == 200
    html = _html(r)
    number = _report_no(html)
    assert "企业信用报告" in html and "生成时间" in html and catalog().current in html
    assert f"/verify/{number}" in html
    assert 'src="data:image/svg+xml' in html  # the QR code, allowed by img-src data:
    assert "另存为 PDF" in html and "/assets/report.js" in html
    assert "苏市监罚〔2026〕7788号" in html  # the same record as the profile
    _assert_csp_clean(html)
    # Asking again with nothing changed: the same report, no new row.
    again = _html(client.get(f"/enterprises/{parties.owner_uscc}/report"))
    assert _report_no(again) == number
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditReport)) == 1
    en = _html(client.get(f"/enterprises/{parties.owner_uscc}/report?lang=en"))
    assert "Enterprise credit report" in en and _report_no(en) == number


def test_verify_confirms_and_shows_changes_since(client, record) -> None:
    parties = record[0]
    number = _report_no(_html(client.get(f"/enterprises/{parties.owner_uscc}/report")))
    ok = client.get(f"/verify/{number}")
    assert ok.status_code == 200
    html = _html(ok)
    assert "报告真实有效" in html and "没有变化" in html
    # A new violation after the report: the verification shows it and the new grade.
    make_violation(
        parties, severity="serious", days_ago=2, decision_number="苏市监罚〔2026〕9900号"
    )
    html = _html(client.get(f"/verify/{number}"))
    assert "报告真实有效" in html and "报告出具后的变化" in html
    assert "新增记录" in html and "苏市监罚〔2026〕9900号" in html
    assert "没有变化" not in html
    rating = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating").get_json()
    assert f"→ {rating['grade']} ({rating['score']})" in html
    # a fresh report now has another number
    assert _report_no(_html(client.get(f"/enterprises/{parties.owner_uscc}/report"))) != number
    en = _html(client.get(f"/verify/{number}?lang=en"))
    assert "This report is genuine" in en and "Records added" in en


def test_verify_unknown_or_malformed_number_is_404(client, record) -> None:
    assert client.get("/verify/JSCR20260101ABCDEF123456").status_code == 404
    assert client.get("/verify/not-a-report").status_code == 404
    form = client.get("/verify")
    assert form.status_code == 200
    _assert_fields_labelled(_html(form))
    r = client.get("/verify", query_string={"no": "jscr20260101abcdef123456"})
    assert r.status_code == 302 and r.headers["Location"].endswith(
        "/verify/JSCR20260101ABCDEF123456"
    )


def test_report_issuing_is_rate_limited(client, record, clean_app, monkeypatch) -> None:
    monkeypatch.setitem(clean_app.config, "CREDIT_RATELIMIT_REPORT", "2 per minute")
    url = f"/enterprises/{record[0].owner_uscc}/report"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


# -- statistics ---------------------------------------------------------------------------
def test_statistics_charts_with_tables_in_both_languages(client, record) -> None:
    parties = record[0]
    html = _html(client.get("/stats"))
    assert "信用信息统计" in html and "份有效信用承诺" in html
    assert html.count('role="img"') >= 6 and html.count("<table>") >= 6
    assert "<title id=" in html and "<desc id=" in html
    month = clock.today().strftime("%Y-%m")
    assert month in html and "刷单炒信" in html
    city = next(iter(x for x in [parties.owner_city]))
    from credit.regions import city_name

    assert city_name(city) in html
    _assert_csp_clean(html)
    assert "（北京时间）" in html and " UTC<" not in html
    en = _html(client.get("/stats?lang=en"))
    assert "Credit statistics" in en and "Merchants by grade" in en
    assert "fake orders and reviews" in en
    assert "(Beijing time, UTC+8)" in en


def test_statistics_are_cached_not_recomputed_per_request(client, record) -> None:
    from credit.identity import ANONYMOUS

    before = registry.public_statistics(ANONYMOUS)
    make_violation(record[0], days_ago=1)
    assert registry.public_statistics(ANONYMOUS) is before  # served from the cache
    registry.clear_statistics_cache()
    after = registry.public_statistics(ANONYMOUS)
    assert after["violations_public"] == before["violations_public"] + 1


# -- USCC check ---------------------------------------------------------------------------
def test_uscc_check_server_side(client, record) -> None:
    page = client.get("/uscc")
    assert page.status_code == 200 and "/assets/uscc.js" in _html(page)
    _assert_fields_labelled(_html(page))
    good = _html(client.get("/uscc", query_string={"code": record[0].owner_uscc}))
    assert "代码有效" in good and f"/enterprises/{record[0].owner_uscc}" in good
    bad = record[0].owner_uscc[:17] + ("0" if record[0].owner_uscc[17] != "0" else "1")
    html = _html(client.get("/uscc", query_string={"code": bad}))
    assert "代码无效" in html and "第 18 位" in html
    assert "check_18" not in html  # the fault's code is for programs, not for people
    short = _html(client.get("/uscc", query_string={"code": "9132", "lang": "en"}))
    assert "Invalid code" in short and "must be 18 characters" in short
    outside = _html(client.get("/uscc", query_string={"code": "91110000600037341L", "lang": "zh"}))
    assert "代码有效" in outside and "不是江苏省的代码" in outside and "未登记" in outside


def test_every_page_labels_its_fields_and_has_no_inline_code(client, record) -> None:
    parties = record[0]
    number = _report_no(_html(client.get(f"/enterprises/{parties.owner_uscc}/report")))
    for path in (
        "/",
        "/search?q=公司",
        "/search?type=violation",
        "/search?type=pledge",
        f"/enterprises/{parties.owner_uscc}",
        f"/verify/{number}",
        "/verify",
        "/stats",
        "/uscc?code=123",
        f"/enterprises/{parties.owner_uscc}/report",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        _assert_fields_labelled(_html(r))
        _assert_csp_clean(_html(r))
        assert 'lang="zh-CN"' in _html(r)


def test_a_tampered_snapshot_is_not_confirmed(client, record) -> None:
    number = _report_no(_html(client.get(f"/enterprises/{record[0].owner_uscc}/report")))
    row = db.session.get(CreditReport, number)
    row.snapshot = {**row.snapshot, "rating": {**row.snapshot["rating"], "grade": "AAA"}}
    db.session.commit()
    html = _html(client.get(f"/verify/{number}"))
    assert "报告内容与存档不符" in html and "报告真实有效" not in html


def test_violation_and_pledge_results(client, record) -> None:
    parties = record[0]
    html = _html(client.get("/search", query_string={"type": "violation", "q": "7788"}))
    assert "<em>7788</em>" in html and "刷单炒信" in html and "一般" in html
    assert "category=fake_orders" in html and "severity=general" in html  # facet links
    assert "辖区内监管局" in html
    html = _html(client.get("/search", query_string={"type": "pledge", "q": parties.owner_uscc}))
    assert "电子商务经营者诚信经营承诺书" in html and "违诺" in html
    assert "category=voluntary_public" in html
    en = _html(client.get("/search", query_string={"type": "violation", "q": "7788", "lang": "en"}))
    assert "fake orders and reviews" in en and "Decision no." in en
