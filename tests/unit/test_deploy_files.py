"""deploy/ stays in step with the code: the environment example names every setting of
credit/config.py's table (and nothing else), its values pass the production checks, and
the systemd units run what exists."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from credit.config import ENV_PREFIX, SETTINGS, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
LINE = re.compile(r"^(#\s*)?(CREDIT_[A-Z0-9_]+)=(.*)$")


def env_example() -> tuple[set[str], dict[str, str]]:
    """Every CREDIT_ name the example assigns (commented out or not), and the active ones'
    values as systemd and a shell read them (surrounding double quotes removed)."""
    named: set[str] = set()
    active: dict[str, str] = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        named.add(m.group(2))
        if not m.group(1):
            value = m.group(3)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            active[m.group(2)] = value
    return named, active


def test_env_example_names_every_setting_and_nothing_unknown() -> None:
    named, _ = env_example()
    table = {ENV_PREFIX + s.name for s in SETTINGS}
    assert not table - named, f"settings missing from deploy/env.example: {table - named}"
    assert not named - table, f"deploy/env.example names unknown settings: {named - table}"


def test_env_example_is_a_valid_production_configuration(tmp_path) -> None:
    _, active = env_example()
    settings = load_settings(env=active)
    assert settings["CREDIT_ENV"] == "production"
    assert settings["CREDIT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert settings["CREDIT_RATELIMIT_STORAGE_URL"].startswith("redis://")
    assert settings["CREDIT_DATABASE_STATEMENT_TIMEOUT"] < 30  # below gunicorn's timeout
    assert settings["CREDIT_SERVER_TIMING"] is False


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def test_the_web_and_worker_units_read_the_environment_file_and_run_the_app() -> None:
    web, worker = unit("credit-platform-web.service"), unit("credit-platform-worker.service")
    for u in (web, worker):
        assert u["Service"]["EnvironmentFile"] == "/etc/credit-platform.env"
        assert u["Service"]["User"] == "credit"
        assert u["Install"]["WantedBy"] == "multi-user.target"
    start = web["Service"]["ExecStart"]
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in start
    assert (DEPLOY / "gunicorn.conf.py").is_file()
    assert "db upgrade" in web["Service"]["ExecStartPre"]
    assert worker["Service"]["ExecStart"].endswith("flask --app wsgi credit worker")
    assert worker["Service"]["Restart"] == "always"
