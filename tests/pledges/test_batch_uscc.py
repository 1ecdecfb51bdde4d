"""A platform's batch reads each merchant's code like every other entry point (issue 15):
full-width codes are folded, a ligature code is refused with its position, per item."""

from __future__ import annotations

from credit import uscc
from tests.parties import pledge_body
from tests.pledges.test_platform_batch import _platform_client

WIDE = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}


def test_batch_items_fold_codes_and_name_positions(client, clean_app, parties, templates) -> None:
    platform = _platform_client(clean_app, parties)
    platform_uscc = platform.pop("uscc")
    wide = parties.owner_uscc.lower().translate(WIDE)
    r = clean_app.test_cli_runner().invoke(
        args=["credit", "pledges", "mandate", "--platform", platform_uscc, wide]
    )
    assert r.exit_code == 0 and '"granted": 1' in r.output, r.output
    std = templates["ECOM-STD"]
    code = parties.owner_uscc
    items = [
        {**pledge_body(std), "uscc": f" {wide} "},
        {**pledge_body(std), "uscc": code[:8] + "ﬀ" + code[10:]},
    ]
    r = client.post("/api/v1/pledges/batch", json={"items": items}, headers=platform)
    assert r.status_code == 200, r.get_data(as_text=True)
    first, second = r.get_json()["results"]
    assert first["status"] == 201 and first["pledge"]["uscc"] == code
    assert second["status"] == 400
    messages = [e["message"] for e in second["errors"] if e["field"] == "uscc"]
    assert any("实际为 17 位" in m for m in messages)
    assert any("第 9 位" in m and "U+FB00" in m for m in messages)
