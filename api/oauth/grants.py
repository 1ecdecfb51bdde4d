"""authlib grants, hardened per RFC 9700 and ../shared/SECURITY.md (P1-P4, O1-O7).

- PKCE is required for every code-flow client, confidential or public, and only S256 is
  accepted (authlib defaults to optional PKCE and "plain").
- Authorization codes are single-use (claimed atomically) and short-lived.
- Refresh tokens rotate on every use; replaying a used one revokes the whole family.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app

from credit.accounts import store


class StrictCodeChallenge(CodeChallenge):
    """PKCE with S256 only, required on every authorization request."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE S256 is required)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [  # noqa: RUF012
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        """Exact match against the registered list, and never echo the attacker's URI
        (authlib puts it in the error description, and unprintable characters there make
        authlib itself fail)."""
        uri = request.payload.redirect_uri
        if not uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("The redirect_uri is not registered for this client.")
        return uri

    def save_authorization_code(self, code: str, request) -> None:
        client, user = request.client, request.user
        requested = set((request.payload.scope or "").split())
        scope = " ".join(sorted(requested & set(client.scopes) & set(user.scopes)))
        store.save_code(
            code,
            client_id=client.client_id,
            user_id=user.id,
            redirect_uri=request.payload.redirect_uri or client.get_default_redirect_uri(),
            scope=scope,
            challenge=request.payload.data.get("code_challenge"),
            method=request.payload.data.get("code_challenge_method"),
            ttl=current_app.config["CREDIT_AUTH_CODE_TTL"],
        )

    def query_authorization_code(self, code: str, client):
        return store.redeem_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code) -> None:
        """Already marked used when it was redeemed."""

    def authenticate_user(self, authorization_code):
        return store.get_user(authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [  # noqa: RUF012
        "client_secret_basic",
        "client_secret_post",
        "none",
    ]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        return store.claim_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token):
        return store.get_user(refresh_token.user_id) if refresh_token.user_id else None

    def revoke_old_credential(self, refresh_token) -> None:
        store.revoke_token(refresh_token)
