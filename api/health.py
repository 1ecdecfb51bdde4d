"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from api.auth import public
from api.errors import problem
from credit import database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Alive: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """Ready: the database and the search backend are reachable (503 otherwise)."""
    checks = {}
    error = database.ping()
    checks["database"] = "ok" if error is None else f"error: {error}"
    backend = current_app.extensions["credit.search"]
    checks["search"] = "ok" if backend.ping() else "unreachable"
    checks["search_backend"] = backend.name
    if checks["database"] == "ok" and checks["search"] == "ok":
        return jsonify(status="ready", checks=checks)
    return problem(503, "服务未就绪", "数据库或搜索服务不可达", title_en="Service Unavailable",
                   headers={"Retry-After": "5"}, extra={"checks": checks})
