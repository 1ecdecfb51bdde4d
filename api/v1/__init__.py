"""REST API v1: flask-smorest blueprints, OpenAPI 3 at /api/v1/openapi.json, docs page."""

from __future__ import annotations

from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from api.auth import public

API_PREFIX = "/api/v1"


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="江苏省电子商务信用公共服务平台 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs-assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Jiangsu E-commerce Credit Public-Service Platform. Public "
                "registry, USCC checks and search. Errors are RFC 9457 "
                "problem+json with a per-field `errors` list.",
            },
            "servers": [{"url": "/"}],
        },
    )
    api = Api(app)

    assets = Blueprint("docs_assets", __name__)

    @assets.get(f"{API_PREFIX}/docs-assets/<path:filename>")
    @public
    def docs_asset(filename: str):
        """Swagger UI served from the swagger-ui-bundle package: no CDN needed."""
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    app.register_blueprint(assets)

    from api.v1 import (
        calendar,
        enterprises,
        exchange,
        key_enterprises,
        log,
        open_data,
        organisations,
        pledges,
        ratings,
        seal,
        search,
        uscc,
        violations,
        vocabularies,
        webhooks,
        workflow,
    )

    for module in (enterprises, pledges, violations, workflow, ratings, uscc, search, vocabularies):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.PREFIX)
    api.register_blueprint(calendar.blp, url_prefix=API_PREFIX + calendar.PREFIX)
    api.register_blueprint(seal.blp, url_prefix=API_PREFIX + seal.PREFIX)
    seal.document_image(api)
    api.register_blueprint(key_enterprises.blp, url_prefix=API_PREFIX + key_enterprises.PREFIX)
    api.register_blueprint(organisations.blp, url_prefix=API_PREFIX + organisations.PREFIX)
    api.register_blueprint(exchange.blp, url_prefix=API_PREFIX + exchange.PREFIX)
    api.register_blueprint(open_data.blp, url_prefix=API_PREFIX + open_data.PREFIX)
    api.register_blueprint(webhooks.blp, url_prefix=API_PREFIX + webhooks.PREFIX)
    api.register_blueprint(log.blp, url_prefix=API_PREFIX + log.PREFIX)
    _document_problem(api)
    _document_security(api)
    return api


def _document_security(api: Api) -> None:
    from credit.scopes import SCOPES

    api.spec.components.security_scheme(
        "oauth2",
        {
            "type": "oauth2",
            "description": "企业、监管机关系统用 client_credentials；"
            "控制台用户用 authorization_code + PKCE (S256)。",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {k: v[0] for k, v in SCOPES.items()},
                },
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "refreshUrl": "/oauth/token",
                    "scopes": {k: v[0] for k, v in SCOPES.items()},
                },
            },
        },
    )


def _document_problem(api: Api) -> None:
    api.spec.components.schema(
        "Problem",
        {
            "type": "object",
            "description": "RFC 9457 problem details",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "title_en": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "request_id": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "location": {"type": "string"},
                            "message": {"type": "string"},
                            "code": {"type": "string"},
                        },
                    },
                },
            },
        },
    )
