"""Absolute URLs come from CREDIT_PUBLIC_URL, never from the request's Host (H8).

Over gunicorn, requests name another host (``Host: evil.example``, ``X-Forwarded-Host``):
the OAuth issuer and endpoints, a credit report's verification link and the payload of
its QR code stay on the configured site. A browser that reaches the consoles under another
host name is sent to the configured one first. The session cookie is Secure exactly when
the public URL is https.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import segno

from tests.parties import make_parties
from tests.server import GunicornServer

HOSTILE = [
    {"Host": "evil.example"},
    {"Host": "evil.example:8443", "X-Forwarded-Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    {"Forwarded": "host=evil.example;proto=https"},
]


@pytest.mark.parametrize("headers", HOSTILE)
def test_the_oauth_metadata_never_follows_the_host_header(live, headers) -> None:
    r = live.get("/.well-known/oauth-authorization-server", headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["issuer"] == live.server.url
    for key in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        assert body[key].startswith(live.server.url + "/oauth/"), body[key]
    assert "evil" not in r.text


def test_a_report_link_and_its_qr_code_never_follow_the_host_header(live, app_ctx) -> None:
    parties = make_parties()
    for headers in HOSTILE:
        r = live.get(f"/enterprises/{parties.owner_uscc}/report", headers=headers)
        assert r.status_code == 200, r.text[:500]
        page = r.text
        number = re.search(r"<strong>(JSCR\d{8}[0-9A-F]{12})</strong>", page).group(1)
        expected = f"{live.server.url}/verify/{number}"
        assert f'href="{expected}"' in page
        assert "evil" not in page
        # The QR code is the one for the configured address (segno is deterministic).
        qr = html.unescape(re.search(r'<img src="(data:image/svg\+xml[^"]+)"', page).group(1))
        assert qr == segno.make(expected, error="m").svg_data_uri(scale=3, border=2)
    # The printed link works.
    assert live.get(f"/verify/{number}").status_code == 200


def test_the_console_sends_another_host_name_to_the_configured_one(live) -> None:
    port = live.server.port
    r = live.get("/console/firm?tab=1", headers={"Host": f"localhost:{port}"})
    assert r.status_code == 302
    assert r.headers["Location"] == f"{live.server.url}/console/firm?tab=1"
    # A proxy that says which host the browser used: the same, target from configuration.
    r = live.get("/console/", headers={"X-Forwarded-Host": "evil.example"})
    assert r.status_code == 302 and r.headers["Location"] == f"{live.server.url}/console/"
    # Already on the configured host: no redirect (signed out: the sign-in button).
    assert live.get("/console/").status_code == 200
    # Behind a proxy that does not pass the browser's host, nothing is redirected (no loop).
    r = live.get("/console/", headers={"Host": "upstream:8000", "X-Forwarded-For": "10.0.0.1"})
    assert r.status_code == 200
    # The console's sign-in names the configured redirect URI, whatever the Host.
    r = live.get("/console/login", headers={"X-Forwarded-Host": live.server.url[7:]})
    assert r.status_code == 302
    query = parse_qs(urlparse(r.headers["Location"]).query)
    assert query["redirect_uri"] == [f"{live.server.url}/console/callback"]


@pytest.fixture(scope="module")
def https_server(app, app_config: dict, tmp_path_factory: pytest.TempPathFactory):
    """A server whose public URL is https (as behind a TLS-terminating proxy)."""
    log = tmp_path_factory.mktemp("gunicorn-https") / "server.log"
    server = GunicornServer(
        app_config,
        log,
        workers=1,
        extra_env={"CREDIT_PUBLIC_URL": "https://credit.example.test"},
    ).start()
    yield server
    server.stop()


def _session_cookie(r: requests.Response) -> str:
    cookies = [v for k, v in r.raw.headers.items() if k.lower() == "set-cookie"]
    found = [c for c in cookies if c.startswith("session=")]
    assert found, cookies
    return found[0]


def test_the_session_cookie_is_secure_exactly_when_the_public_url_is_https(
    live, https_server
) -> None:
    plain = _session_cookie(live.get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    with requests.Session() as http:
        http.trust_env = False
        r = http.get(https_server.url + "/login", timeout=30)
        secure = _session_cookie(r)
        assert "Secure" in secure and "HttpOnly" in secure
        meta = http.get(https_server.url + "/.well-known/oauth-authorization-server", timeout=30)
        assert meta.json()["issuer"] == "https://credit.example.test"
