"""A legal finding is said first and in words (issue 17, item 2): the serious-dishonesty
list and a public serious record head the profile, mark the search results and the
suggestions, and a grade is never a bare code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit import clock
from credit.ratings.catalog import catalog
from credit.uow import unit_of_work
from credit.violations import registry
from search.documents import SPECS
from tests.parties import make_parties, make_violation, regulator_identity

LISTED = "列入严重失信主体名单"
SERIOUS = "有公示中的严重违法失信信息"


def _refresh(app) -> None:
    backend = app.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)


@pytest.fixture
def listed(client, app_ctx):
    """The owner enterprise on the serious-dishonesty list, with a public serious record;
    the other enterprise without any record."""
    parties = make_parties()
    make_violation(
        parties, severity="serious", days_ago=3, decision_number="苏市监罚〔2026〕5501号"
    )
    listed_on = clock.today() - timedelta(days=5)
    with unit_of_work() as uow:
        registry.list_on_serious_list(
            regulator_identity(),
            uow,
            {
                "uscc": parties.owner_uscc,
                "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
                "reason": "一年内因刷单炒信两次受到较重行政处罚",
                "listed_on": listed_on,
                "remove_on": listed_on + timedelta(days=3 * 365),
            },
        )
    _refresh(app_ctx)
    return parties, listed_on


def test_profile_says_the_listing_first_under_the_name(client, listed) -> None:
    parties, listed_on = listed
    html = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    name_at = html.index("<h1>")
    standing_at = html.index('id="standing"')
    # first thing under the name: before the grade line, the seal and every section
    assert name_at < standing_at < html.index('class="grade ') < html.index('id="seal-state"')
    assert standing_at < html.index('id="basic-h"') < html.index('id="rating-h"')
    banner = html[standing_at : html.index("</div>", standing_at)]
    assert LISTED in banner and "辖区内监管局" in banner and listed_on.isoformat() in banner
    assert "有 1 条公示中的严重违法失信信息" in banner
    # the detailed listing section now comes before the registration facts
    assert html.index('id="serious-h"') < html.index('id="basic-h"')
    en = client.get(f"/enterprises/{parties.owner_uscc}?lang=en").get_data(as_text=True)
    banner = en[en.index('id="standing"') :]
    assert "On the serious-dishonesty list" in banner[:2000]
    assert "1 serious violation(s) in publicity" in banner[:2000]


def test_a_firm_without_findings_has_no_banner(client, listed) -> None:
    parties, _ = listed
    html = client.get(f"/enterprises/{parties.other_uscc}").get_data(as_text=True)
    assert 'id="standing"' not in html and LISTED not in html


def test_results_say_the_listing_and_the_grade_in_words(client, listed) -> None:
    parties, _ = listed
    name = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()["name"]
    html = client.get("/search", query_string={"q": name}).get_data(as_text=True)
    hit = html[html.index(f"/enterprises/{parties.owner_uscc}") :]
    hit = hit[: hit.index("</li>")]
    assert LISTED in hit and SERIOUS in hit
    grade = client.get(f"/api/v1/enterprises/{parties.owner_uscc}/rating").get_json()["grade"]
    assert catalog().get().grade_words[grade][0] in hit
    # the old tier words carry no meaning: they are not on the page
    assert "关注" not in html and "守信" not in hit
    en = client.get("/search", query_string={"q": name, "lang": "en"})
    assert "on the serious-dishonesty list" in en.get_data(as_text=True)


def test_suggestions_carry_grade_words_and_warnings(client, listed) -> None:
    parties, _ = listed
    body = client.get("/api/v1/suggest", query_string={"q": parties.owner_uscc[:12]}).get_json()
    item = next(i for i in body["items"] if i["uscc"] == parties.owner_uscc)
    zh, en = catalog().get().grade_words[item["grade"]]
    assert (item["grade_text"], item["grade_text_en"]) == (zh, en)
    assert [w["flag"] for w in item["warnings"]] == ["serious_list", "serious_violation"]
    assert item["warnings"][0]["text"] == LISTED
    assert item["warnings"][0]["text_en"] == "on the serious-dishonesty list"
    other = client.get("/api/v1/suggest", query_string={"q": parties.other_uscc}).get_json()
    assert other["items"][0]["warnings"] == []
    script = client.get("/assets/suggest.js").get_data(as_text=True)
    assert "item.warnings" in script and "grade_text" in script
