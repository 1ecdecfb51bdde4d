"""The webhook endpoints API: register (secret once), list, read, change, delete; another
subscriber's endpoint does not exist for a caller; field errors as problem+json; the URL
checks of SECURITY H10 at registration."""

from __future__ import annotations

import base64

import pytest

from tests.webhooks.conftest import auth

URL = "http://127.0.0.1:9/hook"
BODY = {"url": URL, "event_types": ["violation.published", "grade.changed"]}


def _create(client, headers, **extra):
    return client.post("/api/v1/webhooks", json={**BODY, **extra}, headers=headers)


def test_register_returns_the_secret_once(client, subscribers, allow_loopback) -> None:
    headers = auth(client, subscribers.first)
    r = _create(
        client,
        headers,
        filters={
            "cities": [subscribers.parties.owner_city],
            "usccs": [subscribers.parties.owner_uscc],
        },
        description="风控系统",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert r.headers["Location"] == f"/api/v1/webhooks/{body['id']}"
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert body["filters"]["usccs"] == [subscribers.parties.owner_uscc]
    assert body["enabled"] is True and body["disabled_reason"] is None

    one = client.get(r.headers["Location"], headers=headers)
    assert one.status_code == 200
    listed = client.get("/api/v1/webhooks", headers=headers).get_json()["items"]
    assert [e["id"] for e in listed] == [body["id"]]
    # Never again: not in the read, the list or anything else the subscriber can fetch.
    for text in (one.get_data(as_text=True), str(listed)):
        assert secret not in text and "secret" not in text


def test_another_subscriber_sees_nothing(client, subscribers, allow_loopback) -> None:
    mine = auth(client, subscribers.first)
    theirs = auth(client, subscribers.second)
    endpoint = _create(client, mine).get_json()
    url = f"/api/v1/webhooks/{endpoint['id']}"
    assert client.get("/api/v1/webhooks", headers=theirs).get_json()["items"] == []
    for method, kwargs in (
        ("GET", {}),
        ("PATCH", {"json": {"description": "x"}, "headers": {"If-Match": '"1"'}}),
        ("DELETE", {}),
    ):
        headers = {**theirs, **kwargs.pop("headers", {})}
        r = client.open(url, method=method, headers=headers, **kwargs)
        assert r.status_code == 404, (method, r.get_data(as_text=True))
        assert r.content_type == "application/problem+json"
    r = client.get(url + "/deliveries", headers=theirs)
    assert r.status_code == 404
    # Still there for its owner.
    assert client.get(url, headers=mine).status_code == 200


def test_a_firm_token_cannot_manage_webhooks(client, subscribers) -> None:
    from tests.parties import bearer, client_token

    firm = bearer(client_token(client, subscribers.parties.clients["owner"]))
    r = client.post("/api/v1/webhooks", json=BODY, headers=firm)
    assert r.status_code == 403


def test_update_needs_if_match_and_delete_removes(client, subscribers, allow_loopback) -> None:
    headers = auth(client, subscribers.first)
    created = _create(client, headers)
    url = created.headers["Location"]
    r = client.patch(url, json={"description": "新说明"}, headers=headers)
    assert r.status_code == 428
    r = client.patch(url, json={"description": "新说明"}, headers={**headers, "If-Match": '"7"'})
    assert r.status_code == 412
    r = client.patch(
        url,
        json={"description": "新说明", "event_types": ["pledge.published"], "enabled": False},
        headers={**headers, "If-Match": created.headers["ETag"]},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["event_types"] == ["pledge.published"] and body["enabled"] is False
    assert body["disabled_reason"]
    r = client.patch(
        url, json={"enabled": True}, headers={**headers, "If-Match": r.headers["ETag"]}
    )
    assert r.get_json()["enabled"] is True and r.get_json()["disabled_reason"] is None
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": URL}, "event_types"),
        ({"event_types": ["grade.changed"]}, "url"),
        ({**BODY, "event_types": ["grade.exploded"]}, "event_types.0"),
        ({**BODY, "event_types": []}, "event_types"),
        ({**BODY, "event_types": ["grade.changed", "grade.changed"]}, "event_types"),
        ({**BODY, "filters": {"cities": ["110000"]}}, "filters.cities.0"),
        ({**BODY, "filters": {"usccs": ["91320000ABCDEFGH12"]}}, "filters.usccs.0"),
        ({**BODY, "filters": {"colour": "red"}}, "filters.colour"),
        ({**BODY, "secret": "whsec_mine"}, "secret"),
        ({**BODY, "url": "x" * 501}, "url"),
        ({**BODY, "url": 7}, "url"),
    ],
)
def test_bad_input_is_a_field_error(client, subscribers, allow_loopback, body, field) -> None:
    r = client.post("/api/v1/webhooks", json=body, headers=auth(client, subscribers.first))
    assert r.status_code in {400, 422}, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    assert field in [e["field"] for e in r.get_json()["errors"]], r.get_json()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://hooks.example.com/x", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("gopher://hooks.example.com/", "scheme_not_allowed"),
        ("http://user:pass@hooks.example.com/x", "credentials_not_allowed"),
        ("http://127.0.0.1:8000/admin", "address_not_allowed"),
        ("http://10.0.0.8/hook", "address_not_allowed"),
        ("http://192.168.1.1/hook", "address_not_allowed"),
        ("http://169.254.169.254/latest/meta-data/", "address_not_allowed"),
        ("http://[::1]:8000/hook", "address_not_allowed"),
        ("http://[::ffff:10.0.0.1]/hook", "address_not_allowed"),
        ("http://localhost:8000/hook", "address_not_allowed"),
        ("http://2130706433/hook", "address_not_allowed"),  # 127.0.0.1 as one number
        ("http://0.0.0.0:8000/hook", "address_not_allowed"),
    ],
)
def test_ssrf_targets_are_refused(client, subscribers, url: str, code: str) -> None:
    """Without an allow-list: every URL that is not http(s) to a public address."""
    r = client.post(
        "/api/v1/webhooks", json={**BODY, "url": url}, headers=auth(client, subscribers.first)
    )
    assert r.status_code == 400, r.get_data(as_text=True)
    errors = r.get_json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("url", code)]


def test_the_allow_list_admits_a_loopback_host(client, subscribers, monkeypatch) -> None:
    headers = auth(client, subscribers.first)
    body = {**BODY, "url": "http://localhost:8000/hook"}
    assert client.post("/api/v1/webhooks", json=body, headers=headers).status_code == 400
    monkeypatch.setitem(client.application.config, "CREDIT_WEBHOOK_ALLOW_HOSTS", "localhost")
    assert client.post("/api/v1/webhooks", json=body, headers=headers).status_code == 201
    # A PATCH to another private host is checked the same way.
    listed = client.get("/api/v1/webhooks", headers=headers).get_json()["items"][0]
    r = client.patch(
        f"/api/v1/webhooks/{listed['id']}",
        json={"url": "http://10.1.1.1/"},
        headers={**headers, "If-Match": f'"{listed["version"]}"'},
    )
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["code"] == "address_not_allowed"


def test_a_public_name_is_accepted(client, subscribers, monkeypatch) -> None:
    """A name resolving to public addresses only is registered (the resolver plays DNS:
    this machine has no outside network)."""
    import ipaddress

    from credit.webhooks import addresses

    monkeypatch.setattr(
        addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")]
    )
    r = client.post(
        "/api/v1/webhooks",
        json={**BODY, "url": "https://hooks.example.com/credit"},
        headers=auth(client, subscribers.first),
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    # A name resolving to a public and a private address is refused as a whole.
    monkeypatch.setattr(
        addresses,
        "resolve",
        lambda host, port: [
            ipaddress.ip_address("93.184.215.14"),
            ipaddress.ip_address("10.0.0.1"),
        ],
    )
    r = client.post(
        "/api/v1/webhooks",
        json={**BODY, "url": "https://mixed.example.com/credit"},
        headers=auth(client, subscribers.first),
    )
    assert r.status_code == 400


def test_the_cli_creates_a_subscriber_client(clean_app) -> None:
    import json

    runner = clean_app.test_cli_runner()
    result = runner.invoke(
        args=[
            "credit",
            "clients",
            "create",
            "--kind",
            "subscriber",
            "--name",
            "风控系统",
            "--scopes",
            "webhooks:manage",
        ]
    )
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["kind"] == "subscriber" and made["scopes"] == ["webhooks:manage"]
    # A subscriber holds nothing else.
    result = runner.invoke(
        args=[
            "credit",
            "clients",
            "create",
            "--kind",
            "subscriber",
            "--name",
            "越权",
            "--scopes",
            "webhooks:manage violations:write",
        ]
    )
    assert result.exit_code != 0


def test_endpoints_per_subscriber_are_bounded(client, subscribers, allow_loopback) -> None:
    from credit.webhooks.service import MAX_ENDPOINTS

    headers = auth(client, subscribers.first)
    for _ in range(MAX_ENDPOINTS):
        assert _create(client, headers).status_code == 201
    r = _create(client, headers)
    assert r.status_code == 409 and r.content_type == "application/problem+json"
    # Another subscriber's count is its own.
    assert _create(client, auth(client, subscribers.second)).status_code == 201


def test_deleting_an_endpoint_removes_its_deliveries(client, subscribers, allow_loopback) -> None:
    from tests.parties import make_violation
    from tests.webhooks.helpers import deliveries

    headers = auth(client, subscribers.first)
    endpoint = _create(client, headers).get_json()
    make_violation(subscribers.parties)
    assert "violation.published" in [d.event_type for d in deliveries(endpoint["id"])]
    assert client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=headers).status_code == 204
    assert deliveries(endpoint["id"]) == []
