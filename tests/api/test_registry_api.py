"""The public registry API: one enterprise, the list, the USCC utility."""

from __future__ import annotations

from credit import uscc
from tests.helpers import import_records, sample_records


def test_get_enterprise_public_view(client, app_ctx) -> None:
    rec = sample_records(1)[0]
    import_records([rec])
    r = client.get(f"/api/v1/enterprises/{rec['uscc']}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["uscc"] == rec["uscc"] and body["name"] == rec["name"]
    assert body["city_name"] and body["industry_name"] and body["operator_type_name"]
    assert body["version"] == 1
    # Natural person masked; no internal id exposed.
    assert body["legal_representative"] != rec["legal_representative"]
    assert body["legal_representative"][1] == "*"
    assert "id" not in body


def test_lowercase_code_is_accepted(client, app_ctx) -> None:
    rec = sample_records(1)[0]
    import_records([rec])
    assert client.get(f"/api/v1/enterprises/{rec['uscc'].lower()}").status_code == 200


def test_unknown_enterprise_is_404_problem(client) -> None:
    code = uscc.complete("9132010000000001")
    r = client.get(f"/api/v1/enterprises/{code}")
    assert r.status_code == 404
    assert r.content_type == "application/problem+json"
    assert r.get_json()["status"] == 404


def test_malformed_code_is_400_with_reasons(client) -> None:
    r = client.get("/api/v1/enterprises/91110000600037341M")
    assert r.status_code == 400
    body = r.get_json()
    assert r.content_type == "application/problem+json"
    assert body["errors"][0]["field"] == "uscc"
    assert body["errors"][0]["code"] == "check_18"


def test_list_filters_and_pages(client, app_ctx) -> None:
    records = sample_records(60)
    import_records(records)
    r = client.get("/api/v1/enterprises?size=7&page=2")
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 60 and len(body["items"]) == 7
    assert body["pages"] == 9
    city = records[0]["city_code"]
    body = client.get(f"/api/v1/enterprises?city={city}&size=100").get_json()
    assert body["total"] == sum(1 for x in records if x["city_code"] == city)
    assert all(item["city_code"] == city for item in body["items"])
    industry = records[0]["industry"]
    body = client.get(f"/api/v1/enterprises?industry={industry}&city={city}").get_json()
    assert body["total"] == sum(
        1 for x in records if x["city_code"] == city and x["industry"] == industry
    )


def test_list_size_is_bounded(client) -> None:
    r = client.get("/api/v1/enterprises?size=1000")
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["field"] == "size"
    r = client.get("/api/v1/enterprises?page=0")
    assert r.status_code == 400
    r = client.get("/api/v1/enterprises?city=110000")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "city"
    r = client.get("/api/v1/enterprises?page=200&size=100")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "page"


def test_unknown_query_parameter_is_rejected(client) -> None:
    r = client.get("/api/v1/enterprises?colour=red")
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["field"] == "colour"


def test_uscc_utility(client, app_ctx) -> None:
    rec = sample_records(1)[0]
    import_records([rec])
    body = client.get(f"/api/v1/uscc/{rec['uscc']}").get_json()
    assert body["valid"] and body["registered"] and body["registered_name"] == rec["name"]
    assert body["in_jiangsu"] and body["city_code"] == rec["city_code"]
    body = client.get("/api/v1/uscc/91110000600037341L").get_json()
    assert body["valid"] and not body["registered"] and not body["in_jiangsu"]
    assert body["entity_type"] == "enterprise"
    body = client.get("/api/v1/uscc/9111000060003734").get_json()
    assert not body["valid"] and body["faults"][0]["code"] == "length"
    assert body["faults"][0]["message"] and body["faults"][0]["message_en"]


def test_uscc_batch_check(client) -> None:
    r = client.post(
        "/api/v1/uscc/batch-check",
        json={"codes": ["91110000600037341L", "9144030071526726XG", "bad"]},
    )
    assert r.status_code == 200
    assert [x["valid"] for x in r.get_json()["results"]] == [True, True, False]
    r = client.post("/api/v1/uscc/batch-check", json={"codes": ["x"] * 101})
    assert r.status_code == 400


def test_vocabularies(client) -> None:
    body = client.get("/api/v1/vocabularies").get_json()
    assert len(body["cities"]) == 13
    assert {"code": "320500", "name": "苏州市", "name_en": "Suzhou"} in body["cities"]
