"""Gunicorn settings for ``make run`` and production (override with GUNICORN_* or flags)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# worker_class: gthread with arrival times, defined at the end of this file
timeout = 30
graceful_timeout = 30  # in-flight requests finish on SIGTERM/SIGHUP
keepalive = 5
# A worker is replaced after this many requests (a guard against slow leaks; none is known:
# a worker's memory is the search index's mapped files). Each replacement costs about 1.5 s
# of CPU to import the application while the other workers serve alone: after 10,000, at a
# million firms a loaded worker was replaced every 50 s, and searches paced at 300/s had a
# p99 of 720 ms instead of about 50. The jitter keeps workers from being replaced together.
max_requests = 200_000
max_requests_jitter = 20_000
accesslog = None  # the app logs one line per request with its request id
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
preload_app = False
# gunicornc's control socket: off unless a path is given (one fixed default path would be
# shared by every gunicorn of the user, such as the test servers).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def _logger_class():
    """gunicorn's own lines in the application's format when ``CREDIT_LOG_FORMAT=json``
    (the workers apply it too, with the request id; see api/logs.py). ``api/logformat.py``
    is loaded by its path: the master must not import the application's packages, or a
    ``kill -HUP`` reload would start new workers on the old code."""
    import importlib.util
    from pathlib import Path

    from gunicorn.glogging import Logger

    path = Path(__file__).resolve().parent.parent / "api" / "logformat.py"
    spec = importlib.util.spec_from_file_location("_credit_logformat", path)
    logformat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(logformat)

    class CreditLogger(Logger):
        def setup(self, cfg):
            super().setup(cfg)
            if os.environ.get("CREDIT_LOG_FORMAT", "text") == "json":
                for handler in self.error_log.handlers:
                    handler.setFormatter(logformat.JsonFormatter())

    return CreditLogger


logger_class = _logger_class()


def _worker_class():
    """gthread, noting when each request reached the worker: a request waits in the
    worker's queue while every thread is busy, and the time its body may take
    (CREDIT_REQUEST_BODY_TIMEOUT, api/bodytimeout.py) counts from its arrival, so a queue
    of slow uploads is refused at once when its time is up instead of each one holding a
    thread for the whole timeout in turn."""
    import time

    from gunicorn.workers.gthread import ThreadWorker

    class CreditThreadWorker(ThreadWorker):
        def enqueue_req(self, conn):
            conn.credit_arrived = time.monotonic()  # accepted, or readable again
            super().enqueue_req(conn)

        def handle_request(self, req, conn):
            body = getattr(req, "body", None)  # environ["wsgi.input"]
            if body is not None:
                body.credit_arrived = getattr(conn, "credit_arrived", None)
            return super().handle_request(req, conn)

    return CreditThreadWorker


worker_class = _worker_class()


# Forwarded headers: gunicorn trusts none, not even from loopback (its default trusts
# X-Forwarded-Proto from 127.0.0.1). The app alone applies X-Forwarded-For/-Proto, through
# Werkzeug's ProxyFix and from exactly CREDIT_TRUSTED_PROXIES proxies (api/proxies.py), so
# one setting decides both the client address (rate-limit keys, audit) and the scheme.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def post_worker_init(worker):
    """Exempt what the worker loaded at start from the garbage collector's full passes
    (they stopped every thread of a worker for 100-280 ms, the writes' p99), and hand the
    GIL over every millisecond instead of every 5 (GUNICORN_SWITCH_INTERVAL_MS): a
    request thread whose database answer came back waits less for it. Both explained and
    measured in api/longlived.py. Runs in the worker after it loaded the app, so importing
    it is safe here."""
    from api.longlived import freeze_startup_objects, set_switch_interval

    interval = set_switch_interval(os.environ.get("GUNICORN_SWITCH_INTERVAL_MS"))
    worker.log.info(
        "froze %d start-up objects out of the GC's reach; GIL switch interval %.1f ms",
        freeze_startup_objects(),
        1000 * interval,
    )


def on_starting(server):
    """Say once, in the master's log, when rate limits cannot hold across the workers.
    The setting is read from the environment, not through credit.config: the master must
    not import the application's packages (workers forked after a ``kill -HUP`` would
    inherit the old modules)."""
    storage = os.environ.get("CREDIT_RATELIMIT_STORAGE_URL", "memory://")
    if storage == "memory://" and server.cfg.workers > 1:
        server.log.warning(
            "rate limits are counted in each of the %d workers alone (memory:// storage), "
            "so up to %d times each limit gets through; set CREDIT_RATELIMIT_STORAGE_URL "
            "to a Redis (redis://127.0.0.1:6379/0) to share the counters",
            server.cfg.workers,
            server.cfg.workers,
        )
