"""Rate-limit and proxy settings: parsed at start-up, and production refuses counters that
each worker keeps alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.config import ConfigError, load_settings

PRODUCTION = {
    "CREDIT_ENV": "production",
    "CREDIT_SECRET_KEY": "s" * 40,
    "CREDIT_PUBLIC_URL": "https://credit.example.cn",
    "CREDIT_LOG_SIGNING_KEY_FILE": "/etc/credit-platform/log-signing.key",
}


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})
    assert s["CREDIT_RATELIMIT_STORAGE_URL"] == "memory://"
    assert s["CREDIT_RATELIMIT_TOKEN"] == "30 per minute"
    assert s["CREDIT_RATELIMIT_TOKEN_ADDRESS"] == "120 per minute"
    assert s["CREDIT_RATELIMIT_LOGIN"] == "10 per minute"
    assert s["CREDIT_RATELIMIT_LOGIN_ADDRESS"] == "30 per minute"
    assert s["CREDIT_RATELIMIT_KEY_PREFIX"] == "credit"
    assert s["CREDIT_TRUSTED_PROXIES"] == 0


def test_production_refuses_per_worker_counters(tmp_path: Path) -> None:
    env = {"CREDIT_INSTANCE_DIR": str(tmp_path), **PRODUCTION}
    with pytest.raises(ConfigError, match="CREDIT_RATELIMIT_STORAGE_URL=memory:// in production"):
        load_settings(env)
    s = load_settings({**env, "CREDIT_RATELIMIT_STORAGE_URL": "redis://10.0.0.5:6379/2"})
    assert s["CREDIT_RATELIMIT_STORAGE_URL"] == "redis://10.0.0.5:6379/2"


def test_development_may_keep_memory_counters(tmp_path: Path) -> None:
    s = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path), "CREDIT_ENV": "development"})
    assert s["CREDIT_RATELIMIT_STORAGE_URL"] == "memory://"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CREDIT_RATELIMIT_STORAGE_URL", "redis:///"),
        ("CREDIT_RATELIMIT_STORAGE_URL", "memcached://127.0.0.1:11211"),
        ("CREDIT_RATELIMIT_STORAGE_URL", "memory"),
        ("CREDIT_RATELIMIT_TOKEN", "thirty a minute"),
        ("CREDIT_RATELIMIT_TOKEN_ADDRESS", ""),
        ("CREDIT_RATELIMIT_LOGIN_ADDRESS", "10 per fortnight"),
        ("CREDIT_RATELIMIT_KEY_PREFIX", "Credit*"),
        ("CREDIT_TRUSTED_PROXIES", "-1"),
        ("CREDIT_TRUSTED_PROXIES", "6"),
    ],
)
def test_bad_values_stop_start_up(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path), name: value})


def test_redis_urls_are_accepted(tmp_path: Path) -> None:
    for url in ("redis://127.0.0.1:6379/0", "rediss://:pw@redis.internal:6380/1"):
        env = {"CREDIT_INSTANCE_DIR": str(tmp_path), "CREDIT_RATELIMIT_STORAGE_URL": url}
        s = load_settings(env)
        assert s["CREDIT_RATELIMIT_STORAGE_URL"] == url
