"""A platform files and publishes pledges for the merchants it is mandated for."""

from __future__ import annotations

from tests.helpers import import_records, sample_records
from tests.parties import bearer, pledge_body


def _platform_client(app, parties) -> dict[str, str]:
    records = sample_records(200, seed=77)
    platform = next(r for r in records if r["operator_type"] == "platform")
    import_records([platform])
    runner = app.test_cli_runner()
    out = runner.invoke(
        args=[
            "credit",
            "clients",
            "create",
            "--kind",
            "enterprise",
            "--name",
            "平台系统",
            "--uscc",
            platform["uscc"],
            "--scopes",
            "pledges:write",
        ]
    )
    import json

    created = json.loads(out.stdout)
    r = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], created["client_secret"]),
    )
    return {"uscc": platform["uscc"], **bearer(r.get_json()["access_token"])}


def test_batch_filing_answers_each_item(client, clean_app, parties, templates) -> None:
    platform = _platform_client(clean_app, parties)
    platform_uscc = platform.pop("uscc")
    runner = clean_app.test_cli_runner()
    r = runner.invoke(
        args=["credit", "pledges", "mandate", "--platform", platform_uscc, parties.owner_uscc]
    )
    assert r.exit_code == 0 and '"granted": 1' in r.output
    std = templates["ECOM-STD"]
    items = [
        {**pledge_body(std), "uscc": parties.owner_uscc},  # mandated
        {**pledge_body(std), "uscc": parties.other_uscc},  # not mandated
        {**pledge_body(std, clauses=["C01"]), "uscc": parties.owner_uscc},  # bad content
        {**pledge_body(std), "uscc": parties.owner_uscc, "status": "x"},  # server-owned
        {**pledge_body(std), "uscc": parties.owner_uscc, "publish": False},
    ]
    r = client.post("/api/v1/pledges/batch", json={"items": items}, headers=platform)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    statuses = [x["status"] for x in body["results"]]
    assert statuses == [201, 404, 400, 400, 201]
    assert body["created"] == 2 and body["failed"] == 3
    first = body["results"][0]["pledge"]
    assert first["uscc"] == parties.owner_uscc and first["status"] == "published"
    assert body["results"][4]["pledge"]["status"] == "draft"
    # The merchant's pledge is public under the merchant, filed by the platform.
    shown = client.get(f"/api/v1/pledges/{first['id']}").get_json()
    assert shown["uscc"] == parties.owner_uscc


def test_batch_is_bounded_and_for_platforms_only(
    client, clean_app, parties, templates, owner
) -> None:
    std = templates["ECOM-STD"]
    too_many = {"items": [{**pledge_body(std), "uscc": parties.owner_uscc}] * 501}
    assert client.post("/api/v1/pledges/batch", json=too_many, headers=owner).status_code == 400
    # An ordinary enterprise has no mandates: every item is refused on its own.
    r = client.post(
        "/api/v1/pledges/batch",
        json={"items": [{**pledge_body(std), "uscc": parties.other_uscc}]},
        headers=owner,
    )
    assert r.get_json()["results"][0]["status"] == 404


def test_only_platforms_can_get_mandates(clean_app, parties) -> None:
    shop = next(r for r in sample_records(50, seed=78) if r["operator_type"] != "platform")
    import_records([shop])
    r = clean_app.test_cli_runner().invoke(
        args=["credit", "pledges", "mandate", "--platform", shop["uscc"], parties.owner_uscc]
    )
    assert r.exit_code != 0 and "平台" in r.output
