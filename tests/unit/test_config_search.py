"""The Elasticsearch settings: several node URLs, the shard layout, authentication and TLS,
and the combinations that cannot work (a clear error at start-up, not a failed request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.config import ConfigError, load_settings, search_nodes


def settings(tmp_path: Path, **env: str) -> dict:
    return load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path), **env})


def test_several_nodes_are_one_setting(tmp_path: Path) -> None:
    s = settings(
        tmp_path, CREDIT_SEARCH_URL=" http://10.0.0.1:9200, http://10.0.0.2:9200,http://h3:9200"
    )
    assert search_nodes(s["CREDIT_SEARCH_URL"]) == [
        "http://10.0.0.1:9200",
        "http://10.0.0.2:9200",
        "http://h3:9200",
    ]
    assert search_nodes(settings(tmp_path)["CREDIT_SEARCH_URL"]) == []
    defaults = settings(tmp_path)
    assert (defaults["CREDIT_SEARCH_SHARDS"], defaults["CREDIT_SEARCH_REPLICAS"]) == (1, 0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://a:9200,https://b:9200", "all http or all https"),
        ("http://a:9200,,http://b:9200", "is not one"),
        ("http://a:9200,b:9200", "'b:9200' is not one"),
        ("http://elastic:secret@a:9200", "credentials do not belong in the URL"),
        ("http://a:9200,http://a:9200", "listed twice"),
    ],
)
def test_bad_node_lists_are_refused(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, CREDIT_SEARCH_URL=value)


def test_replicas_and_shards_are_bounded(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        CREDIT_SEARCH_URL="http://a:9200",
        CREDIT_SEARCH_SHARDS="3",
        CREDIT_SEARCH_REPLICAS="1",
    )
    assert (s["CREDIT_SEARCH_SHARDS"], s["CREDIT_SEARCH_REPLICAS"]) == (3, 1)
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, CREDIT_SEARCH_SHARDS="0", CREDIT_SEARCH_REPLICAS="-1")
    assert "CREDIT_SEARCH_SHARDS" in str(info.value) and "CREDIT_SEARCH_REPLICAS" in str(info.value)


def test_authentication_and_tls_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = settings(
        tmp_path,
        CREDIT_SEARCH_URL="https://es1:9200,https://es2:9200",
        CREDIT_SEARCH_API_KEY="a2V5aWQ6c2VjcmV0",
        CREDIT_SEARCH_CA_CERTS=str(ca),
    )
    assert s["CREDIT_SEARCH_API_KEY"] == "a2V5aWQ6c2VjcmV0"
    assert s["CREDIT_SEARCH_CA_CERTS"] == str(ca)
    s = settings(
        tmp_path,
        CREDIT_SEARCH_URL="http://es1:9200",
        CREDIT_SEARCH_USERNAME="credit_app",
        CREDIT_SEARCH_PASSWORD="pw",
    )
    assert (s["CREDIT_SEARCH_USERNAME"], s["CREDIT_SEARCH_PASSWORD"]) == ("credit_app", "pw")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CREDIT_SEARCH_URL": "https://a", "CREDIT_SEARCH_API_KEY": "k"}
            | {"CREDIT_SEARCH_USERNAME": "u", "CREDIT_SEARCH_PASSWORD": "p"},
            "either CREDIT_SEARCH_API_KEY or CREDIT_SEARCH_USERNAME",
        ),
        (
            {"CREDIT_SEARCH_URL": "https://a", "CREDIT_SEARCH_USERNAME": "u"},
            "go together",
        ),
        ({"CREDIT_SEARCH_API_KEY": "k"}, "CREDIT_SEARCH_URL is empty"),
        (
            {"CREDIT_SEARCH_URL": "http://a", "CREDIT_SEARCH_CA_CERTS": "__CA__"},
            "is http, not https",
        ),
        (
            {"CREDIT_SEARCH_URL": "https://a", "CREDIT_SEARCH_CA_CERTS": "/nonexistent/ca.pem"},
            "readable PEM file",
        ),
        (
            {
                "CREDIT_ENV": "production",
                "CREDIT_SECRET_KEY": "x" * 40,
                "CREDIT_PUBLIC_URL": "https://credit.example.cn",
                "CREDIT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
                "CREDIT_SEARCH_URL": "http://a",
                "CREDIT_SEARCH_API_KEY": "k",
                "CREDIT_LOG_SIGNING_KEY_FILE": "/etc/credit-platform/log-signing.key",
            },
            "credentials over plain http in production",
        ),
    ],
)
def test_combinations_that_cannot_work(tmp_path: Path, env: dict, message: str) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    env = {k: v.replace("__CA__", str(ca)) for k, v in env.items()}
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, **env)
