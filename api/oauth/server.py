"""The authorization server: authlib's Flask integration over ``credit.accounts.store``."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, current_app

from api.oauth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    StrictCodeChallenge,
)
from credit import scopes
from credit.accounts import secrets, store


class ForbiddenClientError(OAuth2Error):
    error = "unauthorized_client"
    description = "This client may not introspect tokens."
    status_code = 403


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def query_token(self, token_string, token_type_hint):
        return store.find_any_token(token_string, token_type_hint)

    def revoke_token(self, token, request) -> None:
        store.revoke_token(token)
        store.record_event("revoke", "success", client_id=token.client_id)


class Introspection(IntrospectionEndpoint):
    """RFC 7662, for internal resource servers only."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def create_endpoint_response(self, request):
        client = self.authenticate_endpoint_client(request)
        if client.kind != "internal":
            store.record_event("introspect", "refused", client_id=client.client_id)
            raise ForbiddenClientError()
        return super().create_endpoint_response(request)

    def query_token(self, token_string, token_type_hint):
        return store.find_any_token(token_string, token_type_hint)

    def check_permission(self, token, client, request) -> bool:
        return client.kind == "internal"

    def introspect_token(self, token) -> dict:
        return {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "token_type": "Bearer",
            "exp": int(token.expires_at().timestamp()),
            "iat": int(token.expires_at().timestamp()) - token.expires_in,
            "sub": token.user_id or token.client_id,
        }


def _access_token(client, grant_type, user, scope) -> str:
    return secrets.new_token(secrets.ACCESS_PREFIX)


def _refresh_token(client, grant_type, user, scope) -> str:
    return secrets.new_token(secrets.REFRESH_PREFIX)


def _save_token(token: dict, request) -> None:
    grant_type = request.payload.grant_type if request.payload else None
    family = code = previous = None
    if grant_type == "authorization_code":
        code = request.authorization_code
        family = code.id
    elif grant_type == "refresh_token":
        previous = request.refresh_token
        family = previous.family_id
    store.save_token(
        token,
        client=request.client,
        user=request.user,
        family_id=family,
        refresh_expires_at=store.refresh_family_end(
            grant_type,
            code=code,
            previous=previous,
            ttl=current_app.config["CREDIT_REFRESH_TOKEN_TTL"],
        ),
    )


def create_server(app: Flask) -> AuthorizationServer:
    ttl = app.config["CREDIT_ACCESS_TOKEN_TTL"]
    app.config.update(
        OAUTH2_ACCESS_TOKEN_GENERATOR=_access_token,
        OAUTH2_REFRESH_TOKEN_GENERATOR=_refresh_token,
        # Every grant gets the configured lifetime, never authlib's 10-day default (P1).
        OAUTH2_TOKEN_EXPIRES_IN={
            g: ttl
            for g in (
                "authorization_code",
                "client_credentials",
                "refresh_token",
                "implicit",
                "password",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
            )
        },
        OAUTH2_SCOPES_SUPPORTED=sorted(scopes.SCOPES),
    )
    server = AuthorizationServer(app, query_client=store.query_client, save_token=_save_token)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [StrictCodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    return server
