"""Rate limits on the token endpoint and sign-in; no redirect off the allow-list ever."""

from __future__ import annotations

from urllib.parse import urlparse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app, reset_state
from tests.parties import REDIRECT, login, make_parties, pkce_pair


def test_token_endpoint_is_rate_limited(app_config: dict) -> None:
    app = make_app(
        {**app_config, "RATELIMIT_TOKEN": "3 per minute", "RATELIMIT_LOGIN": "2 per minute"}
    )
    reset_state(app)
    client = app.test_client()
    statuses = [
        client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("jsc_nobody", "bad")
        ).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429
    r = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("jsc_nobody", "bad")
    )
    assert r.status_code == 429
    assert r.content_type == "application/problem+json"
    assert int(r.headers["Retry-After"]) > 0
    for _ in range(2):
        client.post("/login", data={"username": "x", "password": "y"})
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 429


ATTACKER_URIS = [
    "https://attacker.test/cb",
    "https://console.example.com@attacker.test/callback",
    "https://console.example.com/callback/../evil",
    "https://console.example.com/callback/",
    "https://CONSOLE.example.com/callback",
    "https:attacker.test",
    "https://console.example.com/callback?x=1",
    "//attacker.test/callback",
    "http://localhost:80@attacker.test/",
    "javascript:alert(1)",
    "https://console.example.com/callback%2F..%2Fevil",
    "https://console.example.com.attacker.test/callback",
]


def _assert_no_offlist_redirect(resp) -> None:
    location = resp.headers.get("Location")
    if location is None:
        return
    parsed = urlparse(location)
    if not parsed.scheme and not parsed.netloc:
        return  # same-site (e.g. the sign-in page)
    assert location.startswith(REDIRECT + "?") or location == REDIRECT, location


def test_redirect_uri_fuzz(clean_app) -> None:
    with clean_app.app_context():
        parties = make_parties()
    client = clean_app.test_client()
    login(client)
    console = parties.clients["console"].client_id
    _, challenge = pkce_pair()

    @given(
        uri=st.sampled_from(ATTACKER_URIS)
        | st.text(max_size=40).map(lambda s: "https://attacker.test/" + s),
        response_type=st.sampled_from(["code", "token", "id_token", "", "code token"]),
        scope=st.sampled_from(["enterprises:read", "admin", "nonsense", ""]),
        method=st.sampled_from(["S256", "plain", ""]),
    )
    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(uri: str, response_type: str, scope: str, method: str) -> None:
        params = {
            "response_type": response_type,
            "client_id": console,
            "redirect_uri": uri,
            "scope": scope,
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": method,
        }
        for resp in (client.get("/oauth/authorize", query_string=params),):
            _assert_no_offlist_redirect(resp)
            assert resp.status_code in {200, 302, 400}
            if resp.status_code == 200:
                # A consent page is only shown for the registered URI.
                assert uri == REDIRECT

    run()


def test_pages_cannot_be_framed(client) -> None:
    for url in ("/", "/login"):
        r = client.get(url)
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_login_next_is_never_an_open_redirect(client, clean_app) -> None:
    from tests.parties import PASSWORD, csrf_of, make_parties

    with clean_app.app_context():
        make_parties()
    for target in ("https://attacker.test/", "//attacker.test/x", "javascript:alert(1)"):
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": "staff-a",
                "password": PASSWORD,
                "csrf": csrf_of(page.get_data(as_text=True)),
                "next": target,
            },
        )
        assert r.status_code == 302
        assert r.headers["Location"] in {"/", "http://localhost/"}


def test_login_without_csrf_is_refused(client) -> None:
    r = client.post("/login", data={"username": "x", "password": "y"})
    assert r.status_code == 400
