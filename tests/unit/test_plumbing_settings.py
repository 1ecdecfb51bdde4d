"""Settings of the request plumbing: log format, Server-Timing, request-body timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.config import ConfigError, load_settings

PRODUCTION = {
    "CREDIT_ENV": "production",
    "CREDIT_SECRET_KEY": "p" * 40,
    "CREDIT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
    "CREDIT_PUBLIC_URL": "https://credit.example.cn",
    "CREDIT_LOG_SIGNING_KEY_FILE": "/etc/credit-platform/log-signing.key",
}


def settings(tmp_path: Path, **env: str) -> dict:
    return load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path), **env})


def test_server_timing_is_on_in_development_and_testing_off_in_production(tmp_path) -> None:
    assert settings(tmp_path)["CREDIT_SERVER_TIMING"] is True
    assert settings(tmp_path, CREDIT_ENV="testing")["CREDIT_SERVER_TIMING"] is True
    assert settings(tmp_path, **PRODUCTION)["CREDIT_SERVER_TIMING"] is False
    on = settings(tmp_path, **PRODUCTION, CREDIT_SERVER_TIMING="true")
    assert on["CREDIT_SERVER_TIMING"] is True
    off = settings(tmp_path, CREDIT_SERVER_TIMING="off")
    assert off["CREDIT_SERVER_TIMING"] is False


def test_log_format_is_text_or_json(tmp_path) -> None:
    assert settings(tmp_path)["CREDIT_LOG_FORMAT"] == "text"
    assert settings(tmp_path, CREDIT_LOG_FORMAT="json")["CREDIT_LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError, match="CREDIT_LOG_FORMAT"):
        settings(tmp_path, CREDIT_LOG_FORMAT="xml")


def test_request_body_timeout_is_positive_seconds(tmp_path) -> None:
    assert settings(tmp_path)["CREDIT_REQUEST_BODY_TIMEOUT"] == 10
    assert (
        settings(tmp_path, CREDIT_REQUEST_BODY_TIMEOUT="2.5")["CREDIT_REQUEST_BODY_TIMEOUT"] == 2.5
    )
    for bad in ("0", "-1", "abc"):
        with pytest.raises(ConfigError, match="CREDIT_REQUEST_BODY_TIMEOUT"):
            settings(tmp_path, CREDIT_REQUEST_BODY_TIMEOUT=bad)


def test_the_setting_decides_the_header(clean_app) -> None:
    """In-process: the header follows the app's setting (over the real server, with a
    production configuration, in tests/live/test_plumbing.py)."""
    client = clean_app.test_client()
    assert clean_app.config["CREDIT_SERVER_TIMING"] is True  # testing
    assert client.get("/healthz").headers["Server-Timing"].startswith("app;dur=")
    clean_app.config["CREDIT_SERVER_TIMING"] = False
    try:
        assert "Server-Timing" not in client.get("/healthz").headers
        assert "Server-Timing" not in client.get("/api/v1/search?q=苏州").headers
    finally:
        clean_app.config["CREDIT_SERVER_TIMING"] = True
