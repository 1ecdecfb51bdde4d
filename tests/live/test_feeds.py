"""Feeds over the real server (gunicorn on loopback, issue 20): what a feed reader polling
the platform receives. The headers as sent (type, caching, ETag and 304, CORS, no cookie,
ASCII only), a feed a real parser reads, a record a regulator files through the API in the
next poll, and a CORS preflight for the revalidation header."""

from __future__ import annotations

import secrets

import feedparser

from credit import clock
from tests.live.test_seal import ascii_headers, token
from tests.parties import make_parties, make_pledge


def test_a_reader_polls_a_firms_feed_and_hears_of_a_new_record(live, app_ctx) -> None:
    parties = make_parties()
    make_pledge(parties.owner_uscc, publish=True)
    url = f"/feeds/enterprises/{parties.owner_uscc}.atom"
    first = live.get(url, headers={"User-Agent": "Feedly/1.0", "Accept": "application/atom+xml"})
    assert first.status_code == 200, first.text
    assert first.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in first.headers
    ascii_headers(first)
    parsed = feedparser.parse(first.content)
    assert not parsed.bozo and parsed.entries
    events = {e.tags[0].term: e.title for e in parsed.entries}
    assert events["pledge_published"].startswith("发布诚信承诺")
    assert "grade_changed" in events  # the pledge raised the grade
    etag = first.headers["ETag"]
    assert live.get(url, headers={"If-None-Match": etag}).status_code == 304

    number = f"苏市监罚〔2026〕{secrets.randbelow(10**6)}号"
    recorded = live.post(
        "/api/v1/violations",
        json={
            "uscc": parties.owner_uscc,
            "category": "fake_orders",
            "severity": "general",
            "decision_number": number,
            "legal_basis": "《中华人民共和国电子商务法》第十七条",
            "facts": "组织虚假交易、编造用户评价",
            "penalty_type": "fine",
            "penalty_amount": 20000,
            "decision_date": clock.today().isoformat(),
        },
        headers=token(live, parties.clients["reg_in"]),
    )
    assert recorded.status_code == 201, recorded.text
    after = live.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    told = [e for e in feedparser.parse(after.content).entries if number in e.summary]
    assert [e.link.rsplit("/", 1)[1] for e in told] == [recorded.json()["id"]]

    json_feed = live.get(f"/feeds/violations.json?city={parties.owner_city}")
    assert json_feed.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    assert number in json_feed.text
    preflight = live.request(
        "OPTIONS",
        url,
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_bad_filter_is_a_problem_over_the_wire(live, app_ctx) -> None:
    r = live.get("/feeds/violations.atom?city=北京")
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/problem+json")
    ascii_headers(r)
    assert r.json()["errors"][0]["field"] == "city"
