"""Cache-Control decided once (api/caching.py), in-process; the walk over every
authenticated route runs over the real server in tests/live/test_plumbing.py."""

from __future__ import annotations


def test_public_answers_are_explicitly_revalidated(client) -> None:
    for path in ("/healthz", "/api/v1/search?q=苏州", "/search?q=苏州", "/"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-cache", path


def test_any_credentials_make_the_answer_private(client) -> None:
    # An invalid token is still a caller who said who they are: 401, private.
    r = client.get("/api/v1/regulator/objections", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.headers["Cache-Control"] == "private, no-store"
    r = client.get("/api/v1/search?q=苏州", headers={"Authorization": "Basic eDp5"})
    assert r.headers["Cache-Control"] == "private, no-store"


def test_sign_in_pages_and_cookies_make_the_answer_private(client) -> None:
    assert client.get("/login").headers["Cache-Control"] == "private, no-store"
    assert client.get("/console/").headers["Cache-Control"] == "private, no-store"
    # The session cookie /login set now comes with every request: private everywhere.
    assert client.get("/healthz").headers["Cache-Control"] == "private, no-store"


def test_an_answer_that_sets_a_cookie_is_private(client) -> None:
    r = client.get("/search?q=苏州&lang=en")  # remembers the language in a cookie
    assert "Set-Cookie" in r.headers
    assert r.headers["Cache-Control"] == "private, no-store"
