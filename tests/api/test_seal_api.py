"""The credit seal over the application: the standing API's ``seal``, the published rules,
and the image ``/seal/{uscc}.svg`` (headers, caching, escaping, errors, freshness).
``tests/live/test_seal.py`` checks the same over the real server."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import pytest

from credit import clock
from tests.helpers import import_records, sample_records
from tests.parties import bearer, client_token, make_parties, make_pledge, valid_code_like

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def parties(app_ctx):
    return make_parties()


@pytest.fixture
def eligible(parties):
    make_pledge(parties.owner_uscc, publish=True)
    return parties


def violation_body(parties, severity: str = "serious") -> dict:
    return {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": severity,
        "decision_number": f"苏市监罚〔2026〕{secrets.randbelow(10**6)}号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": clock.today().isoformat(),
    }


def _texts(body: bytes) -> str:
    root = ET.fromstring(body)  # well-formed XML, or this raises
    assert root.tag == f"{SVG_NS}svg"
    return " ".join("".join(e.itertext()) for e in root.iter(f"{SVG_NS}text"))


def assert_static_svg(body: bytes) -> None:
    """No script, no event handler, no external reference, no foreignObject."""
    root = ET.fromstring(body)
    for element in root.iter():
        tag = element.tag.split("}")[-1].lower()
        assert tag not in {"script", "foreignobject", "image", "use", "a", "iframe"}, tag
        for name, value in element.attrib.items():
            local = name.split("}")[-1].lower()
            assert not local.startswith("on"), name
            assert local != "href", name
            assert "url(" not in value and "javascript:" not in value.lower(), (name, value)
    text = body.decode()
    assert "<script" not in text.lower() and "<!doctype" not in text.lower()


# -- the standing API -------------------------------------------------------------------------
def test_standing_keeps_its_fields_and_adds_the_seal(client, eligible) -> None:
    r = client.get(f"/api/v1/enterprises/{eligible.owner_uscc}/standing")
    assert r.status_code == 200
    body = r.get_json()
    assert body["serious_list"] == [] and body["commendations"] == []
    s = body["seal"]
    assert s["eligible"] is True and s["reasons"] == []
    assert s["grade"] and s["tier"] in {"A", "B"}
    assert s["pledge_state"] == "in_force"
    assert s["since"] == s["checked_on"] == clock.today().isoformat()
    assert s["profile_url"] == f"http://localhost/enterprises/{eligible.owner_uscc}"
    assert s["seal_url"] == f"http://localhost/seal/{eligible.owner_uscc}.svg"
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_standing_names_each_failed_rule_in_both_languages(client, parties) -> None:
    s = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/standing").get_json()["seal"]
    assert s["eligible"] is False and s["since"] is None
    assert [r["code"] for r in s["reasons"]] == ["pledge_in_force"]
    assert "承诺" in s["reasons"][0]["text"] and "pledge" in s["reasons"][0]["text_en"]
    assert s["pledge_state"] == "none"


def test_standing_errors_are_problems_readable_cross_origin(client, parties) -> None:
    bad = client.get(f"/api/v1/enterprises/{parties.owner_uscc[:-1]}I/standing")
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    assert {e["field"] for e in bad.get_json()["errors"]} == {"uscc"}
    assert bad.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"/api/v1/enterprises/{valid_code_like()}/standing").status_code == 404


def test_the_rules_are_published_with_reasons(client) -> None:
    r = client.get("/api/v1/seal-rules")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    doc = r.get_json()
    codes = [rule["code"] for rule in doc["rules"]]
    assert codes == [
        "registration_active",
        "pledge_in_force",
        "pledge_kept",
        "no_serious_record",
        "not_on_serious_list",
        "grade_not_tier_c",
    ]
    for rule in doc["rules"]:
        assert rule["reason"] and rule["reason_en"] and rule["cite"]
        for c in rule["cite"]:
            assert c["source"] in doc["sources"]


def test_the_openapi_document_describes_the_seal(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/seal-rules" in spec["paths"]
    image = spec["paths"]["/seal/{uscc}.svg"]["get"]
    assert "image/svg+xml" in image["responses"]["200"]["content"]
    assert {p["name"] for p in image["parameters"]} == {"uscc", "theme", "lang", "If-None-Match"}
    standing = spec["components"]["schemas"]["Standing"]["properties"]
    assert "seal" in standing and {"serious_list", "commendations"} <= set(standing)
    seal_schema = spec["components"]["schemas"]["Seal"]["properties"]
    assert {"eligible", "reasons", "grade", "pledge_state", "since", "profile_url", "seal_url"} <= (
        set(seal_schema)
    )


# -- the image --------------------------------------------------------------------------------
def test_the_seal_of_an_eligible_firm(client, eligible) -> None:
    r = client.get(f"/seal/{eligible.owner_uscc}.svg")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert r.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in r.headers
    etag = r.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert_static_svg(r.data)
    text = _texts(r.data)
    grade = client.get(f"/api/v1/enterprises/{eligible.owner_uscc}/standing").get_json()["seal"][
        "grade"
    ]
    assert "江苏省电子商务信用公共服务平台" in text
    assert f"诚信经营 · {grade}" in text
    assert f"核验日期 {clock.today().isoformat()}" in text


def test_english_and_dark_are_other_images_and_set_no_cookie(client, eligible) -> None:
    url = f"/seal/{eligible.owner_uscc}.svg"
    light = client.get(url)
    en = client.get(url, query_string={"lang": "en"})
    dark = client.get(url, query_string={"theme": "dark", "lang": "en"})
    assert "In good standing" in _texts(en.data) and "Checked" in _texts(en.data)
    assert len({light.headers["ETag"], en.headers["ETag"], dark.headers["ETag"]}) == 3
    assert "#161b22" in dark.get_data(as_text=True)
    for r in (light, en, dark):
        assert "Set-Cookie" not in r.headers
        assert_static_svg(r.data)


def test_a_signed_in_visitors_cookie_keeps_the_seal_public(client, eligible, clean_app) -> None:
    client.set_cookie(clean_app.config["SESSION_COOKIE_NAME"], "anything")
    client.set_cookie("lang", "en")
    r = client.get(f"/seal/{eligible.owner_uscc}.svg", headers={"Authorization": "Bearer x"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in r.headers
    assert "核验日期" in _texts(r.data)  # the URL decides the language, not the cookie


def test_304_on_a_matching_if_none_match(client, eligible) -> None:
    url = f"/seal/{eligible.owner_uscc}.svg"
    etag = client.get(url).headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get(url, headers={"If-None-Match": sent})
        assert r.status_code == 304, sent
        assert r.data == b""
        assert r.headers["ETag"] == etag
        assert r.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_not_eligible_firm_gets_the_neutral_image(client, parties) -> None:
    r = client.get(f"/seal/{parties.owner_uscc}.svg")
    assert r.status_code == 200
    text = _texts(r.data)
    assert "未获诚信标识 · 查看信用信息" in text and "诚信经营" not in text
    assert_static_svg(r.data)


def test_the_seal_changes_on_the_next_request_after_a_serious_record(client, eligible) -> None:
    url = f"/seal/{eligible.owner_uscc}.svg"
    before = client.get(url)
    assert "诚信经营" in _texts(before.data)
    reg = bearer(client_token(client, eligible.clients["reg_in"]))
    r = client.post("/api/v1/violations", json=violation_body(eligible), headers=reg)
    assert r.status_code == 201, r.get_data(as_text=True)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "未获诚信标识" in _texts(after.data)
    s = client.get(f"/api/v1/enterprises/{eligible.owner_uscc}/standing").get_json()["seal"]
    assert "no_serious_record" in [x["code"] for x in s["reasons"]]


def test_the_firms_name_is_text_never_markup(client, app_ctx) -> None:
    record = {**sample_records(1, seed=77)[0], "name": '<script>&"诚信"</script>网店 A&B "x"'}
    import_records([record])
    r = client.get(f"/seal/{record['uscc']}.svg")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<script" not in body and "&lt;script&gt;" in body and "&amp;" in body
    root = ET.fromstring(r.data)
    title = root.find(f"{SVG_NS}title").text
    assert record["name"] in title  # parsed back: exactly the name, as text
    assert_static_svg(r.data)


def test_a_long_name_is_shortened_on_the_image_and_whole_in_its_title(client, app_ctx) -> None:
    record = {**sample_records(1, seed=78)[0], "name": "江苏" + "超长名称" * 12 + "有限公司"}
    import_records([record])
    r = client.get(f"/seal/{record['uscc']}.svg")
    texts = [e.text for e in ET.fromstring(r.data).iter(f"{SVG_NS}text")]
    assert any(t.endswith("…") and len(t) <= 16 for t in texts), texts
    assert record["name"] in ET.fromstring(r.data).find(f"{SVG_NS}title").text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"theme": "pink"}, "theme"),
        ({"lang": "fr"}, "lang"),
        ({"theme": ["light", "dark"]}, "theme"),
        ({"color": "red"}, "color"),
        ({"lang": "z\x00h"}, "lang"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(client, parties, query, field) -> None:
    r = client.get(f"/seal/{parties.owner_uscc}.svg", query_string=query)
    assert r.status_code == 400
    assert r.content_type == "application/problem+json"
    assert field in {e["field"] for e in r.get_json()["errors"]}
    assert "Set-Cookie" not in r.headers


def test_an_invalid_code_is_400_naming_the_position_and_an_unknown_one_404(client) -> None:
    r = client.get("/seal/91110000600037341M.svg")
    assert r.status_code == 400 and r.content_type == "application/problem+json"
    errors = r.get_json()["errors"]
    assert errors and {e["field"] for e in errors} == {"uscc"}
    assert any("18" in e["message"] for e in errors), errors
    r = client.get(f"/seal/{valid_code_like()}.svg")
    assert r.status_code == 404 and r.content_type == "application/problem+json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_the_seal_is_rate_limited_per_address(client, eligible, clean_app, monkeypatch) -> None:
    monkeypatch.setitem(clean_app.config, "CREDIT_RATELIMIT_SEAL", "2 per minute")
    url = f"/seal/{eligible.owner_uscc}.svg"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
