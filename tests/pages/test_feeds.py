"""Feeds (issue 20): a firm's credit news and the public record of violations, as Atom and
JSON Feed 1.1, read by a real feed parser (PyPI ``feedparser``), on the real database.

What a reader needs: every entry the feed promises (pledges, records, the end of a record's
publicity, grade changes), nothing a public page does not show (a record out of publicity
keeps its details to itself), stable ids, newest first, cheap polling (ETag and 304), and a
clear error for a filter that means nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
import jsonschema_rs
import pytest
import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.ratings.models import RatingRecord
from credit.uow import unit_of_work
from credit.violations import service as violations
from credit.violations import workflow
from credit.violations.models import Violation
from tests.parties import (
    make_parties,
    make_pledge,
    make_violation,
    owner_identity,
    regulator_identity,
)

JSON_FEED = "https://jsonfeed.org/version/1.1"
#: JSON Feed 1.1's rules as a JSON Schema (feedparser 6.0 reads Atom and RSS, not JSON Feed).
JSON_FEED_SCHEMA = jsonschema_rs.validator_for(
    json.loads((Path(__file__).parents[1] / "data" / "jsonfeed-1.1.schema.json").read_text()),
    validate_formats=True,
)


def _parse(resp) -> feedparser.FeedParserDict:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    parsed = feedparser.parse(resp.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.fixture
def history(client, app_ctx):
    """The owner firm with a published then withdrawn pledge, a published pledge, a public
    record, one ended, one repaired and one revoked."""
    parties = make_parties()
    kept = make_pledge(parties.owner_uscc, publish=True)
    gone = make_pledge(parties.owner_uscc, publish=True, template_code="ECOM-STD")
    from credit.pledges import service as pledges

    with unit_of_work() as uow:
        pledges.withdraw_pledge(
            owner_identity(parties.owner_uscc), uow, gone.id, "业务调整", gone.version
        )
    public = make_violation(parties, days_ago=3, decision_number="苏市监罚〔2026〕7001号")
    ended = make_violation(parties, days_ago=1200, decision_number="苏市监罚〔2023〕7002号")
    repaired = make_violation(parties, days_ago=120, decision_number="苏市监罚〔2026〕7003号")
    revoked = make_violation(parties, days_ago=20, decision_number="苏市监罚〔2026〕7004号")
    regulator = regulator_identity()
    repair_pledge = make_pledge(
        parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR", repair_for=repaired.id
    )
    with unit_of_work() as uow:
        application = workflow.apply_for_repair(
            owner_identity(parties.owner_uscc), uow, repaired.id, repair_pledge.id, "已整改完毕"
        )
    with unit_of_work() as uow:
        workflow.decide_repair(regulator, uow, application.id, True, "整改到位")
    with unit_of_work() as uow:
        violations.revoke_violation(regulator, uow, revoked.id, "复议撤销", revoked.version)
    return parties, {
        "kept": kept,
        "gone": gone,
        "repair_pledge": repair_pledge,
        "public": public,
        "ended": ended,
        "repaired": repaired,
        "revoked": revoked,
    }


def test_a_firms_atom_feed_tells_each_event_and_keeps_ended_records_to_themselves(
    client, history
) -> None:
    parties, made = history
    r = client.get(f"/feeds/enterprises/{parties.owner_uscc}.atom")
    assert r.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = _parse(r)
    assert feed.version == "atom10"
    assert parties.owner_uscc in feed.feed.subtitle and "信用动态" in feed.feed.title
    assert feed.feed.link.endswith(f"/enterprises/{parties.owner_uscc}")
    by_key = {e.id.split(",2026:", 1)[1]: e for e in feed.entries}
    v = made["public"]
    assert {
        f"pledge/{made['kept'].id}/published",
        f"pledge/{made['gone'].id}/published",
        f"pledge/{made['gone'].id}/withdrawn",
        f"violation/{v.id}/published",
        f"violation/{made['ended'].id}/ended",
        f"violation/{made['repaired'].id}/repaired",
        f"violation/{made['revoked'].id}/revoked",
    } <= set(by_key)
    # the public record with what its page shows, linked to that page
    entry = by_key[f"violation/{v.id}/published"]
    assert entry.link.endswith(f"/violations/{v.id}")
    for text in (v.decision_number, v.facts, v.authority.name, "刷单炒信", "一般"):
        assert text in entry.title + entry.summary, text
    assert entry.tags[0].term == "violation_published"
    # records no longer public: no published entry, no details in the one that ended them
    for name in ("ended", "repaired", "revoked"):
        gone = made[name]
        assert f"violation/{gone.id}/published" not in by_key
        text = by_key[f"violation/{gone.id}/{name}"].summary
        assert gone.decision_number not in r.get_data(as_text=True)
        assert "停止公示" in text or "公示期满" in text
    assert by_key[f"violation/{made['repaired'].id}/repaired"].tags[0].term == "violation_repaired"
    # the withdrawn pledge's withdrawal is told, and no signer's name (the pages mask it)
    assert "撤回" in by_key[f"pledge/{made['gone'].id}/withdrawn"].title
    assert "张三明" not in r.get_data(as_text=True)
    # newest first, nothing in the future
    times = [e.updated_parsed for e in feed.entries]
    assert times == sorted(times, reverse=True)
    assert all(e.published_parsed <= clock.now().utctimetuple() for e in feed.entries)


def test_grade_changes_are_entries_one_per_change(client, history) -> None:
    parties, _ = history
    grades = list(
        db.session.scalars(
            sa.select(RatingRecord.grade)
            .join(Enterprise, Enterprise.id == RatingRecord.enterprise_id)
            .where(Enterprise.uscc == parties.owner_uscc)
            .order_by(RatingRecord.id)
        )
    )
    assert grades, "the firm was rated after its records changed"
    changes = [g for i, g in enumerate(grades) if i == 0 or grades[i - 1] != g]
    feed = _parse(client.get(f"/feeds/enterprises/{parties.owner_uscc}.atom"))
    told = [e for e in feed.entries if e.tags[0].term == "grade_changed"]
    assert len(told) == len(changes)
    assert told[-1].title == f"信用等级：{changes[0]}（首次评价）"
    if len(changes) > 1:
        assert told[0].title == f"信用等级：{changes[-2]} → {changes[-1]}"


def test_the_json_feed_is_json_feed_1_1_with_the_same_entries(client, history) -> None:
    parties, made = history
    atom = _parse(client.get(f"/feeds/enterprises/{parties.owner_uscc}.atom"))
    r = client.get(f"/feeds/enterprises/{parties.owner_uscc}.json")
    assert r.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    doc = r.get_json(force=True)
    assert doc["version"] == JSON_FEED
    assert doc["feed_url"].endswith(f"/feeds/enterprises/{parties.owner_uscc}.json")
    assert doc["home_page_url"].endswith(f"/enterprises/{parties.owner_uscc}")
    assert doc["title"] and doc["items"]
    assert [i["id"] for i in doc["items"]] == [e.id for e in atom.entries]
    for item in doc["items"]:  # what JSON Feed 1.1 requires of an item, and what it says
        assert isinstance(item["id"], str) and item["url"].startswith("http")
        assert item["content_text"] and item["date_published"].endswith("Z")
        assert item["_credit"]["uscc"] == parties.owner_uscc
    public = next(i for i in doc["items"] if i["_credit"].get("violation_id") == made["public"].id)
    assert public["_credit"]["decision_number"] == made["public"].decision_number
    errors = [e.message for e in JSON_FEED_SCHEMA.iter_errors(doc)]
    assert errors == []


def test_english_feeds_and_no_cookie(client, history) -> None:
    parties, _ = history
    r = client.get(f"/feeds/enterprises/{parties.owner_uscc}.atom?lang=en")
    feed = _parse(r)
    assert "credit news" in feed.feed.title and feed.feed.language == "en"
    assert any(e.title.startswith("Pledge published") for e in feed.entries)
    assert "Set-Cookie" not in r.headers
    assert feed.feed.links[0].href.endswith(".atom?lang=en")


def test_polling_is_cheap_and_any_site_may_read(client, history) -> None:
    parties, _ = history
    path = f"/feeds/enterprises/{parties.owner_uscc}.json"
    r = client.get(path)
    tag = r.headers["ETag"]
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    # a change makes a new tag: a new record is told at once
    make_violation(parties, days_ago=0, decision_number="苏市监罚〔2026〕7010号")
    changed = client.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert "7010号" in changed.get_data(as_text=True)


def test_the_public_record_feed_filters_by_city_category_and_severity(client, app_ctx) -> None:
    parties = make_parties()
    general = make_violation(parties, days_ago=2, decision_number="苏市监罚〔2026〕8001号")
    serious = make_violation(
        parties, severity="serious", days_ago=1, decision_number="苏市监罚〔2026〕8002号"
    )
    city = db.session.get(Violation, general.id).enterprise.city_code
    feed = _parse(client.get(f"/feeds/violations.atom?city={city}"))
    numbers = [e.summary for e in feed.entries]
    assert any("8001号" in s for s in numbers) and any("8002号" in s for s in numbers)
    assert feed.entries[0].link.endswith(f"/violations/{serious.id}")  # newest first
    only = _parse(client.get(f"/feeds/violations.atom?city={city}&severity=serious"))
    assert [e.link.rsplit("/", 1)[1] for e in only.entries] == [serious.id]
    assert "严重" in only.feed.title
    other = next(c for c in ("320100", "320200", "320500") if c != city)
    assert _parse(client.get(f"/feeds/violations.atom?city={other}")).entries == []
    assert _parse(client.get("/feeds/violations.atom?category=counterfeit")).entries == []
    doc = client.get("/feeds/violations.json?category=fake_orders").get_json(force=True)
    assert doc["version"] == JSON_FEED and len(doc["items"]) == 2
    assert doc["home_page_url"].endswith("type=violation&category=fake_orders")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("city=999999", "city"),
        ("severity=huge", "severity"),
        ("category=x", "category"),
        ("q=1", "q"),
    ],
)
def test_a_filter_that_means_nothing_is_a_problem(client, app_ctx, query, field) -> None:
    r = client.get(f"/feeds/violations.atom?{query}")
    assert r.status_code == 400 and r.content_type == "application/problem+json"
    assert [e["field"] for e in r.get_json()["errors"]] == [field]


def test_unknown_and_malformed_firms(client, app_ctx) -> None:
    parties = make_parties()
    from tests.parties import valid_code_like

    assert client.get(f"/feeds/enterprises/{valid_code_like()}.atom").status_code == 404
    r = client.get("/feeds/enterprises/not-a-code.json")
    assert r.status_code == 404 and r.content_type == "application/problem+json"
    lower = parties.owner_uscc.lower()
    if lower != parties.owner_uscc:
        r = client.get(f"/feeds/enterprises/{lower}.atom")
        assert r.status_code == 301
        assert r.headers["Location"].endswith(f"/feeds/enterprises/{parties.owner_uscc}.atom")


def test_a_character_xml_cannot_carry_is_dropped_not_a_broken_feed(client, app_ctx) -> None:
    parties = make_parties()
    v = make_violation(parties, days_ago=1, decision_number="苏市监罚〔2026〕8100号")
    with unit_of_work() as uow:  # stored before input checks refused such characters
        uow.session.execute(
            sa.update(Violation).where(Violation.id == v.id).values(facts="虚构\x01交易\x0b记录")
        )
    feed = _parse(client.get(f"/feeds/enterprises/{parties.owner_uscc}.atom"))
    entry = next(e for e in feed.entries if e.link.endswith(v.id))
    assert "虚构交易记录" in entry.summary


def test_the_profile_offers_the_feeds(client, history) -> None:
    parties, _ = history
    page = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    atom = f"/feeds/enterprises/{parties.owner_uscc}.atom"
    assert '<link rel="alternate" type="application/atom+xml"' in page and atom in page
    assert f"/feeds/enterprises/{parties.owner_uscc}.json" in page
    assert 'class="button secondary subscribe"' in page and ">订阅</a>" in page
    assert client.get(atom).status_code == 200


def test_a_record_dated_later_is_told_on_its_day(client, app_ctx, frozen_clock) -> None:
    parties = make_parties()
    v = make_violation(parties, days_ago=0, decision_number="苏市监罚〔2026〕8200号")
    with unit_of_work() as uow:  # published from tomorrow (a regime counted from publication)
        uow.session.execute(
            sa.update(Violation)
            .where(Violation.id == v.id)
            .values(public_from=clock.today() + timedelta(days=1))
        )
    path = f"/feeds/enterprises/{parties.owner_uscc}.atom"
    assert "8200号" not in client.get(path).get_data(as_text=True)
    frozen_clock.advance(86400)
    assert "8200号" in client.get(path).get_data(as_text=True)


def test_a_violation_search_offers_its_feed(client, app_ctx) -> None:
    parties = make_parties()
    make_violation(parties, days_ago=1, decision_number="苏市监罚〔2026〕8300号")
    page = client.get(f"/search?type=violation&city={parties.owner_city}&severity=general")
    html = page.get_data(as_text=True)
    feed = f"/feeds/violations.atom?city={parties.owner_city}&amp;severity=general"
    assert '<link rel="alternate" type="application/atom+xml"' in html and feed in html
    assert "订阅这些违法失信信息" in html
    parsed = _parse(client.get(feed.replace("&amp;", "&")))
    assert [e for e in parsed.entries if "8300号" in e.summary]
    # what a feed cannot say (a text query, two cities) offers none
    for query in ("q=刷单&type=violation", "type=violation&city=320100&city=320200"):
        assert "订阅这些违法失信信息" not in client.get(f"/search?{query}").get_data(as_text=True)
    assert "/feeds/violations" not in client.get("/search?q=有限").get_data(as_text=True)
