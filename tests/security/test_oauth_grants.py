"""The authorization server's grants, hardened per RFC 9700."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.parties import (
    REDIRECT,
    authorize,
    bearer,
    client_token,
    code_from,
    login,
    pkce_pair,
    redeem,
)

PROTECTED = "/api/v1/enterprises/{uscc}/contact"


def test_client_credentials_token_has_configured_lifetime(client, parties, clean_app) -> None:
    c = parties.clients["owner"]
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=c.basic())
    body = r.get_json()
    assert r.status_code == 200
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == clean_app.config["CREDIT_ACCESS_TOKEN_TTL"] <= 3600
    assert body["access_token"].startswith("jsct_at_")
    assert "refresh_token" not in body
    assert r.headers["Cache-Control"] == "private, no-store"  # RFC 6749 §5.1: no-store


def test_scope_is_limited_to_what_the_client_holds(client, parties) -> None:
    c = parties.clients["owner"]
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "enterprises:read violations:write"},
        headers=c.basic(),
    )
    assert r.status_code == 400 or "violations:write" not in r.get_json().get("scope", "")


def test_wrong_secret_is_refused(client, parties) -> None:
    c = parties.clients["owner"]
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(c.client_id, "jscs_wrong")
    )
    assert r.status_code == 401
    assert r.get_json()["error"] == "invalid_client"


def test_password_grant_is_rejected(client, parties) -> None:
    c = parties.clients["console"]
    r = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "staff-a", "password": "x"},
        headers=c.basic(),
    )
    assert r.status_code == 400
    assert r.get_json()["error"] == "unsupported_grant_type"


def test_implicit_response_type_is_rejected(client, parties) -> None:
    login(client)
    _, challenge = pkce_pair()
    r = client.get(
        "/oauth/authorize",
        query_string={
            "response_type": "token",
            "client_id": parties.clients["console"].client_id,
            "redirect_uri": REDIRECT,
            "scope": "enterprises:read",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert r.status_code in {302, 400}
    if r.status_code == 302:
        assert r.headers["Location"].startswith(REDIRECT)
        assert "unsupported_response_type" in r.headers["Location"]
    else:
        assert "unsupported_response_type" in r.get_data(as_text=True)


def test_authorization_code_with_pkce_s256(client, parties, clean_app) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    resp = authorize(
        client,
        parties.clients["console"],
        challenge,
        scope="enterprises:read enterprises:write violations:write",
    )
    assert resp.status_code == 302
    assert "state=xyz" in resp.headers["Location"]
    r = redeem(client, parties.clients["console"], code_from(resp), verifier)
    body = r.get_json()
    assert r.status_code == 200, body
    assert body["expires_in"] == clean_app.config["CREDIT_ACCESS_TOKEN_TTL"]
    assert body["refresh_token"].startswith("jsct_rt_")
    # The user holds no violations:write, so the token does not either.
    assert set(body["scope"].split()) == {"enterprises:read", "enterprises:write"}
    contact = client.get(
        PROTECTED.format(uscc=parties.owner_uscc), headers=bearer(body["access_token"])
    )
    assert contact.status_code == 200


def test_pkce_plain_is_rejected(client, parties) -> None:
    login(client)
    verifier, _ = pkce_pair()
    r = authorize(
        client, parties.clients["console"], verifier, extra={"code_challenge_method": "plain"}
    )
    assert r.status_code in {302, 400}
    text = r.headers.get("Location", "") + r.get_data(as_text=True)
    assert "invalid_request" in text and "code=" not in r.headers.get("Location", "")


def test_missing_challenge_is_rejected(client, parties) -> None:
    login(client)
    params = {
        "response_type": "code",
        "client_id": parties.clients["console"].client_id,
        "redirect_uri": REDIRECT,
        "scope": "enterprises:read",
        "state": "s",
    }
    r = client.get("/oauth/authorize", query_string=params)
    assert r.status_code in {302, 400}
    text = r.headers.get("Location", "") + r.get_data(as_text=True)
    assert "invalid_request" in text


def test_wrong_or_missing_verifier_is_rejected(client, parties) -> None:
    login(client)
    _, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    other_verifier, _ = pkce_pair()
    assert redeem(client, parties.clients["console"], code, other_verifier).status_code == 400
    login(client)
    code = code_from(authorize(client, parties.clients["console"], challenge))
    r = redeem(client, parties.clients["console"], code, None)
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_request"


def test_code_cannot_be_redeemed_twice(client, parties) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    first = redeem(client, parties.clients["console"], code, verifier)
    assert first.status_code == 200
    second = redeem(client, parties.clients["console"], code, verifier)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    # The replay revokes what the code produced (RFC 6749 §4.1.2).
    r = client.get(
        PROTECTED.format(uscc=parties.owner_uscc), headers=bearer(first.get_json()["access_token"])
    )
    assert r.status_code == 401


def test_code_expires_within_ten_minutes(client, parties, frozen_clock) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    frozen_clock.advance(600)
    r = redeem(client, parties.clients["console"], code, verifier)
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_grant"


def test_code_bound_to_its_client(client, parties) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    r = redeem(client, parties.clients["owner"], code, verifier)
    assert r.status_code in {400, 401}


def test_expired_access_token_is_refused(client, parties, clean_app, frozen_clock) -> None:
    token = client_token(client, parties.clients["owner"])
    url = PROTECTED.format(uscc=parties.owner_uscc)
    assert client.get(url, headers=bearer(token)).status_code == 200
    frozen_clock.advance(clean_app.config["CREDIT_ACCESS_TOKEN_TTL"] + 1)
    r = client.get(url, headers=bearer(token))
    assert r.status_code == 401
    assert r.content_type == "application/problem+json"
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_revoked_token_is_refused_on_next_request(client, parties) -> None:
    c = parties.clients["owner"]
    token = client_token(client, c)
    url = PROTECTED.format(uscc=parties.owner_uscc)
    assert client.get(url, headers=bearer(token)).status_code == 200
    r = client.post("/oauth/revoke", data={"token": token}, headers=c.basic())
    assert r.status_code == 200
    assert client.get(url, headers=bearer(token)).status_code == 401


def test_revocation_of_another_clients_token_fails(client, parties) -> None:
    token = client_token(client, parties.clients["owner"])
    r = client.post(
        "/oauth/revoke", data={"token": token}, headers=parties.clients["other"].basic()
    )
    assert r.status_code == 400
    url = PROTECTED.format(uscc=parties.owner_uscc)
    assert client.get(url, headers=bearer(token)).status_code == 200


def test_revoking_an_unknown_token_is_200(client, parties) -> None:
    r = client.post(
        "/oauth/revoke", data={"token": "jsct_at_unknown"}, headers=parties.clients["owner"].basic()
    )
    assert r.status_code == 200


def test_refresh_rotates_and_replay_revokes_the_family(client, parties) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    first = redeem(client, parties.clients["console"], code, verifier).get_json()
    console = parties.clients["console"]
    r = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=console.basic(),
    )
    second = r.get_json()
    assert r.status_code == 200
    assert second["refresh_token"] != first["refresh_token"]
    url = PROTECTED.format(uscc=parties.owner_uscc)
    assert client.get(url, headers=bearer(second["access_token"])).status_code == 200
    # Replay the old refresh token: refused, and the successor dies with it.
    replay = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=console.basic(),
    )
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert client.get(url, headers=bearer(second["access_token"])).status_code == 401
    again = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        headers=console.basic(),
    )
    assert again.status_code == 400


def test_refresh_family_has_an_absolute_lifetime(client, parties, clean_app, frozen_clock) -> None:
    login(client)
    verifier, challenge = pkce_pair()
    code = code_from(authorize(client, parties.clients["console"], challenge))
    first = redeem(client, parties.clients["console"], code, verifier).get_json()
    frozen_clock.advance(clean_app.config["CREDIT_REFRESH_TOKEN_TTL"] + 1)
    r = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=parties.clients["console"].basic(),
    )
    assert r.status_code == 400


def test_introspection_is_for_internal_clients_only(client, parties) -> None:
    token = client_token(client, parties.clients["owner"])
    r = client.post(
        "/oauth/introspect", data={"token": token}, headers=parties.clients["other"].basic()
    )
    assert r.status_code in {401, 403}
    assert "active" not in (r.get_json() or {})
    r = client.post(
        "/oauth/introspect", data={"token": token}, headers=parties.clients["internal"].basic()
    )
    body = r.get_json()
    assert r.status_code == 200 and body["active"] is True
    assert body["client_id"] == parties.clients["owner"].client_id
    r = client.post(
        "/oauth/introspect",
        data={"token": "jsct_at_nope"},
        headers=parties.clients["internal"].basic(),
    )
    assert r.get_json() == {"active": False}


def test_metadata_document(client) -> None:
    body = client.get("/.well-known/oauth-authorization-server").get_json()
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["response_types_supported"] == ["code"]
    assert "password" not in body["grant_types_supported"]
    assert "implicit" not in body["grant_types_supported"]
    assert body["token_endpoint"].endswith("/oauth/token")
    assert body["revocation_endpoint"].endswith("/oauth/revoke")
    assert body["introspection_endpoint"].endswith("/oauth/introspect")
    assert urlparse(body["issuer"]).scheme in {"http", "https"}


def test_disabled_client_loses_its_tokens(client, parties, clean_app) -> None:
    c = parties.clients["owner"]
    token = client_token(client, c)
    result = clean_app.test_cli_runner().invoke(args=["credit", "clients", "disable", c.client_id])
    assert result.exit_code == 0, result.output
    url = PROTECTED.format(uscc=parties.owner_uscc)
    assert client.get(url, headers=bearer(token)).status_code == 401
    r = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=c.basic())
    assert r.status_code == 401
