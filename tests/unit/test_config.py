"""The settings table: defaults, parsing, and clear errors for invalid values."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.config import ConfigError, describe, load_settings


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})
    assert s["CREDIT_DATABASE_URL"] == f"sqlite:///{tmp_path / 'credit.db'}"
    assert s["CREDIT_SEARCH_URL"] == ""
    assert s["CREDIT_PAGE_SIZE_MAX"] == 100


def test_development_secret_is_generated_once(tmp_path: Path) -> None:
    a = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})["CREDIT_SECRET_KEY"]
    b = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})["CREDIT_SECRET_KEY"]
    assert a == b and len(a) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CREDIT_SECRET_KEY is required"):
        load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path), "CREDIT_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(
            {
                "CREDIT_INSTANCE_DIR": str(tmp_path),
                "CREDIT_ENV": "production",
                "CREDIT_SECRET_KEY": "short",
            }
        )


def test_every_invalid_value_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            {
                "CREDIT_INSTANCE_DIR": str(tmp_path),
                "CREDIT_DATABASE_URL": "mysql://x",
                "CREDIT_SEARCH_URL": "ftp://es",
                "CREDIT_PAGE_SIZE_MAX": "0",
                "CREDIT_ENV": "prod",
            }
        )
    message = str(info.value)
    for name in ("CREDIT_DATABASE_URL", "CREDIT_SEARCH_URL", "CREDIT_PAGE_SIZE_MAX", "CREDIT_ENV"):
        assert name in message


def test_search_url_selects_elasticsearch(tmp_path: Path) -> None:
    s = load_settings(
        {"CREDIT_INSTANCE_DIR": str(tmp_path), "CREDIT_SEARCH_URL": "http://127.0.0.1:9200"}
    )
    assert s["CREDIT_SEARCH_URL"] == "http://127.0.0.1:9200"


def test_unknown_override_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown settings: NOPE"):
        load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)}, {"NOPE": 1})


def test_a_retired_setting_stops_the_start_with_what_to_do_instead(tmp_path: Path) -> None:
    """CREDIT_EMBEDDED_SEARCH_ENGINE=fts5 left in a deployment's environment must not be
    ignored silently: FTS5 is gone, and the index must be rebuilt for tantivy."""
    with pytest.raises(ConfigError) as raised:
        load_settings(
            {
                "CREDIT_INSTANCE_DIR": str(tmp_path),
                "CREDIT_EMBEDDED_SEARCH_ENGINE": "fts5",
                "CREDIT_SEARCH_CACHE_SIZE": "2048",
            }
        )
    said = str(raised.value)
    assert "CREDIT_EMBEDDED_SEARCH_ENGINE is no longer a setting" in said
    assert "flask search reindex" in said
    assert "CREDIT_SEARCH_CACHE_SIZE is no longer a setting" in said
    fine = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})
    assert fine["CREDIT_EMBEDDED_SEARCH_PATH"] == str(tmp_path.resolve() / "search-index")


def test_every_setting_is_documented() -> None:
    assert all(s["doc"] for s in describe())


def test_wsgi_stops_with_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        capture_output=True,
        text=True,
        env={
            "CREDIT_INSTANCE_DIR": str(tmp_path),
            "CREDIT_PAGE_SIZE_MAX": "x",
            "PATH": "/usr/bin:/bin",
        },
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert r.returncode == 1
    assert "CREDIT_PAGE_SIZE_MAX" in r.stderr and "configuration error" in r.stderr
    assert "Traceback" not in r.stderr


def test_public_url_is_required_in_production_only(tmp_path: Path) -> None:
    base = {"CREDIT_INSTANCE_DIR": str(tmp_path)}
    assert load_settings(base)["CREDIT_PUBLIC_URL"] == "http://127.0.0.1:8000"
    production = {
        **base,
        "CREDIT_ENV": "production",
        "CREDIT_SECRET_KEY": "k" * 32,
        "CREDIT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        "CREDIT_LOG_SIGNING_KEY_FILE": "/etc/credit-platform/log-signing.key",
    }
    with pytest.raises(ConfigError, match="CREDIT_PUBLIC_URL is required in production"):
        load_settings(production)
    s = load_settings({**production, "CREDIT_PUBLIC_URL": "https://credit.example.cn/"})
    assert s["CREDIT_PUBLIC_URL"] == "https://credit.example.cn"
    for bad in ("credit.example.cn", "https://credit.example.cn/console", "https://u@x.cn"):
        with pytest.raises(ConfigError, match="CREDIT_PUBLIC_URL"):
            load_settings({**production, "CREDIT_PUBLIC_URL": bad})


def test_production_without_a_public_url_does_not_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        capture_output=True,
        text=True,
        env={
            "CREDIT_INSTANCE_DIR": str(tmp_path),
            "CREDIT_ENV": "production",
            "CREDIT_SECRET_KEY": "k" * 32,
            "PATH": "/usr/bin:/bin",
        },
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "CREDIT_PUBLIC_URL is required in production" in r.stderr


def test_the_session_cookie_is_secure_with_an_https_public_url(tmp_path: Path) -> None:
    from api import create_app

    def secure(url: str) -> bool:
        config = {"INSTANCE_DIR": str(tmp_path), "PUBLIC_URL": url, "ENV": "testing"}
        return create_app(config).config["SESSION_COOKIE_SECURE"]

    assert secure("https://credit.example.cn") and not secure("http://127.0.0.1:8000")


def test_production_requires_the_log_signing_key(tmp_path: Path) -> None:
    production = {
        "CREDIT_INSTANCE_DIR": str(tmp_path),
        "CREDIT_ENV": "production",
        "CREDIT_SECRET_KEY": "k" * 32,
        "CREDIT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        "CREDIT_PUBLIC_URL": "https://credit.example.cn",
    }
    with pytest.raises(ConfigError, match="CREDIT_LOG_SIGNING_KEY_FILE is required"):
        load_settings(production)
    # Outside production a key is generated once under the instance directory.
    s = load_settings({"CREDIT_INSTANCE_DIR": str(tmp_path)})
    assert s["CREDIT_LOG_SIGNING_KEY_FILE"] == str(tmp_path.resolve() / "log-signing.key")


def test_log_keys_are_read_generated_only_outside_production_and_checked(tmp_path) -> None:
    from credit.translog import keys

    path = tmp_path / "log.key"
    with pytest.raises(keys.KeyFileError, match="cannot read"):
        keys.load_signers(path)  # production: never generated
    first = keys.load_signers(path, generate_as="credit.example.cn/credit-log")[0]
    again = keys.load_signers(path, generate_as="other/name")[0]  # kept, not replaced
    assert first.encoded() == again.encoded() and first.name == "credit.example.cn/credit-log"
    assert path.stat().st_mode & 0o077 == 0
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(keys.KeyFileError, match="does not hold a log signing key"):
        keys.load_signers(path, [bad])
