"""authlib grants, hardened per RFC 9700 (OAuth 2.0 Security Best Current Practice).

- PKCE is required for every code-flow client, confidential or public, and only S256 is
  accepted (authlib defaults to optional PKCE and "plain").
- Authorization codes are single-use (claimed atomically) and short-lived.
- Refresh tokens rotate on every use; replaying a used one revokes the whole family.
- Asking only for scopes the client (or, in the code flow, the user) does not hold is
  ``invalid_scope``, never a token with an empty (or a default) scope.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app, g

from credit.accounts import store


def granted_scopes(allowed: str | None, user) -> list[str]:
    """Of the scopes allowed to the client for this request, those the user holds too."""
    return sorted(set((allowed or "").split()) & set(user.scopes))


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

    def validate_token_request(self) -> None:
        """A request that names scopes, none of which the client holds, is
        ``invalid_scope`` (RFC 6749 §5.2), not a token with an empty scope; one that
        mixes held and unheld scopes gets the held ones (the response's ``scope`` says
        which, RFC 6749 §3.3)."""
        super().validate_token_request()
        if self.request.client.get_allowed_scope(self.request.payload.scope) is None:
            raise InvalidScopeError("None of the requested scopes is granted to this client.")


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

    def validate_consent_request(self):
        """As authlib, plus: the scopes the client may have must include at least one the
        signed-in user holds; otherwise ``invalid_scope`` goes back to the (validated)
        redirect URI instead of a consent page that would grant nothing."""
        redirect_uri = super().validate_consent_request()
        user = self.request.user
        if user is not None and not granted_scopes(self.request.scope, user):
            raise InvalidScopeError(
                "None of the requested scopes is held by this user.", redirect_uri=redirect_uri
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request) -> None:
        client, user = request.client, request.user
        scope = " ".join(granted_scopes(request.scope, user))
        if not scope:  # validate_consent_request refused this already; never a wide token
            raise InvalidScopeError("None of the requested scopes is held by this user.")
        sign_in = g.get("web_session")
        store.save_code(
            code,
            client_id=client.client_id,
            user_id=user.id,
            redirect_uri=request.payload.redirect_uri or client.get_default_redirect_uri(),
            scope=scope,
            challenge=request.payload.data.get("code_challenge"),
            method=request.payload.data.get("code_challenge_method"),
            ttl=current_app.config["CREDIT_AUTH_CODE_TTL"],
            auth_time=sign_in.authenticated_at if sign_in is not None else None,
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
