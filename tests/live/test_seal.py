"""The credit seal over the real server (gunicorn on loopback, issue 16).

What only the server shows: the headers as a browser embedding the image receives them
(type, caching, ETag and 304, nosniff, the SVG's own CSP, cross-origin resource policy,
CORS, never a cookie), the image changing on the next request after a regulator records a
serious violation through the API, the firm's name escaped in a well-formed SVG, and the
errors as problem+json with ASCII headers.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import pytest

from credit import clock
from tests.api.test_seal_api import SVG_NS, assert_static_svg
from tests.helpers import import_records, sample_records
from tests.parties import make_parties, make_pledge, valid_code_like

SEAL_HEADERS = {
    "Content-Type": "image/svg+xml; charset=utf-8",
    "Cache-Control": "public, max-age=60",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
}


@pytest.fixture
def eligible(app_ctx):
    parties = make_parties()
    make_pledge(parties.owner_uscc, publish=True)
    return parties


def token(live, client) -> dict[str, str]:
    r = live.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=client.basic())
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def texts(body: bytes) -> str:
    root = ET.fromstring(body)
    return " ".join("".join(e.itertext()) for e in root.iter(f"{SVG_NS}text"))


def ascii_headers(r) -> None:
    for name, value in r.raw.headers.items():
        assert value.isascii(), (name, value)


def test_the_seal_as_embedded_then_changed_by_a_serious_record(live, eligible) -> None:
    url = f"/seal/{eligible.owner_uscc}.svg"
    first = live.get(url)
    assert first.status_code == 200, first.text
    for name, value in SEAL_HEADERS.items():
        assert first.headers[name] == value, name
    assert "Set-Cookie" not in first.headers
    ascii_headers(first)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    assert_static_svg(first.content)
    assert "诚信经营" in texts(first.content)
    assert f"核验日期 {clock.today()}" in texts(first.content)

    again = live.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in again.headers

    reg = token(live, eligible.clients["reg_in"])
    recorded = live.post(
        "/api/v1/violations",
        json={
            "uscc": eligible.owner_uscc,
            "category": "fake_orders",
            "severity": "serious",
            "decision_number": f"苏市监罚〔2026〕{secrets.randbelow(10**6)}号",
            "legal_basis": "《中华人民共和国电子商务法》第十七条",
            "facts": "组织虚假交易、编造用户评价",
            "penalty_type": "fine",
            "penalty_amount": 200000,
            "decision_date": clock.today().isoformat(),
        },
        headers=reg,
    )
    assert recorded.status_code == 201, recorded.text

    after = live.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200  # the old tag no longer matches: a new image
    assert after.headers["ETag"] != etag
    assert "未获诚信标识" in texts(after.content) and "诚信经营" not in texts(after.content)
    assert_static_svg(after.content)
    standing = live.get(f"/api/v1/enterprises/{eligible.owner_uscc}/standing")
    assert standing.headers["Access-Control-Allow-Origin"] == "*"
    seal = standing.json()["seal"]
    assert seal["eligible"] is False and seal["since"] is None
    assert "no_serious_record" in [r["code"] for r in seal["reasons"]]
    assert seal["profile_url"] == f"{live.url}/enterprises/{eligible.owner_uscc}"
    assert seal["seal_url"] == f"{live.url}{url}"


def test_no_cookie_and_one_public_answer_whatever_comes_along(live, eligible) -> None:
    url = f"/seal/{eligible.owner_uscc}.svg"
    for params, cookies in (
        ({"lang": "en"}, {}),
        ({"theme": "dark", "lang": "en"}, {"session": "x", "lang": "zh"}),
    ):
        r = live.get(url, params=params, cookies=cookies, headers={"Authorization": "Bearer x"})
        assert r.status_code == 200
        assert "Set-Cookie" not in r.headers
        assert r.headers["Cache-Control"] == "public, max-age=60"
        assert "In good standing" in texts(r.content)
    assert len(live.http.cookies) == 0


def test_the_firms_name_is_escaped_in_well_formed_svg(live, app_ctx) -> None:
    name = '<script>alert(1)</script> & "诚信" 网店'
    record = {**sample_records(1, seed=91)[0], "name": name}
    import_records([record])
    r = live.get(f"/seal/{record['uscc']}.svg")
    assert r.status_code == 200
    body = r.text
    assert "<script" not in body and "&lt;script&gt;" in body and "&amp;" in body
    root = ET.fromstring(r.content)
    assert name in root.find(f"{SVG_NS}title").text
    assert_static_svg(r.content)


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/seal/{uscc}.svg", {"theme": "neon"}, 400, "theme"),
        ("/seal/{uscc}.svg", {"lang": "de"}, 400, "lang"),
        ("/seal/{uscc}.svg", {"size": "big"}, 400, "size"),
        ("/seal/91110000600037341M.svg", {}, 400, "uscc"),
        ("/seal/{unknown}.svg", {}, 404, None),
    ],
)
def test_errors_are_problems_with_ascii_headers(live, eligible, path, params, status, field):
    url = path.format(uscc=eligible.owner_uscc, unknown=valid_code_like())
    r = live.get(url, params=params, headers={"Accept": "image/avif,image/webp,*/*"})
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert "Set-Cookie" not in r.headers
    ascii_headers(r)
    body = r.json()
    if field:
        assert field in {e["field"] for e in body["errors"]}


def test_the_rules_and_the_rules_page_over_http(live) -> None:
    rules = live.get("/api/v1/seal-rules")
    assert rules.status_code == 200 and rules.headers["Access-Control-Allow-Origin"] == "*"
    assert len(rules.json()["rules"]) == 6
    page = live.get("/seal")
    assert page.status_code == 200 and "诚信标识规则" in page.text
    ascii_headers(page)


@pytest.mark.parametrize("path", ["/api/v1/enterprises/{uscc}/standing", "/seal/{uscc}.svg"])
def test_a_browser_preflight_from_another_origin(live, eligible, path) -> None:
    """What a shop page on another site sends before reading the standing with fetch():
    OPTIONS with its origin, the method and the headers it means to send (a platform
    revalidating with If-None-Match, asking JSON). The answer lets it, for a day, without
    credentials, and neither the body nor a cookie comes with it."""
    url = path.format(uscc=eligible.owner_uscc)
    r = live.request(
        "OPTIONS",
        url,
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match, accept, accept-language",
        },
    )
    assert r.status_code == 204, (r.status_code, r.text)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")} == {
        "GET",
        "HEAD",
        "OPTIONS",
    }
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "accept", "accept-language"} <= allowed
    assert int(r.headers["Access-Control-Max-Age"]) == 86400
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "Set-Cookie" not in r.headers and r.content == b""
    ascii_headers(r)

    # The actual read that follows: readable cross-origin, its ETag exposed, and a
    # revalidation with the tag gets 304 with the same CORS headers.
    first = live.get(url, headers={"Origin": "https://shop.example.com"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in first.headers["Access-Control-Expose-Headers"]
    again = live.get(
        url, headers={"Origin": "https://shop.example.com", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_asking_for_a_write_or_an_unknown_header_is_not_allowed(live, eligible):
    url = f"/api/v1/enterprises/{eligible.owner_uscc}/standing"
    origin = {"Origin": "https://shop.example.com"}
    r = live.request("OPTIONS", url, headers={**origin, "Access-Control-Request-Method": "DELETE"})
    assert "DELETE" not in r.headers.get("Access-Control-Allow-Methods", "")
    r = live.request(
        "OPTIONS",
        url,
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-evil",
        },
    )
    allowed = r.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "authorization" not in allowed and "x-evil" not in allowed
