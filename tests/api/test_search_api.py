"""Search through the API: fresh after a commit, facets, and the two-character promise."""

from __future__ import annotations

from tests.helpers import import_records, sample_records


def _refresh(app) -> None:
    from search.documents import ENTERPRISES

    app.extensions["credit.search"].refresh(ENTERPRISES)


def test_imported_enterprise_is_searchable_right_after_commit(client, app_ctx) -> None:
    rec = sample_records(1)[0]
    import_records([rec])
    _refresh(app_ctx)  # Elasticsearch's 1 s refresh, made explicit for a deterministic test
    body = client.get("/api/v1/search", query_string={"q": rec["name"]}).get_json()
    assert body["items"][0]["uscc"] == rec["uscc"]
    body = client.get("/api/v1/search", query_string={"q": rec["uscc"]}).get_json()
    assert [i["uscc"] for i in body["items"]] == [rec["uscc"]]


def test_two_character_fragment_returns_every_match(client, app_ctx) -> None:
    records = sample_records(300)
    import_records(records)
    _refresh(app_ctx)
    frag = records[0]["name"][3:5]
    expected = {r["uscc"] for r in records if frag in r["name"]}
    found: set[str] = set()
    page = 1
    while True:
        body = client.get(
            "/api/v1/search", query_string={"q": frag, "size": 100, "page": page}
        ).get_json()
        found |= {i["uscc"] for i in body["items"]}
        if page >= body["pages"]:
            break
        page += 1
    assert expected <= found
    assert body["total"] == len(found)


def test_facets_have_labels(client, app_ctx) -> None:
    import_records(sample_records(40))
    _refresh(app_ctx)
    body = client.get("/api/v1/search", query_string={"q": ""}).get_json()
    assert body["total"] == 40
    cities = body["facets"]["city"]
    assert sum(b["count"] for b in cities) == 40
    assert all(b["label"].endswith("市") for b in cities)


def test_updates_reach_the_index(client, app_ctx) -> None:
    rec = sample_records(1)[0]
    import_records([rec])
    import_records([{**rec, "name": "新名" + rec["name"]}])
    _refresh(app_ctx)
    body = client.get("/api/v1/search", query_string={"q": "新名"}).get_json()
    assert [i["uscc"] for i in body["items"]] == [rec["uscc"]]


def test_search_argument_errors(client) -> None:
    r = client.get("/api/v1/search", query_string={"q": "x" * 101})
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "q"


def test_a_repeated_search_is_answered_again_after_a_change(client, app_ctx) -> None:
    """Through the API, on either backend: a repeated search may come from a cache
    (Elasticsearch's shard request cache), and a change in between is always in the
    answer."""
    records = sample_records(3)
    import_records(records[:2])
    _refresh(app_ctx)
    query = {"q": records[2]["name"]}
    first = client.get("/api/v1/search", query_string=query)
    again = client.get("/api/v1/search", query_string=query)
    assert again.get_json()["items"] == first.get_json()["items"]
    import_records(records[2:])
    _refresh(app_ctx)
    body = client.get("/api/v1/search", query_string=query).get_json()
    assert body["items"][0]["uscc"] == records[2]["uscc"]
