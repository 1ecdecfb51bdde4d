"""Gunicorn settings for ``make run`` and production (override with GUNICORN_* or flags)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 30  # in-flight requests finish on SIGTERM/SIGHUP (SECURITY.md D6)
keepalive = 5
max_requests = 10000
max_requests_jitter = 500
accesslog = None  # the app logs one line per request with its request id
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
preload_app = False
# gunicornc's control socket: off unless a path is given (one fixed default path would be
# shared by every gunicorn of the user, such as the test servers).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Forwarded headers: gunicorn trusts none, not even from loopback (its default trusts
# X-Forwarded-Proto from 127.0.0.1). The app alone applies X-Forwarded-For/-Proto, through
# Werkzeug's ProxyFix and from exactly CREDIT_TRUSTED_PROXIES proxies (api/proxies.py), so
# one setting decides both the client address (rate-limit keys, audit) and the scheme.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def on_starting(server):
    """Say once, in the master's log, when rate limits cannot hold across the workers."""
    from credit.config import ConfigError, load_settings

    try:
        storage = load_settings()["CREDIT_RATELIMIT_STORAGE_URL"]
    except ConfigError:
        return  # each worker stops with the full message
    if storage == "memory://" and server.cfg.workers > 1:
        server.log.warning(
            "rate limits are counted in each of the %d workers alone (memory:// storage), "
            "so up to %d times each limit gets through; set CREDIT_RATELIMIT_STORAGE_URL "
            "to a Redis (redis://127.0.0.1:6379/0) to share the counters",
            server.cfg.workers,
            server.cfg.workers,
        )
