"""Unified social credit codes over the real server (issue 15).

``requests`` percent-encodes a full-width or ligature code in the path as UTF-8, as a
browser does; gunicorn decodes it and every entry point reads it the same way:

* a full-width code (``９１３２…``) finds the firm everywhere: the REST lookup and its
  sub-resources, the USCC check and batch check, the profile page (301 to the canonical
  code), the search page (straight to the profile), the search API and suggestions;
* a 16/17-character string that only passes when a ligature expands (``ﬀ`` -> ``FF``) finds
  it nowhere: 400 on the lookup, "invalid" on the check with the position named, no
  redirect and a position hint on the search page;
* a code failing one position rule is answered with that position, on the API, the check
  page and the search page's hint.
"""

from __future__ import annotations

import pytest

from credit import uscc
from search.documents import SPECS
from tests.helpers import import_records, sample_records
from tests.parties import make_parties

WIDE = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}


def full_width(code: str) -> str:
    return code.translate(WIDE)


@pytest.fixture
def firm(app_ctx) -> dict:
    """One firm whose code holds "FFL" (positions 9-11), so that ligatures could fake it."""
    rec = sample_records(1, seed=11)[0]
    code = uscc.complete("91" + rec["district_code"] + "FFL00001")
    rec = {**rec, "uscc": code, "entity_type": "enterprise"}
    import_records([rec])
    backend = app_ctx.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)
    return rec


def _problem(r, *codes: str | None) -> list[dict]:
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert all(v.isascii() for v in r.headers.values())
    errors = r.json()["errors"]
    assert [e.get("code") for e in errors] == list(codes), errors
    return errors


def test_a_full_width_code_finds_the_firm_everywhere(live, firm) -> None:
    code, wide = firm["uscc"], full_width(firm["uscc"])
    r = live.get(f"/api/v1/enterprises/{wide}")
    assert "%EF%BC%99" in r.request.url  # sent percent-encoded, as a browser does
    assert r.status_code == 200, r.text
    assert r.json()["uscc"] == code and r.json()["name"] == firm["name"]
    lower = live.get(f"/api/v1/enterprises/{full_width(code.lower())}/pledges")
    assert lower.status_code == 200 and lower.json()["items"] == []
    check = live.get(f"/api/v1/uscc/{wide}").json()
    assert check["valid"] and check["code"] == code and check["registered"]
    assert check["registered_name"] == firm["name"] and check["in_jiangsu"]
    batch = live.post("/api/v1/uscc/batch-check", json={"codes": [wide, f" {code.lower()} "]})
    assert [x["code"] for x in batch.json()["results"]] == [code, code]
    assert all(x["valid"] and x["registered"] for x in batch.json()["results"])
    # The pages: the profile moves to the canonical address, the search box goes straight
    # to the profile, the check page answers "valid".
    r = live.get(f"/enterprises/{wide}")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/enterprises/{code}")
    assert firm["name"] in live.get(r.headers["Location"]).text
    r = live.get("/search", params={"q": f"\u3000{wide}\u3000"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/enterprises/{code}")
    page = live.get("/uscc", params={"code": wide}).text
    assert "代码有效" in page and code in page and firm["name"] in page
    # The search API and the suggestions fold it the same way.
    found = live.get("/api/v1/search", params={"q": wide, "type": "enterprise"}).json()
    assert [i["uscc"] for i in found["items"]] == [code]
    suggested = live.get("/api/v1/suggest", params={"q": wide[:10]}).json()
    assert code in [i["uscc"] for i in suggested["items"]]


@pytest.mark.parametrize("expansion, ligature", [("FF", "ﬀ"), ("FL", "ﬂ"), ("FFL", "ﬄ")])
def test_a_ligature_never_finds_the_firm(live, firm, expansion: str, ligature: str) -> None:
    code = firm["uscc"]
    at = code.index(expansion)
    raw = code[:at] + ligature + code[at + len(expansion) :]
    assert raw.upper() == code and len(raw) < 18  # the old reading found the firm
    errors = _problem(live.get(f"/api/v1/enterprises/{raw}"), "length", "charset")
    assert all(e["field"] == "uscc" and e["location"] == "path" for e in errors)
    assert f"第 {at + 1} 位" in errors[1]["message"]
    assert f"U+{ord(ligature):04X}" in errors[1]["message"]
    check = live.get(f"/api/v1/uscc/{raw}").json()
    assert not check["valid"] and not check["registered"]
    assert [(f["code"], f["position"]) for f in check["faults"]] == [
        ("length", None),
        ("charset", str(at + 1)),
    ]
    batch = live.post("/api/v1/uscc/batch-check", json={"codes": [raw]}).json()["results"]
    assert not batch[0]["valid"]
    assert live.get(f"/enterprises/{raw}").status_code == 404
    # The search page does not jump to the firm; it says what is wrong and where.
    r = live.get("/search", params={"q": raw})
    assert r.status_code == 200
    assert "这像是统一社会信用代码，但未通过校验" in r.text and f"第 {at + 1} 位" in r.text
    assert f"/enterprises/{code}" not in r.text
    found = live.get("/api/v1/search", params={"q": raw, "type": "enterprise"}).json()
    assert code not in [i["uscc"] for i in found["items"]]
    page = live.get("/uscc", params={"code": raw, "lang": "en"}).text
    assert "Invalid code" in page and f"Position {at + 1}" in page


@pytest.mark.parametrize(
    "first16, fault, position",
    [
        ("X132058300000001", "authority", "1"),
        ("9432058300000001", "category", "2"),
        ("91A2058300000001", "division", "3-8"),
        ("9199058300000001", "division", "3-4"),
        ("9132998300000001", "division", "5-6"),
    ],
)
def test_each_position_is_named_on_the_api_and_the_pages(
    live, first16: str, fault: str, position: str
) -> None:
    code = uscc.complete(first16)
    check = live.get(f"/api/v1/uscc/{full_width(code)}").json()
    assert not check["valid"] and check["code"] == code
    assert [(f["code"], f["position"]) for f in check["faults"]] == [(fault, position)]
    assert check["faults"][0]["message"] and check["faults"][0]["message_en"]
    errors = _problem(live.get(f"/api/v1/enterprises/{code}"), fault)
    assert f"第 {position.split('-')[0]}" in errors[0]["message"]
    page = live.get("/uscc", params={"code": code}).text
    # The position in words, never the fault's code (issue 17 item 6).
    assert "代码无效" in page and f"第 {position} 位</strong>：" in page
    assert f"· {fault}" not in page
    hint = live.get("/search", params={"q": code}).text
    assert "这像是统一社会信用代码，但未通过校验" in hint and f"第 {position} 位" in hint


def test_a_valid_code_outside_jiangsu_is_valid_with_a_note(live) -> None:
    check = live.get("/api/v1/uscc/91110000600037341L").json()
    assert check["valid"] and not check["in_jiangsu"]
    assert check["authority"]["code"] == "9" and check["category"]["name"] == "企业"
    assert check["province_name"] == "北京市"
    assert [(n["code"], n["position"]) for n in check["notes"]] == [("not_jiangsu", "3-8")]
    assert "valid code, but" in check["notes"][0]["message_en"]


def test_input_bodies_fold_codes_and_name_positions(live, app_ctx) -> None:
    parties = make_parties()
    r = live.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=parties.clients["reg_in"].basic(),
    )
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    from credit import clock

    body = {
        "uscc": full_width(parties.owner_uscc.lower()),
        "category": "false_advertising",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕1501号",
        "legal_basis": "《反不正当竞争法》第八条",
        "facts": "在商品详情页作虚假宣传",
        "penalty_type": "fine",
        "penalty_amount": 20000,
        "decision_date": clock.today().isoformat(),
    }
    r = live.post("/api/v1/violations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["uscc"] == parties.owner_uscc
    code = parties.owner_uscc
    bad = code[:8] + "ﬀ" + code[10:]
    errors = _problem(
        live.post(
            "/api/v1/violations",
            json={**body, "uscc": bad, "decision_number": "苏市监罚〔2026〕1502号"},
            headers=headers,
        ),
        None,
        None,
    )
    assert [e["field"] for e in errors] == ["uscc", "uscc"]
    assert "18" in errors[0]["message"] and "第 9 位" in errors[1]["message"]
