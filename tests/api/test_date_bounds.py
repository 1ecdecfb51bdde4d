"""Every date a client can send is refused out of its domain bound with a 400
problem+json naming the field: the REST API (bodies, a platform's batch, query filters,
rating replays), the consoles' forms and the CSV import."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from credit import clock, dates, uscc
from tests.parties import bearer, client_token, make_parties, pledge_body, seed_templates

FAR = "9999-12-31"


def tomorrow() -> str:
    return (clock.today() + timedelta(days=1)).isoformat()


def before_rules() -> str:
    return (dates.earliest_record() - timedelta(days=1)).isoformat()


@pytest.fixture
def parties(app_ctx):
    p = make_parties()
    p.templates = seed_templates()
    return p


@pytest.fixture
def owner(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["owner"]))


@pytest.fixture
def reg_in(client, parties) -> dict[str, str]:
    return bearer(client_token(client, parties.clients["reg_in"]))


def assert_refused(r, field: str, location: str = "json") -> None:
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    errors = r.get_json()["errors"]
    named = [e for e in errors if e["field"] == field]
    assert named, errors
    assert named[0]["location"] in {location, "body", "query"}
    message = named[0]["message"]
    # In the request's language: Chinese by default (the batch answer below keeps both).
    assert re.search(r"[\u4e00-\u9fff]", message) and "must be" not in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("valid_until", FAR),
        ("valid_from", "9995-01-01"),
        ("valid_from", "2020-01-01"),
        ("valid_until", "1999-12-31"),
    ],
)
def test_a_pledge_with_dates_out_of_bounds_is_refused(client, parties, owner, field, value):
    body = pledge_body(parties.templates["ECOM-STD"], **{field: value})
    if field == "valid_from":
        body["valid_until"] = value  # only the start is out of bounds
    assert_refused(client.post("/api/v1/pledges", json=body, headers=owner), field)


def test_a_draft_cannot_be_patched_to_a_far_date(client, parties, owner):
    body = pledge_body(parties.templates["ECOM-STD"])
    created = client.post("/api/v1/pledges", json=body, headers=owner)
    assert created.status_code == 201
    r = client.patch(
        f"/api/v1/pledges/{created.get_json()['id']}",
        json={"valid_until": FAR},
        headers={**owner, "If-Match": created.headers["ETag"]},
    )
    assert_refused(r, "valid_until")


def test_a_platform_batch_item_with_a_far_date_is_refused_alone(client, parties, owner):
    good = {**pledge_body(parties.templates["ECOM-STD"]), "uscc": parties.owner_uscc}
    r = client.post(
        "/api/v1/pledges/batch",
        json={"items": [{**good, "valid_until": FAR}]},
        headers=owner,
    )
    assert r.status_code == 200
    [item] = r.get_json()["results"]
    assert item["status"] == 400
    assert [e["field"] for e in item["errors"]] == ["valid_until"]
    assert "must be" in item["errors"][0]["message"]


def _violation(parties, **overrides):
    return {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕901号",
        "legal_basis": "《电子商务法》第十七条",
        "facts": "组织虚假交易",
        "penalty_type": "warning",
        "decision_date": clock.today().isoformat(),
        **overrides,
    }


@pytest.mark.parametrize("value", [tomorrow, before_rules, lambda: FAR, lambda: "0001-01-01"])
def test_a_decision_date_out_of_bounds_is_refused(client, parties, reg_in, value):
    r = client.post(
        "/api/v1/violations", json=_violation(parties, decision_date=value()), headers=reg_in
    )
    assert_refused(r, "decision_date")


def test_the_first_day_of_the_rules_is_accepted(client, parties, reg_in):
    first = dates.earliest_record().isoformat()
    r = client.post(
        "/api/v1/violations", json=_violation(parties, decision_date=first), headers=reg_in
    )
    assert r.status_code == 201, r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [("listed_on", tomorrow), ("listed_on", before_rules), ("remove_on", lambda: FAR)],
)
def test_a_serious_list_entry_out_of_bounds_is_refused(client, parties, reg_in, field, value):
    body = {
        "uscc": parties.owner_uscc,
        "legal_basis": "《严重违法失信名单管理办法》",
        "reason": "拒不履行",
        "listed_on": clock.today().isoformat(),
        "remove_on": (clock.today() + timedelta(days=3 * 365)).isoformat(),
        field: value(),
    }
    assert_refused(client.post("/api/v1/serious-list", json=body, headers=reg_in), field)


@pytest.mark.parametrize(
    ("field", "value"),
    [("valid_until", lambda: FAR), ("granted_on", tomorrow), ("granted_on", before_rules)],
)
def test_a_commendation_out_of_bounds_is_refused(client, parties, reg_in, field, value):
    body = {
        "uscc": parties.owner_uscc,
        "title": "江苏省电子商务示范企业",
        "legal_basis": "省商务厅认定",
        "granted_on": clock.today().isoformat(),
        "valid_until": (clock.today() + timedelta(days=365)).isoformat(),
        field: value(),
    }
    assert_refused(client.post("/api/v1/commendations", json=body, headers=reg_in), field)


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/api/v1/search", "date_from", "0001-01-01"),
        ("/api/v1/search", "date_to", FAR),
        ("/api/v1/pledges", "published_from", "0001-01-01"),
        ("/api/v1/pledges", "published_to", FAR),
        ("/api/v1/violations", "decided_from", "1900-01-01"),
        ("/api/v1/violations", "decided_to", FAR),
        ("/api/v1/regulator/statistics", "decided_to", FAR),
        ("rating", "as_of", "1999-12-31"),
        ("rating", "as_of", tomorrow),
        ("explain", "as_of", FAR),
    ],
)
def test_date_filters_are_bounded(client, parties, reg_in, path, field, value):
    value = value() if callable(value) else value
    if path in {"rating", "explain"}:
        path = f"/api/v1/enterprises/{parties.owner_uscc}/rating" + (
            "/explain" if path == "explain" else ""
        )
    r = client.get(path, query_string={field: value}, headers=reg_in)
    assert_refused(r, field, "query")


def test_the_public_search_page_refuses_a_far_date(client, parties):
    r = client.get("/search", query_string={"q": "有限", "date_to": FAR})
    assert r.status_code == 400
    # The page's language only: Chinese here, English with ?lang=en.
    assert "must be from" not in r.get_data(as_text=True)
    en = client.get("/search", query_string={"q": "有限", "date_to": FAR, "lang": "en"})
    assert en.status_code == 400 and "must be from" in en.get_data(as_text=True)


def test_csv_import_refuses_absurd_registration_dates(app_ctx, tmp_path: Path):
    import json

    header = ["uscc", "name", "operator_type", "industry", "registration_date"]
    days = ["1949-09-30", tomorrow(), "1949-10-01", clock.today().isoformat()]
    rows = [
        [uscc.complete(f"913205830000000{n}"), f"昆山{n}号食品有限公司", "on_platform", "food", day]
        for n, day in enumerate(days, 1)
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path = tmp_path / "dates.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    report = tmp_path / "report.csv"
    result = app_ctx.test_cli_runner().invoke(
        args=["credit", "import-enterprises", str(path), "--report", str(report)]
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout.splitlines()[0])["created"] == 2
    refused = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["line"], r["column"]) for r in refused] == [
        ("2", "registration_date"),
        ("3", "registration_date"),
    ]
    assert all("1949-10-01" in r["reason"] for r in refused)


# -- the consoles load input with the same schemas ----------------------------------------
def test_consoles_refuse_far_dates(clean_app):
    from tests.pages.console_parties import make_console_parties, page, post, sign_in, sign_out

    with clean_app.app_context():
        cp = make_console_parties()
    client = clean_app.test_client()
    sign_in(client, "firm-a")
    new = page(client, "/console/firm/pledges/new")
    template_id = re.search(r'value="([^"]+)" id="template-ECOM-STD"', new).group(1)
    path = f"/console/firm/pledges/new?template={template_id}"
    form = page(client, path)
    r = post(
        client,
        "/console/firm/pledges/new",
        {
            "template_id": template_id,
            "clauses": re.findall(
                r'name="clauses" value="([^"]+)" id="clause-[^"]+" checked', form
            ),
            "valid_from": clock.today().isoformat(),
            "valid_until": FAR,
            "signer_name": "张三明",
            "signer_title": "总经理",
            "extra_commitments": "",
            "consent_to_publish": "yes",
        },
        status=400,
        csrf_from=path,
    )
    html = r.get_data(as_text=True)
    assert 'id="valid_until-error"' in html and "must be from" in html
    sign_out(client)

    sign_in(client, "reg-in")
    path = "/console/regulator/commendations/new"
    page(client, path)
    r = post(
        client,
        path,
        {
            "uscc": cp.owner_uscc,
            "title": "江苏省电子商务示范企业",
            "legal_basis": "省商务厅认定",
            "granted_on": clock.today().isoformat(),
            "valid_until": FAR,
        },
        status=400,
    )
    html = r.get_data(as_text=True)
    assert 'id="valid_until-error"' in html and "must be from" in html
