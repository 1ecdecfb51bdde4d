"""Route inventory, the authorization matrix, mass assignment, If-Match."""

from __future__ import annotations

import secrets

import pytest

from credit import clock
from tests.parties import bearer, client_token
from tests.security.test_organisation_access import in_area as in_organisation_area

# Endpoints registered by libraries (OpenAPI JSON, Swagger UI, static files).
LIBRARY_ENDPOINTS = {
    "static",
    "pages.static",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
}


def _views(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_ENDPOINTS or rule.endpoint.startswith("docs_assets."):
            continue
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_public_or_a_scope(clean_app) -> None:
    undeclared = [
        r.rule
        for r, view in _views(clean_app)
        if not getattr(view, "_credit_public", False) and not getattr(view, "_credit_scope", None)
    ]
    assert undeclared == []


def test_protected_routes_need_a_token_and_the_scope(any_client, clean_app, parties) -> None:
    client = any_client
    # A token whose client holds no scope at all: the operator's token minus its scopes.
    internal_token = client_token(client, parties.clients["internal"])
    # Console pages check the scope of the session's token, not a bearer header: they
    # redirect to sign in instead (tests/pages/test_console_signin.py covers them).
    protected = [
        (r, v)
        for r, v in _views(clean_app)
        if getattr(v, "_credit_scope", None) and not getattr(v, "_credit_console", False)
    ]
    assert protected, "no protected routes found"
    for rule, view in protected:
        url = rule.rule.replace("<string:uscc>", parties.owner_uscc).replace(
            "<uscc>", parties.owner_uscc
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            r = client.open(url, method=method, json={})
            assert r.status_code == 401, (method, url)
            assert r.content_type == "application/problem+json"
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
            r = client.open(url, method=method, json={}, headers=bearer(internal_token))
            assert r.status_code == 403, (method, url)
            assert r.content_type == "application/problem+json"
            assert view._credit_scope in r.get_json()["detail"]


def test_garbage_token_is_401(client, parties) -> None:
    r = client.get(
        f"/api/v1/enterprises/{parties.owner_uscc}/contact", headers=bearer("jsct_at_forged")
    )
    assert r.status_code == 401


# Every route with an {uscc} or {id}, the object it is tried on, and what each party may
# get. A new such route must be added here, or the completeness test fails.
ALL = ("owner", "other", "reg_out", "reg_in", "anonymous")


def _expect(owner, other, reg_out, reg_in, anonymous) -> dict:
    return dict(zip(ALL, (owner, other, reg_out, reg_in, anonymous), strict=True))


MATRIX = {
    # Webhook endpoints: their subscriber's alone (tests/webhooks/test_api.py tries the owner
    # and another subscriber); firms and regulators lack the scope.
    ("GET", "/api/v1/webhooks/<string:endpoint_id>"): ("webhook", _expect(403, 403, 403, 403, 401)),
    ("PATCH", "/api/v1/webhooks/<string:endpoint_id>"): (
        "webhook",
        _expect(403, 403, 403, 403, 401),
    ),
    ("DELETE", "/api/v1/webhooks/<string:endpoint_id>"): (
        "webhook",
        _expect(403, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/webhooks/<string:endpoint_id>/deliveries"): (
        "webhook",
        _expect(403, 403, 403, 403, 401),
    ),
    ("POST", "/api/v1/webhooks/<string:endpoint_id>/deliveries/<string:delivery_id>/redeliver"): (
        "webhook",
        _expect(403, 403, 403, 403, 401),
    ),
    # An import job: its authority's clients only; another authority is told it does not
    # exist; firms lack the scope.
    ("GET", "/api/v1/exchange/jobs/<string:job_id>"): (
        "import_job",
        _expect(403, 403, 404, 200, 401),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>"): ("enterprise", _expect(200, 200, 200, 200, 200)),
    ("GET", "/api/v1/enterprises/<string:uscc>/contact"): (
        "enterprise",
        _expect(200, 404, 404, 200, 401),
    ),
    ("PATCH", "/api/v1/enterprises/<string:uscc>"): (
        "enterprise",
        _expect(200, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/pledges"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    ("GET", "/api/v1/pledges/<string:pledge_id>"): ("draft", _expect(200, 404, 404, 404, 404)),
    ("PATCH", "/api/v1/pledges/<string:pledge_id>"): ("draft", _expect(200, 404, 403, 403, 401)),
    ("POST", "/api/v1/pledges/<string:pledge_id>/publish"): (
        "draft",
        _expect(200, 404, 403, 403, 401),
    ),
    ("POST", "/api/v1/pledges/<string:pledge_id>/amendments"): (
        "published",
        _expect(201, 403, 403, 403, 401),
    ),
    ("POST", "/api/v1/pledges/<string:pledge_id>/withdraw"): (
        "published",
        _expect(200, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/pledge-templates/<string:template_id>"): (
        "template",
        _expect(200, 200, 200, 200, 200),
    ),
    ("POST", "/api/v1/pledge-templates/<string:template_id>/publish"): (
        "template_draft",
        _expect(403, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/violations/<string:violation_id>"): (
        "violation",
        _expect(200, 200, 200, 200, 200),
    ),
    ("GET", "/api/v1/violations/<string:violation_id>#minor"): (
        "violation_minor",
        _expect(200, 404, 404, 200, 404),
    ),
    ("POST", "/api/v1/violations/<string:violation_id>/revocation"): (
        "violation",
        _expect(403, 403, 403, 200, 401),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/violations"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    ("POST", "/api/v1/violations/<string:violation_id>/corrections"): (
        "violation",
        _expect(403, 403, 403, 200, 401),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/standing"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    # The credit seal: the same image for everyone, whoever asks and whatever they send.
    ("GET", "/seal/<string:uscc>.svg"): ("enterprise", _expect(200, 200, 200, 200, 200)),
    ("GET", "/api/v1/enterprises/<string:uscc>/rating"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/rating/history"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/rating/explain"): (
        "enterprise",
        _expect(200, 200, 200, 200, 200),
    ),
    ("POST", "/api/v1/violations/<string:violation_id>/objections"): (
        "violation",
        _expect(201, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/objections/<string:objection_id>"): (
        "objection",
        _expect(200, 404, 404, 200, 404),
    ),
    ("POST", "/api/v1/objections/<string:objection_id>/decision"): (
        "objection",
        _expect(403, 403, 404, 200, 401),
    ),
    ("POST", "/api/v1/objections/<string:objection_id>/extension"): (
        "objection",
        _expect(403, 403, 404, 200, 401),
    ),
    ("POST", "/api/v1/violations/<string:violation_id>/repairs"): (
        "violation_repairable",
        _expect(201, 403, 403, 403, 401),
    ),
    ("GET", "/api/v1/repairs/<string:application_id>"): (
        "repair",
        _expect(200, 404, 404, 200, 404),
    ),
    ("POST", "/api/v1/repairs/<string:application_id>/decision"): (
        "repair",
        _expect(403, 403, 404, 200, 401),
    ),
    ("POST", "/api/v1/serious-list/<string:item_id>/removal"): (
        "listing",
        _expect(403, 403, 404, 200, 401),
    ),
    # Only a commerce department holding keyfirms:write (none of these parties; see
    # tests/keyfirms/test_api.py for the department inside and outside its jurisdiction).
    ("DELETE", "/api/v1/key-enterprises/<string:listing_id>"): (
        "key_listing",
        _expect(403, 403, 403, 403, 401),
    ),
}

BODIES = {
    "PATCH /api/v1/webhooks/<string:endpoint_id>": {"description": "新说明"},
    "PATCH /api/v1/enterprises/<string:uscc>": {"customer_service_email": "x@example.com"},
    "PATCH /api/v1/pledges/<string:pledge_id>": {"signer_title": "法定代表人"},
    "POST /api/v1/pledges/<string:pledge_id>/withdraw": {"reason": "业务调整，停止网店经营"},
    "POST /api/v1/violations/<string:violation_id>/revocation": {"reason": "复议撤销原决定"},
    "POST /api/v1/violations/<string:violation_id>/objections": {"reasons": "事实认定有误"},
    "POST /api/v1/violations/<string:violation_id>/corrections": {
        "field": "facts",
        "new_value": "更正后的事实",
        "reason": "笔误",
    },
    "POST /api/v1/objections/<string:objection_id>/decision": {
        "accepted": False,
        "reason": "维持原决定",
    },
    "POST /api/v1/objections/<string:objection_id>/extension": {"days": 5, "reason": "需调取数据"},
    "POST /api/v1/repairs/<string:application_id>/decision": {
        "accepted": True,
        "reason": "同意修复",
    },
    "DELETE /api/v1/key-enterprises/<string:listing_id>": {"reason": "不再符合列入条件"},
    "POST /api/v1/serious-list/<string:item_id>/removal": {
        "ground": "error",
        # Read when the request is made: a run crossing midnight in Beijing (16:00 UTC)
        # lists the firm on the new day, and a removal dated the day before is refused.
        "removed_on": lambda: clock.today().isoformat(),
        "reason": "列入对象错误",
    },
}
ACTIONS = (
    "/publish",
    "/amendments",
    "/withdraw",
    "/revocation",
    "/corrections",
    "/extension",
    "/decision",
)


def test_matrix_covers_every_object_route(clean_app) -> None:
    routes = {
        (m, r.rule)
        for r, _ in _views(clean_app)
        for m in r.methods - {"HEAD", "OPTIONS"}
        if "<" in r.rule
        and r.rule.startswith(("/api/", "/seal/"))
        and ("uscc>" in r.rule or "id>" in r.rule)
        and not r.rule.startswith("/api/v1/uscc")
        and not in_organisation_area(r.rule)  # tests/security/test_organisation_access.py
    }
    assert routes == {(m, rule.split("#")[0]) for m, rule in MATRIX}


def _workflow_target(kind: str, parties) -> tuple[dict, dict]:
    """A violation past its minimum period with a repair pledge, an objection, or a repair
    application; returns (extra body, URL parameters)."""
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.parties import make_pledge, make_violation, owner_identity, seed_templates

    seed_templates()
    v = make_violation(parties, days_ago=120)
    owner = owner_identity(parties.owner_uscc)
    repair_pledge = make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    if kind == "violation_repairable":
        return {"pledge_id": repair_pledge.id, "statement": "已整改到位"}, {"violation_id": v.id}
    with unit_of_work() as uow:
        if kind == "objection":
            item = workflow.file_objection(owner, uow, v.id, "事实认定有误", [])
            return {}, {"objection_id": item.id}
        item = workflow.apply_for_repair(owner, uow, v.id, repair_pledge.id, "已整改")
    return {}, {"application_id": item.id}


def _listing(parties) -> str:
    """A serious-list entry of the owner made by the regulator over its city."""
    from datetime import timedelta

    import sqlalchemy as sa

    from credit.accounts.models import Authority
    from credit.extensions import db
    from credit.identity import Identity, IdentityKind
    from credit.uow import unit_of_work
    from credit.violations import registry

    authority = db.session.scalar(sa.select(Authority).where(Authority.code == "IN"))
    regulator = Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=authority.id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset(authority.jurisdiction),
    )
    with unit_of_work() as uow:
        return registry.list_on_serious_list(
            regulator,
            uow,
            {
                "uscc": parties.owner_uscc,
                "legal_basis": f"《市场监督管理严重违法失信名单管理办法》 {secrets.token_hex(4)}",
                "reason": "一年内两次受到较重行政处罚",
                "listed_on": clock.today(),
                "remove_on": clock.today() + timedelta(days=365),
            },
        ).id


def _webhook() -> dict[str, str]:
    """An endpoint of a subscriber (none of the matrix's parties) with one delivery."""
    from credit.identity import Identity, IdentityKind
    from credit.uow import unit_of_work
    from credit.webhooks import service
    from credit.webhooks.models import WebhookDelivery

    subscriber = Identity(
        IdentityKind.SUBSCRIBER, "client:subscriber", scopes=frozenset({"webhooks:manage"})
    )
    data = {"url": "http://127.0.0.1:9/hook", "event_types": ["grade.changed"]}
    with unit_of_work(keep_loaded=True) as uow:
        endpoint = service.create_endpoint(subscriber, uow, data, frozenset({"127.0.0.1"}))
        endpoint = endpoint.endpoint
        uow.session.flush()
        now = clock.now()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=f"msg_{secrets.token_hex(8)}",
            event_type="grade.changed",
            payload={},
            status="failed",
            attempts=1,
            window_started_at=now,
            created_at=now,
        )
        uow.session.add(delivery)
    return {"endpoint_id": endpoint.id, "delivery_id": delivery.id}


def _key_listing(parties) -> str:
    """The owner on the key-enterprise list (made once per test by its city's commerce
    department)."""
    import sqlalchemy as sa

    from credit.extensions import db
    from credit.keyfirms.models import KeyListing
    from tests.keyfirms.helpers import add, make_department

    existing = db.session.scalar(sa.select(KeyListing.id))
    return existing or add(make_department(parties.owner_city), parties.owner_uscc).id


def _target(kind: str, parties) -> tuple[dict | str, dict]:
    """A fresh object of this kind; returns the URL parameters that name it."""
    from credit.identity import SYSTEM
    from credit.pledges import service as pledges
    from credit.uow import unit_of_work
    from tests.parties import make_pledge, seed_templates

    if kind == "enterprise":
        return "", {"uscc": parties.owner_uscc}
    if kind == "import_job":
        from credit.exchange import jobs
        from credit.exchange.penalty_import import Upload
        from tests.parties import regulator_identity

        with unit_of_work() as uow:
            job = jobs.queue_penalty_import(regulator_identity(), uow, Upload([], []))
        return "", {"job_id": job.id}
    if kind == "listing":
        return "", {"item_id": _listing(parties)}
    if kind == "webhook":
        return "", _webhook()
    if kind == "key_listing":
        return "", {"listing_id": _key_listing(parties)}
    if kind in {"objection", "repair", "violation_repairable"}:
        return _workflow_target(kind, parties)
    if kind.startswith("violation"):
        from tests.parties import make_violation

        severity = "minor" if kind == "violation_minor" else "general"
        return "", {"violation_id": make_violation(parties, severity).id}
    if kind in {"draft", "published"}:
        return "", {"pledge_id": make_pledge(parties.owner_uscc, kind == "published").id}
    template = seed_templates()["ECOM-STD"]
    if kind == "template":
        return "", {"template_id": template.id}
    with unit_of_work() as uow:
        draft = pledges.create_template(
            SYSTEM,
            uow,
            {
                "code": "NEW",
                "type": "voluntary_public",
                "title": "新模板",
                "title_en": "New",
                "preamble": "承诺如下：",
                "preamble_en": "We pledge:",
                "clauses": template.clauses,
            },
        )
    return "", {"template_id": draft.id}


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_authorization_matrix(any_client, parties, route) -> None:
    client = any_client
    method, rule = route
    kind, expectations = MATRIX[route]
    rule = rule.split("#")[0]  # a "#variant" tries the same route on another object
    for party, expected in expectations.items():
        extra, params = _target(kind, parties)
        url = rule
        for name, value in params.items():
            url = url.replace(f"<string:{name}>", value)
        headers = (
            {} if party == "anonymous" else bearer(client_token(client, parties.clients[party]))
        )
        body = {
            name: value() if callable(value) else value
            for name, value in BODIES.get(f"{method} {rule}", {}).items()
        }
        body.update(extra if isinstance(extra, dict) else {})
        kwargs: dict = {"json": body} if method != "GET" else {}
        if method in {"PATCH", "POST"}:
            base = url
            for action in ACTIONS:
                base = base.split(action)[0]
            owner_view = client.get(
                base, headers=bearer(client_token(client, parties.clients["owner"]))
            )
            if "ETag" in owner_view.headers:
                headers["If-Match"] = owner_view.headers["ETag"]
        r = client.open(url, method=method, headers=headers, **kwargs)
        assert r.status_code == expected, (party, method, url, r.get_data(as_text=True))
        if expected >= 400:
            assert r.content_type == "application/problem+json"
            assert "customer_service" not in r.get_data(as_text=True)


def _owner_patch(client, parties, body: dict, etag: str | None = "current"):
    url = f"/api/v1/enterprises/{parties.owner_uscc}"
    headers = bearer(client_token(client, parties.clients["owner"]))
    if etag == "current":
        etag = client.get(url).headers["ETag"]
    if etag is not None:
        headers["If-Match"] = etag
    return client.patch(url, json=body, headers=headers)


@pytest.mark.parametrize(
    "field",
    [
        "uscc",
        "name",
        "version",
        "id",
        "entity_type",
        "status",
        "city_code",
        "enterprise_id",
        "updated_at",
    ],
)
def test_server_owned_fields_are_rejected(client, parties, field: str) -> None:
    r = _owner_patch(client, parties, {field: "x", "customer_service_email": "a@example.com"})
    assert r.status_code == 400
    assert field in [e["field"] for e in r.get_json()["errors"]]


def test_owner_updates_shops_and_contact(client, parties) -> None:
    r = _owner_patch(
        client,
        parties,
        {
            "shops": [
                {"platform": "jd", "shop_name": "新开京东店", "url": "https://jd.example.com/x"}
            ],
            "customer_service_phone": "025-12345678",
            "customer_service_email": "service@example.com",
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert [s["shop_name"] for s in body["shops"]] == ["新开京东店"]
    assert r.headers["ETag"] == f'"{body["version"]}"'
    # Contact data stays out of the public view and the public index.
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert "customer_service_phone" not in public
    found = client.get("/api/v1/search", query_string={"q": "新开京东店"}).get_json()
    assert "025-12345678" not in str(found)


def test_if_match_is_required_and_checked(client, parties) -> None:
    r = _owner_patch(client, parties, {"customer_service_email": "a@example.com"}, etag=None)
    assert r.status_code == 428
    r = _owner_patch(client, parties, {"customer_service_email": "a@example.com"}, etag='"999"')
    assert r.status_code == 412


def test_two_editors_cannot_overwrite_each_other(client, parties) -> None:
    url = f"/api/v1/enterprises/{parties.owner_uscc}"
    etag = client.get(url).headers["ETag"]
    first = _owner_patch(client, parties, {"customer_service_email": "a@example.com"}, etag=etag)
    second = _owner_patch(client, parties, {"customer_service_email": "b@example.com"}, etag=etag)
    assert first.status_code == 200 and second.status_code == 412


def test_bad_contact_values_are_listed(client, parties) -> None:
    r = _owner_patch(
        client,
        parties,
        {"customer_service_email": "not-an-email", "customer_service_phone": "call me"},
    )
    assert r.status_code == 400
    assert {e["field"] for e in r.get_json()["errors"]} == {
        "customer_service_email",
        "customer_service_phone",
    }


@pytest.mark.parametrize("platform", [{}, [], 7, None, True])
def test_a_shop_platform_of_the_wrong_type_is_a_field_error(client, parties, platform) -> None:
    """Found by schemathesis over HTTP: an object as the platform was looked up in a dict
    of platform names and failed with a 500."""
    shop = {"platform": platform, "shop_name": "某店", "url": "https://shop.example.com/"}
    r = _owner_patch(client, parties, {"shops": [shop]})
    assert r.status_code == 400, r.get_data(as_text=True)
    assert [e["field"] for e in r.get_json()["errors"]] == ["shops.0.platform"]
