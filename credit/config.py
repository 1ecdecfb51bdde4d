"""The one declared table of settings, read from ``CREDIT_*`` environment variables.

Every setting has a name, a parser, a default and a doc line. ``load_settings`` validates
the whole table at start-up and raises ``ConfigError`` listing every bad value, so a
misconfigured server stops with a clear message instead of failing on the first request.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ENV_PREFIX = "CREDIT_"
#: CREDIT_PUBLIC_URL outside production when unset (what ``make run`` serves).
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:8000"


class ConfigError(Exception):
    """Raised when one or more settings are invalid; the message lists them all."""


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true/false")


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        n = int(value)
        if not lo <= n <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return n

    return parse


def _float_range(lo: float, hi: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        n = float(value)
        if not lo <= n <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return n

    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def _database_url(value: str) -> str:
    scheme = urlparse(value).scheme
    if not scheme.startswith(("sqlite", "postgresql")):
        raise ValueError("must be a sqlite:// or postgresql:// URL")
    return value


def _search_url(value: str) -> str:
    """Empty, or one or more Elasticsearch node URLs separated by commas, all http or all
    https (the client spreads requests over them and retries on another); credentials
    belong in CREDIT_SEARCH_API_KEY or _USERNAME/_PASSWORD, never in a URL (it is logged)."""
    if value.strip() == "":
        return ""
    nodes = [n.strip() for n in value.split(",")]
    schemes = set()
    for node in nodes:
        parsed = urlparse(node)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ValueError(
                "must be empty (embedded backend) or http(s):// node URLs separated by "
                f"commas; {node!r} is not one"
            )
        if parsed.username or parsed.password:
            raise ValueError(
                "credentials do not belong in the URL: use CREDIT_SEARCH_API_KEY or "
                "CREDIT_SEARCH_USERNAME and CREDIT_SEARCH_PASSWORD"
            )
        schemes.add(parsed.scheme)
    if len(schemes) > 1:
        raise ValueError("the node URLs must be all http or all https")
    if len(set(nodes)) != len(nodes):
        raise ValueError("a node URL is listed twice")
    return ",".join(nodes)


def search_nodes(value: str) -> list[str]:
    """The node URLs of a parsed CREDIT_SEARCH_URL (empty: the embedded backend)."""
    return value.split(",") if value else []


def _ca_file(value: str) -> str:
    if value and not Path(value).is_file():
        raise ValueError("must be empty or the path of a readable PEM file")
    return value


def _prefix(value: str) -> str:
    if not value or not all(c.islower() or c.isdigit() or c in "-_" for c in value):
        raise ValueError("lower-case letters, digits, - and _ only")
    return value


def _base_url(value: str) -> str:
    if value == "":
        return value
    parsed = urlparse(value)
    if (
        parsed.scheme not in {"http", "https"}
        or not parsed.hostname
        or "@" in parsed.netloc
        or parsed.query
        or parsed.fragment
        or parsed.path not in {"", "/"}
    ):
        raise ValueError("must be empty or an http(s)://host[:port] URL without a path")
    return value.rstrip("/")


def _client_id(value: str) -> str:
    if not 3 <= len(value) <= 48 or not all(c.isalnum() or c in "-_" for c in value):
        raise ValueError("3-48 letters, digits, - and _")
    return value


def _rate_limit(value: str) -> str:
    from limits import parse_many  # the notation Flask-Limiter reads: "30 per minute"

    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError('expected a rate limit such as "30 per minute"') from exc
    return value


def _ratelimit_storage(value: str) -> str:
    parsed = urlparse(value)
    if value == "memory://" or (parsed.scheme in {"redis", "rediss"} and parsed.hostname):
        return value
    if parsed.scheme == "redis+unix" and parsed.path:
        return value
    raise ValueError("must be memory:// or a redis://host:port/db URL")


def _str(value: str) -> str:
    return value


def _webhook_hosts(value: str) -> str:
    """Host names or addresses separated by commas or spaces; no scheme, path or port."""
    for host in value.replace(",", " ").split():
        if any(c in host for c in "/@?#") or host.count(":") == 1:
            raise ValueError(f"{host!r}: a host name or address only (no scheme, port or path)")
    return value


def _site_text(limit: int) -> Callable[[str], str]:
    """A line of text shown on every page (footer, /about): no control characters."""

    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters")
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("no control characters (one line of text)")
        return value

    return parse


def _site_email(value: str) -> str:
    value = _site_text(254)(value)
    if value and (value.count("@") != 1 or " " in value or "." not in value.split("@")[1]):
        raise ValueError("must be empty or an e-mail address")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        _choice("development", "production", "testing"),
        "development",
        "Deployment mode; production requires an explicit secret key.",
    ),
    Setting(
        "INSTANCE_DIR",
        _str,
        "instance",
        "Directory for local state: SQLite files, the generated development secret key.",
    ),
    Setting(
        "DATABASE_URL",
        _database_url,
        None,
        "SQLAlchemy URL; default sqlite:///<INSTANCE_DIR>/credit.db.",
    ),
    Setting(
        "SEARCH_URL",
        _search_url,
        "",
        "Empty for the embedded search backend, or the Elasticsearch node URLs separated "
        "by commas (all http or all https): the client spreads requests over them and "
        "retries a failed one on another node.",
    ),
    Setting(
        "SEARCH_SHARDS",
        _int_range(1, 64),
        1,
        "Primary shards of each Elasticsearch index generation (fixed when a generation is "
        "created: `flask search reindex` applies a change).",
    ),
    Setting(
        "SEARCH_REPLICAS",
        _int_range(0, 10),
        0,
        "Replica copies of each shard (Elasticsearch): 0 on one node; 1 on a cluster of "
        "three, so a node can be lost. Applied when a generation is created.",
    ),
    Setting(
        "SEARCH_TIMEOUT",
        _float_range(1, 600),
        30.0,
        "Seconds one Elasticsearch request may take on a node before it is retried on "
        "another (retry on timeout is on).",
    ),
    Setting(
        "SEARCH_MAX_RETRIES",
        _int_range(0, 10),
        2,
        "How many times a failed Elasticsearch request (connection refused, timeout, "
        "502/503/504) is tried again on another node.",
    ),
    Setting(
        "SEARCH_API_KEY",
        _str,
        "",
        "Elasticsearch API key (the base64 'encoded' value the create-API-key call "
        "returns); exclusive with CREDIT_SEARCH_USERNAME/_PASSWORD.",
    ),
    Setting(
        "SEARCH_USERNAME",
        _str,
        "",
        "Elasticsearch user for HTTP basic authentication (with CREDIT_SEARCH_PASSWORD).",
    ),
    Setting(
        "SEARCH_PASSWORD",
        _str,
        "",
        "Password of CREDIT_SEARCH_USERNAME.",
    ),
    Setting(
        "SEARCH_CA_CERTS",
        _ca_file,
        "",
        "PEM file of the CA that signed the Elasticsearch nodes' certificates (https URLs); "
        "empty: the system's trusted CAs. Certificates are always verified.",
    ),
    Setting(
        "SEARCH_INDEX_PREFIX",
        _prefix,
        "credit",
        "Prefix of every index name and alias (tests use a per-run prefix).",
    ),
    Setting(
        "EMBEDDED_SEARCH_PATH",
        _str,
        None,
        "Directory of the embedded search backend (tantivy); default <INSTANCE_DIR>/search-index.",
    ),
    Setting(
        "SECRET_KEY",
        _str,
        None,
        "Secret for signing; generated into INSTANCE_DIR in development, required in production.",
    ),
    Setting("PAGE_SIZE_MAX", _int_range(1, 1000), 100, "Largest page size a list may ask for."),
    Setting(
        "MAX_CONTENT_LENGTH",
        _int_range(1024, 100 * 1024 * 1024),
        1024 * 1024,
        "Largest accepted request body in bytes (larger gives 413).",
    ),
    Setting(
        "EXCHANGE_MAX_UPLOAD",
        _int_range(1024, 256 * 1024 * 1024),
        16 * 1024 * 1024,
        "Largest penalty-format upload (POST /api/v1/exchange/penalties) in bytes: 10,000 "
        "rows of the national format; other requests keep MAX_CONTENT_LENGTH.",
    ),
    Setting(
        "OPEN_DATA_DIR",
        _str,
        None,
        "Directory of the daily open-data snapshots (GET /api/v1/open-data, /data), one "
        "subdirectory per day; default <INSTANCE_DIR>/open-data. The worker builds "
        "today's when it is missing; `flask credit open-data build` builds one now.",
    ),
    Setting(
        "OPEN_DATA_KEEP",
        _int_range(1, 366),
        7,
        "How many daily open-data snapshots are kept (older ones are removed after a build).",
    ),
    Setting(
        "INDEX_AFTER_COMMIT",
        _bool,
        True,
        "Run the change-feed consumers in the web process right after each commit (the "
        "one-process mode of tests and `flask` commands). Set false where a worker runs "
        "(`make run`, deploy/): web requests then run no consumer.",
    ),
    Setting(
        "INDEXER_POLL_SECONDS",
        _float_range(0, 3600),
        0,
        "If > 0, a thread of each web process catches the consumers up at this interval "
        "(tests only; it takes no lease: deployments run `flask --app wsgi credit worker`).",
    ),
    Setting(
        "WORKER_LEASE_SECONDS",
        _float_range(2, 600),
        10,
        "How long a worker's hold on a consumer lasts unless renewed (every third of it); "
        "a dead worker's consumers are taken over within this time.",
    ),
    Setting(
        "WORKER_POLL_SECONDS",
        _float_range(0.01, 60),
        0.05,
        "How often the worker looks for new change events on SQLite (PostgreSQL wakes it "
        "by LISTEN/NOTIFY, and polls only while that connection is down).",
    ),
    Setting(
        "LOG_SIGNING_KEY_FILE",
        _str,
        None,
        "File holding the transparency log's Ed25519 signing key (a note signer key, "
        "PRIVATE+KEY+<name>+<id>+<key>; make one with `flask credit log keygen`); its name is "
        "the log's origin. Default <INSTANCE_DIR>/log-signing.key, generated outside "
        "production; required in production.",
    ),
    Setting(
        "LOG_COSIGNING_KEY_FILES",
        _str,
        "",
        "Comma-separated key files that cosign every checkpoint beside the signing key "
        "(a key rotation: README, Rotating the log key).",
    ),
    Setting(
        "LOG_CHECKPOINT_SECONDS",
        _float_range(1, 60),
        30,
        "How often the worker holding the log-checkpoint lease signs a new checkpoint while "
        "the log grows (at most a minute).",
    ),
    Setting(
        "WORKER_SWEEP_SECONDS",
        _float_range(1, 86400),
        600,
        "Interval of the time-driven sweeps (pledge expiry, publicity ending, stale "
        "ratings), run by the worker holding the sweep lease.",
    ),
    Setting(
        "EVENT_MAX_ATTEMPTS",
        _int_range(1, 100),
        3,
        "Deliveries of a change event that keeps failing before its consumer sets it aside "
        "(listed by `flask credit events failed`, counted in /readyz) and moves on.",
    ),
    Setting(
        "WEBHOOK_ALLOW_HOSTS",
        _webhook_hosts,
        "",
        "Hosts (as written in the URL: names or addresses, comma separated) webhooks may go "
        "to although they resolve to private, loopback or link-local addresses; empty: "
        "public addresses only. E.g. 127.0.0.1 for a receiver on the same machine.",
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        _float_range(0.5, 30),
        5,
        "Seconds a webhook delivery may take to connect and to read the answer (each; the "
        "whole request is cut off at twice this).",
    ),
    Setting(
        "WEBHOOK_DISABLE_AFTER_DAYS",
        _float_range(0.01, 90),
        5,
        "An endpoint whose every delivery attempt has failed for this many days is "
        "disabled; its subscriber sees why in GET /api/v1/webhooks/{id} and re-enables it.",
    ),
    Setting(
        "ACCESS_TOKEN_TTL",
        _int_range(60, 3600),
        900,
        "Access-token lifetime in seconds (at most one hour; authlib's default is 10 days).",
    ),
    Setting(
        "REFRESH_TOKEN_TTL",
        _int_range(300, 30 * 86400),
        8 * 3600,
        "Absolute lifetime of a refresh-token family in seconds, counted from the sign-in "
        "(the password), never moved by rotation.",
    ),
    Setting(
        "SIGN_IN_TTL",
        _int_range(300, 30 * 86400),
        8 * 3600,
        "Absolute lifetime of a sign-in (the platform session behind /login, consent and "
        "the consoles) in seconds, counted from the password; sign-out ends it earlier.",
    ),
    Setting(
        "AUTH_CODE_TTL",
        _int_range(30, 600),
        300,
        "Authorization-code lifetime in seconds (at most 10 minutes).",
    ),
    Setting(
        "RATELIMIT_TOKEN",
        _rate_limit,
        "30 per minute",
        "Rate limit of /oauth/token and /oauth/revoke (one count for both) per client id "
        "and client address: how many secrets one address may try for one client.",
    ),
    Setting(
        "RATELIMIT_TOKEN_ADDRESS",
        _rate_limit,
        "120 per minute",
        "Rate limit of /oauth/token and /oauth/revoke per client address, whatever client "
        "ids it names (an address cannot escape the limit above by changing the id).",
    ),
    Setting(
        "RATELIMIT_LOGIN",
        _rate_limit,
        "10 per minute",
        "Rate limit of console sign-in attempts per username and client address.",
    ),
    Setting(
        "RATELIMIT_LOGIN_ADDRESS",
        _rate_limit,
        "30 per minute",
        "Rate limit of console sign-in attempts per client address, whatever usernames.",
    ),
    Setting(
        "RATELIMIT_REPORT",
        _rate_limit,
        "20 per minute",
        "Rate limit of credit report pages (each may store a report) per client address.",
    ),
    Setting(
        "RATELIMIT_SEAL",
        _rate_limit,
        "300 per minute",
        "Rate limit of credit seal images (/seal/{uscc}.svg) per client address: generous, "
        "since each shopper's browser asks from its own address and caches for 60 s.",
    ),
    Setting(
        "RATELIMIT_STORAGE_URL",
        _ratelimit_storage,
        "memory://",
        "Where rate-limit counters live: redis://host:port/db (shared by every worker and "
        "server; required in production) or memory:// (each worker process counts alone).",
    ),
    Setting(
        "RATELIMIT_KEY_PREFIX",
        _prefix,
        "credit",
        "Prefix of this deployment's rate-limit keys in Redis, so deployments (and test "
        "runs) sharing one Redis neither mix nor clear each other's counters.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        _int_range(0, 5),
        0,
        "How many reverse proxies (e.g. nginx) stand in front of the app: the client "
        "address and scheme are taken from X-Forwarded-For/-Proto as set by that many; "
        "0: the headers are ignored and the connecting address is the client.",
    ),
    Setting(
        "PUBLIC_URL",
        _base_url,
        "",
        "The site's public base URL (e.g. https://credit.example.cn): every absolute URL "
        "the platform prints (OAuth issuer, report links and QR codes, the console's "
        "redirect URI) starts with it, never with the request's Host. Required in "
        "production; default http://127.0.0.1:8000 otherwise. https makes cookies Secure.",
    ),
    Setting(
        "ISSUER",
        _base_url,
        "",
        "OAuth issuer URL (RFC 8414); empty: CREDIT_PUBLIC_URL.",
    ),
    Setting(
        "CONSOLE_URL",
        _base_url,
        "",
        "Base URL of the consoles; the console client's redirect URI is "
        "<CONSOLE_URL>/console/callback, matched exactly. Empty: CREDIT_PUBLIC_URL.",
    ),
    Setting(
        "CONSOLE_CLIENT_ID",
        _client_id,
        "jsc_console",
        "client_id of the platform's first-party console client (registered by "
        "`credit console setup`).",
    ),
    Setting(
        "SCORING_MODELS_DIR",
        _str,
        "",
        "Directory of published scoring model versions (index.json + files); empty: "
        "the versions shipped in credit/data/scoring.",
    ),
    Setting(
        "KEY_REMINDER_QUIET_DAYS",
        _int_range(0, 365),
        7,
        "Days during which a key enterprise reminded of a pledge requirement is not "
        "reminded of it again (a second run counts it as skipped); 0: no quiet period.",
    ),
    Setting("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "Log level."),
    Setting(
        "LOG_FORMAT",
        _choice("text", "json"),
        "text",
        "text: one line per record; json: one JSON object per line (time UTC, level, "
        "logger, request_id, pid, message, exception), recommended in production.",
    ),
    Setting(
        "SERVER_TIMING",
        _bool,
        None,
        "Send the Server-Timing header (time in the app, search cache hit or miss); "
        "default on in development and testing, off in production (it tells anyone "
        "whether someone else just ran the same search).",
    ),
    Setting(
        "REQUEST_BODY_TIMEOUT",
        _float_range(0.1, 3600),
        10.0,
        "Seconds a client may take to send its whole request body (> 0); past it the "
        "request gets 408 and its worker thread is freed.",
    ),
    Setting("SQL_ECHO", _bool, False, "Log every SQL statement (debugging only)."),
    Setting(
        "DATABASE_CONNECT_TIMEOUT",
        _int_range(1, 60),
        5,
        "PostgreSQL: seconds to wait for a new connection (libpq connect_timeout); a "
        "database that does not answer gives 503 after this, not a hung request.",
    ),
    Setting(
        "DATABASE_POOL_TIMEOUT",
        _float_range(0.5, 60),
        5.0,
        "PostgreSQL: seconds a request waits for a free pooled connection before it gets 503.",
    ),
    Setting(
        "DATABASE_STATEMENT_TIMEOUT",
        _float_range(0, 3600),
        0,
        "PostgreSQL: longest a single statement may run, in seconds (statement_timeout; "
        "past it the request gets 503); 0: no limit. Production: 25, below gunicorn's "
        "30 s timeout; one-off commands (a migration of a large table) may run with 0.",
    ),
    # -- who runs the site: the footer of every page and /about (api/pages/about.py) --
    Setting(
        "SITE_OPERATOR",
        _site_text(100),
        "江苏省商务厅",
        "主办单位 shown in the footer and on /about (Chinese).",
    ),
    Setting(
        "SITE_OPERATOR_EN",
        _site_text(200),
        "Department of Commerce of Jiangsu Province",
        "The operator's name in English pages.",
    ),
    Setting(
        "SITE_CONTACT_ADDRESS",
        _site_text(200),
        "",
        "Postal address on /about; empty: the page says it is not configured (demo).",
    ),
    Setting(
        "SITE_CONTACT_PHONE",
        _site_text(40),
        "",
        "Contact phone on /about; empty: not configured (demo).",
    ),
    Setting(
        "SITE_CONTACT_EMAIL",
        _site_email,
        "",
        "Contact e-mail on /about; empty: not configured (demo).",
    ),
    Setting(
        "SITE_ID_CODE",
        _site_text(32),
        "",
        "网站标识码 issued for a government site; empty: the footer says none was issued (demo).",
    ),
    Setting(
        "SITE_ICP_FILING",
        _site_text(64),
        "",
        "ICP 备案号 (e.g. 苏ICP备…号), linked to beian.miit.gov.cn; empty: 'not filed' (demo).",
    ),
    Setting(
        "SITE_PSB_FILING",
        _site_text(64),
        "",
        "公安机关备案号 (e.g. 苏公网安备…号), linked to beian.mps.gov.cn with its digits; "
        "empty: 'not filed' (demo).",
    ),
    Setting(
        "SITE_LOG_RETENTION_MONTHS",
        _int_range(6, 120),
        12,
        "How long /about says server logs and sign-in records are kept, in months (at "
        "least 6: 网络安全法 Art. 21(3)); the operator's log rotation must keep to it.",
    ),
)


#: Settings that meant something once and do nothing now: set, they stop the start with
#: what to do instead (silently ignored, they would hide that the system changed).
RETIRED: dict[str, str] = {
    "EMBEDDED_SEARCH_ENGINE": "the embedded search backend is tantivy only since SQLite "
    "FTS5 was removed; delete this setting and run `flask search reindex`",
    "SEARCH_CACHE_SIZE": "the embedded backend's result cache was removed with SQLite FTS5; "
    "delete this setting",
}


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parse and validate every setting; returns ``{"CREDIT_NAME": value}``.

    ``overrides`` (already-typed values, keyed without prefix) win over the environment;
    tests and ``create_app(config=...)`` use them.
    """
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    errors: list[str] = []
    for s in SETTINGS:
        key = ENV_PREFIX + s.name
        if s.name in overrides:
            values[key] = overrides.pop(s.name)
            continue
        raw = env.get(key)
        if raw is None:
            values[key] = s.default
            continue
        try:
            values[key] = s.parse(raw)
        except ValueError as exc:
            errors.append(f"{key}={raw!r}: {exc}")
    if overrides:
        errors.append(f"unknown settings: {', '.join(sorted(overrides))}")
    for name, instead in RETIRED.items():
        if ENV_PREFIX + name in env:
            errors.append(f"{ENV_PREFIX}{name} is no longer a setting: {instead}")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))

    instance = Path(values["CREDIT_INSTANCE_DIR"]).resolve()
    values["CREDIT_INSTANCE_DIR"] = str(instance)
    if values["CREDIT_DATABASE_URL"] is None:
        values["CREDIT_DATABASE_URL"] = f"sqlite:///{instance / 'credit.db'}"
    if values["CREDIT_SERVER_TIMING"] is None:
        values["CREDIT_SERVER_TIMING"] = values["CREDIT_ENV"] != "production"
    if values["CREDIT_EMBEDDED_SEARCH_PATH"] is None:
        values["CREDIT_EMBEDDED_SEARCH_PATH"] = str(instance / "search-index")
    if values["CREDIT_OPEN_DATA_DIR"] is None:
        values["CREDIT_OPEN_DATA_DIR"] = str(instance / "open-data")
    production = values["CREDIT_ENV"] == "production"
    if values["CREDIT_LOG_SIGNING_KEY_FILE"] is None:
        if production:
            errors.append(
                "CREDIT_LOG_SIGNING_KEY_FILE is required in production (the transparency "
                "log's signing key; `flask credit log keygen NAME FILE` makes one)"
            )
        values["CREDIT_LOG_SIGNING_KEY_FILE"] = str(instance / "log-signing.key")
    if production and not values["CREDIT_PUBLIC_URL"]:
        errors.append(
            "CREDIT_PUBLIC_URL is required in production (the site's public base URL, "
            "e.g. https://credit.example.cn): links, the OAuth issuer and the console's "
            "redirect URI are built from it, never from the request's Host"
        )
    values["CREDIT_PUBLIC_URL"] = values["CREDIT_PUBLIC_URL"] or DEVELOPMENT_PUBLIC_URL
    if not values["CREDIT_SECRET_KEY"]:
        if production:
            errors.append(
                "CREDIT_SECRET_KEY is required in production (at least 32 random characters)"
            )
        else:
            values["CREDIT_SECRET_KEY"] = _development_secret(instance)
    elif production and len(values["CREDIT_SECRET_KEY"]) < 32:
        errors.append("CREDIT_SECRET_KEY must be at least 32 characters in production")
    if production and values["CREDIT_RATELIMIT_STORAGE_URL"] == "memory://":
        errors.append(
            "CREDIT_RATELIMIT_STORAGE_URL=memory:// in production: each worker process would "
            "count alone, letting through one limit per worker; set it to the Redis every "
            "worker shares (redis://127.0.0.1:6379/0)"
        )
    errors += _search_errors(values, production)
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    return values


def _search_errors(values: Mapping[str, Any], production: bool) -> list[str]:
    """Combinations of the Elasticsearch settings that cannot work."""
    url = values["CREDIT_SEARCH_URL"]
    api_key, user, password = (
        values["CREDIT_SEARCH_API_KEY"],
        values["CREDIT_SEARCH_USERNAME"],
        values["CREDIT_SEARCH_PASSWORD"],
    )
    ca = values["CREDIT_SEARCH_CA_CERTS"]
    errors = []
    if not url and (api_key or user or password or ca):
        errors.append(
            "CREDIT_SEARCH_API_KEY/_USERNAME/_PASSWORD/_CA_CERTS are for Elasticsearch, "
            "but CREDIT_SEARCH_URL is empty (the embedded backend)"
        )
    if api_key and (user or password):
        errors.append(
            "set either CREDIT_SEARCH_API_KEY or CREDIT_SEARCH_USERNAME and "
            "CREDIT_SEARCH_PASSWORD, not both"
        )
    if bool(user) != bool(password):
        errors.append("CREDIT_SEARCH_USERNAME and CREDIT_SEARCH_PASSWORD go together")
    https = url.startswith("https://")
    if ca and url and not https:
        errors.append("CREDIT_SEARCH_CA_CERTS is set but CREDIT_SEARCH_URL is http, not https")
    if production and url and not https and (api_key or user):
        errors.append(
            "Elasticsearch credentials over plain http in production: use https:// node "
            "URLs (and CREDIT_SEARCH_CA_CERTS for a private CA)"
        )
    return errors


def _development_secret(instance: Path) -> str:
    """A per-checkout random key, generated once and kept under the instance directory."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def describe() -> list[dict[str, Any]]:
    """The settings table for documentation (``flask credit settings``)."""
    return [{"name": ENV_PREFIX + s.name, "default": s.default, "doc": s.doc} for s in SETTINGS]
