"""HTTP surface: ``create_app`` wires settings -> extensions -> search -> blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

import credit.database
import credit.models  # every table registered on the metadata
from credit import changes, seal, uow
from credit.config import ConfigError, load_settings
from credit.extensions import db, migrate
from credit.ratings import catalog
from credit.ratings.consumer import make_consumer as make_ratings_consumer
from credit.translog import keys as log_keys
from credit.translog.appender import make_consumer as make_log_consumer
from credit.violations import rules as publicity_rules
from credit.webhooks.events import make_consumer as make_webhooks_consumer
from search import create_backend
from search.cluster import elastic_options
from search.documents import SPECS
from search.indexer import make_consumer

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides settings (keys without ``CREDIT_``)."""
    settings = load_settings(overrides=config)
    app = Flask(
        __name__, instance_path=settings["CREDIT_INSTANCE_DIR"], instance_relative_config=False
    )
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["CREDIT_SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=settings["CREDIT_DATABASE_URL"],
        SQLALCHEMY_ECHO=settings["CREDIT_SQL_ECHO"],
        SQLALCHEMY_ENGINE_OPTIONS=credit.database.engine_options(settings),
        MAX_CONTENT_LENGTH=settings["CREDIT_MAX_CONTENT_LENGTH"],
        TESTING=settings["CREDIT_ENV"] == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The cookie follows the public URL: https (production) -> sent over TLS only.
        SESSION_COOKIE_SECURE=settings["CREDIT_PUBLIC_URL"].startswith("https://"),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from api import dbsession, logs

    logs.configure(app)
    db.init_app(app)
    dbsession.register(app)  # after db.init_app: its teardown runs first
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    catalog.configure(settings["CREDIT_SCORING_MODELS_DIR"] or None)
    catalog.catalog()  # a bad or edited model file stops start-up with its reason
    publicity_rules.validate()  # so does an uncited or inconsistent publicity rules file
    seal.validate()  # and a seal rules file out of step with its evaluators
    app.extensions["credit.log_signers"] = _log_signers(settings)
    _init_search(app)

    from api import caching, errors, headers, health, inputs, limits, middleware, pages, proxies
    from api.bodytimeout import BodyDeadline
    from api.cli import credit_cli, search_cli
    from api.oauth import init_oauth
    from api.v1 import init_api

    headers.register(app)  # first registered, so it runs after every other after_request
    proxies.init_app(app)
    middleware.register(app)
    inputs.register(app)  # bounded JSON, no control characters in any input
    caching.register(app)
    init_oauth(app)
    init_api(app)
    app.register_blueprint(health.bp)
    pages.register(app)
    limits.init_app(app)  # after the blueprints: it limits their views (api/limits.py)
    errors.register(app)  # after flask-smorest, so our problem+json handlers win
    app.cli.add_command(credit_cli)
    app.cli.add_command(search_cli)
    app.wsgi_app = BodyDeadline(app.wsgi_app, settings["CREDIT_REQUEST_BODY_TIMEOUT"])
    return app


def _log_signers(settings: dict[str, Any]) -> list[Any]:
    """The transparency log's signing keys (generated outside production when missing);
    a missing or bad key file stops start-up with its reason."""
    production = settings["CREDIT_ENV"] == "production"
    cosigners = [
        Path(p.strip()) for p in settings["CREDIT_LOG_COSIGNING_KEY_FILES"].split(",") if p.strip()
    ]
    name = None if production else log_keys.development_name(settings["CREDIT_PUBLIC_URL"])
    try:
        return log_keys.load_signers(
            Path(settings["CREDIT_LOG_SIGNING_KEY_FILE"]), cosigners, generate_as=name
        )
    except log_keys.KeyFileError as exc:
        raise ConfigError(f"invalid configuration:\n  CREDIT_LOG_SIGNING_KEY_FILE: {exc}") from exc


def _init_search(app: Flask) -> None:
    """Create the backend, register the indexer on the change feed, run it after commits."""
    backend = create_backend(
        app.config["CREDIT_SEARCH_URL"],
        app.config["CREDIT_SEARCH_INDEX_PREFIX"],
        app.config["CREDIT_EMBEDDED_SEARCH_PATH"],
        elastic_options(app.config),
    )
    app.extensions["credit.search"] = backend
    with app.app_context():
        engine = db.engine
    # Ratings first: the rating events it appends are indexed in the same round.
    attempts = app.config["CREDIT_EVENT_MAX_ATTEMPTS"]
    changes.register(engine, make_ratings_consumer(), max_attempts=attempts)
    changes.register(engine, make_consumer(backend), max_attempts=attempts)
    public_url = app.config["CREDIT_PUBLIC_URL"]
    changes.register(engine, make_webhooks_consumer(public_url), max_attempts=attempts)
    changes.register(engine, make_log_consumer(), max_attempts=attempts)
    if app.config["CREDIT_INDEX_AFTER_COMMIT"]:
        uow.add_after_commit_hook(engine, lambda: changes.run_all(db.session))
    ensured = {"done": False}

    @app.before_request
    def _ensure_indices() -> None:
        # Lazily, so an unreachable search service never stops the app from starting.
        if not ensured["done"]:
            try:
                for spec in SPECS.values():
                    backend.ensure_index(spec)
                ensured["done"] = True
            except Exception:
                app.logger.warning("search indices not ready yet", exc_info=True)

    if app.config["CREDIT_INDEXER_POLL_SECONDS"] > 0:
        from api.poller import start_poller

        start_poller(app, app.config["CREDIT_INDEXER_POLL_SECONDS"])


def search_backend(app: Flask | None = None):
    from flask import current_app

    return (app or current_app).extensions["credit.search"]
