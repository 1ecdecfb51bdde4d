"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from api.auth import public
from api.errors import problem
from credit import database, failed_events, worker
from credit.extensions import db
from credit.translog import service as log_service

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Alive: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """Ready while the database answers (503 otherwise). An unreachable search service, or
    change events a consumer set aside (``failed_events``: how many, see ``flask credit
    events failed``), make the app *degraded*, not unready: every page still serves, so a
    load balancer must keep sending traffic (search itself answers 503). ``worker``: each
    consumer's lease holder, lease expiry and backlog; where consumers run only in a worker
    (``CREDIT_INDEX_AFTER_COMMIT`` off), a backlog nobody holds is *degraded* too.
    ``transparency_log``: the log's size, the size and age of its latest signed checkpoint
    and how many entries no checkpoint covers yet (an alert when the age keeps growing)."""
    checks: dict = {}
    error = database.ping()
    checks["database"] = "ok" if error is None else f"error: {error}"
    backend = current_app.extensions["credit.search"]
    checks["search"] = "ok" if backend.ping() else "unreachable"
    checks["search_backend"] = backend.name
    cluster = backend.health() if checks["search"] == "ok" else None
    if cluster is not None:  # Elasticsearch: green, or yellow while a replica is missing
        checks["search_cluster"] = cluster
    if checks["database"] == "ok":
        checks["failed_events"] = failed_events.count_unresolved()
        checks["worker"] = worker.report()
        checks["transparency_log"] = log_service.status(db.session)
        degraded = checks["search"] != "ok" or checks["failed_events"] > 0
        if not current_app.config["CREDIT_INDEX_AFTER_COMMIT"]:
            # Consumers run only in a worker: one with work waiting and nobody holding it
            # means no worker is running (the web keeps serving, with stale ratings).
            degraded = degraded or any(
                c.get("backlog", 0) > 0 and c["lease_expired"] for c in checks["worker"].values()
            )
        return jsonify(status="degraded" if degraded else "ready", checks=checks)
    return problem(
        503,
        "服务未就绪",
        "数据库或搜索服务不可达",
        title_en="Service Unavailable",
        headers={"Retry-After": "5"},
        extra={"checks": checks},
    )
