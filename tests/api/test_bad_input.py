"""Bad input is a 4xx problem+json with the field named, never a 500 (issue 14, item 5):
deep or mistyped JSON, control characters in any text, malformed headers.

The same over the real server (raw bytes, gunicorn's latin-1 headers, concurrency) is in
``tests/live/test_bad_input.py``; these tests pin the rules route by route."""

from __future__ import annotations

import base64
import json

import pytest

from tests.parties import (
    bearer,
    client_token,
    make_parties,
    make_pledge,
    pledge_body,
    seed_templates,
)


@pytest.fixture
def parties(app_ctx):
    return make_parties()


@pytest.fixture
def owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


def _problem(r, status: int = 400) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    return r.get_json()


def _fields(body: dict) -> dict[str, str]:
    return {e["field"]: e.get("code", "") for e in body.get("errors") or []}


# -- JSON depth and shape -------------------------------------------------------------------
@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deep_json_is_400_naming_the_body(client, depth: int) -> None:
    body = '{"codes": ' + "[" * depth + "]" * depth + "}"
    r = client.post("/api/v1/uscc/batch-check", data=body, content_type="application/json")
    problem = _problem(r)
    assert _fields(problem) == {"body": "too_deep"}
    assert problem["errors"][0]["location"] == "body"


def test_json_within_the_depth_bound_reaches_the_schema(client) -> None:
    body = '{"codes": ' + "[" * 30 + "]" * 30 + "}"
    r = client.post("/api/v1/uscc/batch-check", data=body, content_type="application/json")
    assert "body" not in _fields(_problem(r))  # the schema's own per-field error instead


@pytest.mark.parametrize("body", ["[]", '"codes"', "1", "null", "true", "[{}]", '[["x"]]'])
def test_every_json_route_refuses_the_wrong_top_level_type(client, owner, body: str) -> None:
    """Valid JSON that is not an object, on every route that takes a JSON body, with a
    token that gets the enterprise routes past authentication."""
    routes = [
        r
        for r in client.application.url_map.iter_rules()
        if r.rule.startswith("/api/") and r.methods & {"POST", "PATCH"}
    ]
    assert len(routes) > 15
    for rule in routes:
        url = rule.rule.replace("<string:", "<").replace("<uscc>", "913205000000000000")
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "x")
        method = "PATCH" if "PATCH" in rule.methods else "POST"
        r = client.open(
            url, method=method, data=body, content_type="application/json", headers=owner
        )
        assert r.status_code < 500, (method, url, r.get_data(as_text=True))
        assert r.content_type == "application/problem+json", (method, url)
    r = client.post("/api/v1/uscc/batch-check", data=body, content_type="application/json")
    _problem(r)


def test_body_not_in_utf8_is_400(client) -> None:
    r = client.post(
        "/api/v1/uscc/batch-check",
        data='{"codes": ["苏州"]}'.encode("gb18030"),
        content_type="application/json; charset=gb18030",
    )
    assert _fields(_problem(r)) == {"body": "encoding"}


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "latin-1", "utf-16", "x-unknown", "é"])
def test_odd_charset_parameters_do_not_matter_for_utf8_json(client, charset: str) -> None:
    r = client.post(
        "/api/v1/uscc/batch-check",
        data=json.dumps({"codes": ["91320500MA1XXXXX0X"]}).encode(),
        content_type=f"application/json; charset={charset}",
    )
    assert r.status_code == 200, r.get_data(as_text=True)


# -- control characters ---------------------------------------------------------------------
def test_nul_in_pledge_fields_is_400_per_field(client, owner, parties) -> None:
    template = seed_templates()["ECOM-STD"]
    body = pledge_body(
        template, signer_name="张\x00三", extra_commitments=["48 小时发货", "七天\x00无理由"]
    )
    problem = _problem(client.post("/api/v1/pledges", json=body, headers=owner))
    assert set(_fields(problem)) == {"signer_name", "extra_commitments.1"}
    assert set(_fields(problem).values()) == {"control_character"}


def test_lone_surrogate_is_400(client, owner, parties) -> None:
    template = seed_templates()["ECOM-STD"]
    raw = json.dumps(pledge_body(template, signer_title="总经\ud800理"))  # "\ud800" escaped
    problem = _problem(
        client.post("/api/v1/pledges", data=raw, content_type="application/json", headers=owner)
    )
    assert set(_fields(problem)) == {"signer_title"}


def test_line_breaks_only_where_text_may_have_several_lines(client, owner, parties) -> None:
    template = seed_templates()["ECOM-STD"]
    problem = _problem(
        client.post(
            "/api/v1/pledges", json=pledge_body(template, signer_name="张\n三"), headers=owner
        )
    )
    assert set(_fields(problem)) == {"signer_name"}
    pledge = make_pledge(parties.owner_uscc, publish=True)
    r = client.post(
        f"/api/v1/pledges/{pledge.id}/withdraw",
        json={"reason": "停止经营。\r\n店铺已关闭。"},
        headers={**owner, "If-Match": f'"{pledge.version}"'},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["withdrawal_reason"] == "停止经营。\r\n店铺已关闭。"


@pytest.mark.parametrize(
    ("url", "field", "location"),
    [
        ("/api/v1/search?q=%E8%8B%8F%00%E5%B7%9E", "q", "query"),
        ("/api/v1/search?q=x&city=3205%0000", "city", "query"),
        ("/api/v1/suggest?q=%1b%5b31m", "q", "query"),
        ("/api/v1/pledges/abc%00def", "pledge_id", "path"),
        ("/api/v1/uscc/91320%00", "code", "path"),
        ("/api/v1/enterprises/91320%00/violations", "uscc", "path"),
        ("/search?q=%00", "q", "query"),
        ("/uscc?code=%00", "code", "query"),
    ],
)
def test_nul_in_query_and_path_is_400(client, url: str, field: str, location: str) -> None:
    r = client.get(url, headers={"Accept": "application/json"})
    assert r.status_code == 400, r.get_data(as_text=True)
    if r.content_type == "application/problem+json":
        errors = r.get_json()["errors"]
        assert [(e["field"], e["location"]) for e in errors] == [(field, location)]
    else:  # a page: the HTML error page names the field
        assert r.mimetype == "text/html" and field in r.get_data(as_text=True)


def test_whitespace_pasted_into_the_search_box_is_just_whitespace(client) -> None:
    for q in ("苏州\t食品", "苏州\r\n食品"):
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
        assert client.get("/api/v1/suggest", query_string={"q": q}).status_code == 200
        assert client.get("/search", query_string={"q": q}).status_code == 200
    # ... but not where a value is one line: a filter, a path parameter.
    r = client.get("/api/v1/pledges", query_string={"template": "ECOM\tSTD"})
    assert _fields(_problem(r)) == {"template": ""}
    r = client.get("/api/v1/pledges/abc%09def")
    assert _fields(_problem(r)) == {"pledge_id": "control_character"}


def test_nul_in_form_fields_is_400(client, parties) -> None:
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"},
    )
    assert _fields(_problem(r)) == {"client_id": "control_character"}
    # A console form (the sign-in page): the same refusal, as the HTML error page.
    r = client.post("/login", data={"username": "staff\x00-a", "password": "x", "csrf": "x"})
    assert r.status_code == 400 and "username" in r.get_data(as_text=True)


# -- headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ['"\u00b2"', '"\u0663"', '"x"', "*", '"1", "2"', '"', "3 4", ""])
def test_malformed_if_match_is_400_naming_the_header(client, owner, parties, value: str) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    r = client.post(
        f"/api/v1/pledges/{pledge.id}/withdraw",
        json={"reason": "停止经营"},
        headers={**owner, "If-Match": value},
    )
    problem = _problem(r)
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [("If-Match", "header")]


def test_well_formed_if_match_still_decides(client, owner, parties) -> None:
    pledge = make_pledge(parties.owner_uscc, publish=True)
    url = f"/api/v1/pledges/{pledge.id}/withdraw"
    stale = client.post(url, json={"reason": "停止经营"}, headers={**owner, "If-Match": '"999"'})
    assert stale.status_code == 412
    r = client.post(
        url, json={"reason": "停止经营"}, headers={**owner, "If-Match": f'W/"{pledge.version}"'}
    )
    assert r.status_code == 200, r.get_data(as_text=True)


def test_non_ascii_idempotency_key_is_400_naming_the_header(client, owner, parties) -> None:
    template = seed_templates()["ECOM-STD"]
    r = client.post(
        "/api/v1/pledges",
        json=pledge_body(template),
        headers={**owner, "Idempotency-Key": "订单-42"},
    )
    assert _fields(_problem(r)) == {"Idempotency-Key": "invalid"}


@pytest.mark.parametrize("token", ["é", "令牌", "abc\u00a0def", "Basic xyz"])
def test_non_ascii_bearer_is_401(client, token: str) -> None:
    r = client.get("/api/v1/regulator/objections", headers={"Authorization": f"Bearer {token}"})
    _problem(r, 401)
    assert r.headers["WWW-Authenticate"].isascii()


@pytest.mark.parametrize(
    "credentials",
    [
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
        "Basic \u00e9\u00e9",  # not ASCII (gunicorn's latin-1 text)
        "Basic !!!",  # not base64
    ],
)
def test_malformed_basic_credentials_are_invalid_client(client, credentials: str) -> None:
    for path in ("/oauth/token", "/oauth/revoke", "/oauth/introspect"):
        r = client.post(
            path,
            data={"grant_type": "client_credentials", "token": "x"},
            headers={"Authorization": credentials},
        )
        assert r.status_code == 401, (path, r.get_data(as_text=True))
        assert r.get_json()["error"] == "invalid_client"
        assert r.headers["WWW-Authenticate"].startswith("Basic")
