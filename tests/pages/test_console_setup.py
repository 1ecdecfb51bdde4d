"""Registering the console client and the demo accounts (``credit console setup``), and
what every console page must not contain."""

from __future__ import annotations

import json

from tests.pages.console_parties import page, sign_in


def _setup(app, *args):
    return app.test_cli_runner().invoke(args=["credit", "console", "setup", *args])


def test_setup_registers_exact_redirect_uris_and_demo_accounts(clean_app):
    from tests.helpers import import_records, sample_records

    with clean_app.app_context():
        import_records(sample_records(5, seed=3))
    result = _setup(
        clean_app,
        "--demo-accounts",
        "--base-url",
        "http://127.0.0.1:8000",
        "--base-url",
        "http://localhost:8000/",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["client_id"] == "jsc_console"
    assert out["redirect_uris"] == [
        "http://127.0.0.1:8000/console/callback",
        "http://localhost:8000/console/callback",
    ]
    assert sorted(out["demo"]["created"]) == ["demo-firm", "demo-regulator"]
    again = _setup(clean_app, "--demo-accounts", "--base-url", "http://127.0.0.1:8000")
    assert (
        again.exit_code == 0
        and json.loads(again.output.strip().splitlines()[-1])["demo"]["created"] == []
    )
    with clean_app.app_context():
        from credit.accounts import store

        client = store.query_client("jsc_console")
        assert client.client_secret_hash is None and client.token_endpoint_auth_method == "none"
        assert not client.check_redirect_uri("http://127.0.0.1:8000/console/callback/x")
        assert not client.check_redirect_uri("http://127.0.0.1:8000/console/")
        assert store.authenticate_user("demo-firm", "demo-firm-2026", None) is not None
        assert store.authenticate_user("demo-regulator", "demo-regulator-2026", None) is not None


def test_setup_refuses_bad_redirect_uris_and_demo_accounts_in_production(clean_app, monkeypatch):
    for bad in ("ftp://x.example", "https://user@x.example", "https://x.example/#frag"):
        result = _setup(clean_app, "--base-url", bad)
        assert result.exit_code != 0, bad
    monkeypatch.setitem(clean_app.config, "CREDIT_ENV", "production")
    result = _setup(clean_app, "--demo-accounts", "--base-url", "https://credit.example.cn")
    assert result.exit_code != 0 and "development only" in result.output


def test_console_pages_have_no_inline_script_or_style(client, cp):
    sign_in(client, "firm-a")
    paths = ["/console/firm", "/console/firm/pledges/new", "/console/firm/rating"]
    for path in paths:
        html = page(client, path)
        assert "<script" not in html and "<style" not in html and " style=" not in html, path
    r = client.get("/console/firm")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
