"""The public page /key-enterprises and the profile's key-enterprise category."""

from __future__ import annotations

from tests.keyfirms.helpers import add
from tests.parties import make_pledge


def test_public_page_lists_firms_with_status_in_words(client, parties, department) -> None:
    add(department, parties.owner_uscc, category="cross_border_leader")
    html = client.get("/key-enterprises").get_data(as_text=True)
    assert f'href="/enterprises/{parties.owner_uscc}"' in html
    assert "跨境电子商务龙头企业" in html and "尚未公示承诺" in html
    assert "0.0%" in html
    make_pledge(parties.owner_uscc, publish=True)
    html = client.get("/key-enterprises", query_string={"coverage": "in_force"}).get_data(
        as_text=True
    )
    assert "承诺有效" in html and "100.0%" in html
    html = client.get("/key-enterprises", query_string={"category": "live_commerce_base"})
    assert parties.owner_uscc not in html.get_data(as_text=True)
    r = client.get("/key-enterprises", query_string={"coverage": "<script>"})
    assert r.status_code == 400 and "<script>" not in r.get_data(as_text=True)


def test_profile_names_the_category(client, parties, department) -> None:
    page = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    assert "重点电子商务企业：" not in page
    add(department, parties.owner_uscc, category="time_honoured_brand")
    page = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    assert "重点电子商务企业：" in page and "老字号企业" in page
    assert "/key-enterprises?category=time_honoured_brand" in page


def test_search_filters_by_key_category(client, parties, department) -> None:
    add(department, parties.owner_uscc, category="live_commerce_base")
    r = client.get("/api/v1/search", query_string={"key_category": "live_commerce_base"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert [i["uscc"] for i in body["items"]] == [parties.owner_uscc]
    facet = body["facets"]["key_category"]
    assert facet == [{"value": "live_commerce_base", "label": "直播电商基地", "count": 1}]
    r = client.get(
        "/api/v1/search", query_string={"key_category": "live_commerce_base", "type": "pledge"}
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.get_json()["errors"]] == ["key_category"]
    html = client.get("/search", query_string={"key_category": "live_commerce_base"})
    assert html.status_code == 200 and "直播电商基地" in html.get_data(as_text=True)
