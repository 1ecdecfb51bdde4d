"""Over the real server (issue 16, key e-commerce enterprises): a commerce department adds
a firm and uploads a list through gunicorn; the public list shows each firm with its
pledge status in words and the coverage figures; bad input is problem+json naming the field
with the Chinese text in the body, never in a header; the department's removal needs a
reason and a firm's reminder reaches it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit import clock
from tests.keyfirms.clients import department_client
from tests.parties import make_parties, make_pledge

URL = "/api/v1/key-enterprises"


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def token(live, client) -> dict[str, str]:
    r = live.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=client.basic())
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_public_list_and_a_write_over_gunicorn(live, parties) -> None:
    dept = token(live, department_client(parties.owner_city))
    today = clock.today().isoformat()
    r = live.post(
        URL,
        json={
            "uscc": parties.owner_uscc,
            "category": "provincial_demonstration",
            "reason": "2026 年度省级电子商务示范企业",
            "listed_from": today,
        },
        headers=dept,
    )
    assert r.status_code == 201, r.text
    listing = r.json()

    r = live.get(URL)
    assert r.status_code == 200
    body = r.json()
    assert [(i["uscc"], i["coverage"], i["coverage_zh"]) for i in body["items"]] == [
        (parties.owner_uscc, "none", "尚未公示承诺")
    ]
    assert body["figures"]["by_category"] == [
        {
            "code": "provincial_demonstration",
            "label": "省级电子商务示范企业",
            "total": 1,
            "covered": 0,
        }
    ]

    make_pledge(parties.owner_uscc, publish=True)
    item = live.get(URL, params={"city": parties.owner_city}).json()["items"][0]
    assert (item["coverage"], item["coverage_en"]) == ("in_force", "pledge in force")

    # A bad upload: every line's problem, in the body; headers stay ASCII.
    r = live.post(
        f"{URL}/upload",
        json={
            "filename": "名单.csv",
            "content": f"uscc,category,reason,listed_from\n{parties.other_uscc},老字号企业,"
            f"辖区外企业,{today}\nnot-a-code,platform_operator,理由,{today}\n",
        },
        headers=dept,
    )
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} == {"line 2: uscc", "line 3: uscc"}
    for value in r.headers.values():
        value.encode("ascii")

    r = live.request("DELETE", f"{URL}/{listing['id']}", json={}, headers=dept)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "reason"
    r = live.request("DELETE", f"{URL}/{listing['id']}", json={"reason": "示范期满"}, headers=dept)
    assert r.status_code == 200, r.text
    assert live.get(URL).json()["total"] == 0
    assert live.request("DELETE", f"{URL}/{listing['id']}", json={"reason": "x"}).status_code == 401


def test_a_reminder_reaches_the_firm_over_gunicorn(live, parties) -> None:
    dept = token(live, department_client(parties.owner_city))
    live.post(
        URL,
        json={
            "uscc": parties.owner_uscc,
            "category": "live_commerce_base",
            "reason": "省级直播电商基地",
            "listed_from": clock.today().isoformat(),
        },
        headers=dept,
    )
    due = (clock.today() + timedelta(days=20)).isoformat()
    r = live.post(f"{URL}/reminders", json={"due_on": due}, headers=dept)
    assert r.status_code == 201 and r.json()["sent"] == 1
    owner = token(live, parties.clients["owner"])
    asked = live.get(f"{URL}/asked", headers=owner).json()
    assert [x["due_on"] for x in asked["reminders"]] == [due]
    assert asked["reminders"][0]["required_pledge_types"] == [
        "voluntary_public",
        "industry_self_discipline",
    ]
    assert live.get(f"{URL}/asked", headers=owner).headers["Cache-Control"].startswith("private")
