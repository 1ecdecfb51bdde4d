"""Operator services for parties: authorities, OAuth clients and console users.

Secrets are returned once, at creation or rotation, and only their hashes are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa

from credit import clock, scopes, uscc
from credit.accounts import sessions
from credit.accounts.models import Authority, OAuthClient, Token, UserAccount
from credit.accounts.secrets import (
    digest,
    hash_password,
    new_client_id,
    new_client_secret,
)
from credit.enterprises.models import Enterprise
from credit.errors import Conflict, FieldError, NotFound, ValidationFailed
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_manage_registry, require
from credit.regions import DISTRICTS, JIANGSU_CITIES, PROVINCE_CODE
from credit.uow import UnitOfWork

CLIENT_KINDS = (
    "enterprise",
    "regulator",
    "organisation",
    "operator",
    "internal",
    "console",
    "subscriber",
)
USER_KINDS = ("enterprise", "regulator", "organisation", "operator")
MIN_PASSWORD_LENGTH = 10


def _valid_division(code: str) -> bool:
    if code == PROVINCE_CODE or code in JIANGSU_CITIES:
        return True
    return any(code in districts for districts in DISTRICTS.values())


def _check_kind(kind: str) -> None:
    from credit.violations.rules import authority_kinds

    if kind not in authority_kinds():
        raise ValidationFailed(
            "机关类别无效",
            [FieldError("kind", f"应为 {', '.join(authority_kinds())} 之一", "invalid_kind")],
        )


def create_authority(
    identity: Identity,
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    jurisdiction: list[str],
    kind: str = "other",
    uscc_code: str | None = None,
) -> Authority:
    """``kind`` (market_regulation, commerce, ...) decides the publicity rules its records
    follow (``authority_kinds`` in credit/data/publicity_rules.json); ``uscc_code`` is the
    authority's own unified social credit code, if known."""
    require(can_manage_registry(identity))
    _check_kind(kind)
    own_code = _authority_code(uscc_code) if uscc_code else None
    bad = [c for c in jurisdiction if not _valid_division(c)]
    if not jurisdiction or bad:
        raise ValidationFailed(
            "管辖区域无效",
            [FieldError("jurisdiction", f"不是江苏省的行政区划代码: {', '.join(bad) or '(空)'}")],
        )
    if db.session.scalar(sa.select(Authority).where(Authority.code == code)):
        raise Conflict(f"机关代码 {code} 已存在")
    authority = Authority(
        code=code,
        name=name,
        jurisdiction=sorted(set(jurisdiction)),
        kind=kind,
        uscc=own_code,
        created_at=clock.now(),
    )
    uow.session.add(authority)
    return authority


def _authority_code(raw: str) -> str:
    """An authority's unified social credit code, checked (GB 32100) and not another's."""
    result = uscc.check(raw)
    if not result.valid:
        raise ValidationFailed(
            "机关的统一社会信用代码无效",
            [FieldError("uscc", "不是有效的统一社会信用代码 / not a valid code", "invalid")],
        )
    held = db.session.scalar(sa.select(Authority.code).where(Authority.uscc == result.code))
    if held is not None:
        raise Conflict(f"统一社会信用代码 {result.code} 已属于机关 {held}")
    return result.code


def set_authority_uscc(identity: Identity, uow: UnitOfWork, code: str, uscc_code: str) -> Authority:
    """Record (or correct) an authority's own unified social credit code."""
    require(can_manage_registry(identity))
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise NotFound(f"未登记的机关 {code}")
    checked = uscc.check(uscc_code)
    if checked.valid and checked.code == authority.uscc:
        return authority
    authority.uscc = _authority_code(uscc_code)
    uow.session.flush()
    return authority


def set_authority_kind(identity: Identity, uow: UnitOfWork, code: str, kind: str) -> Authority:
    """Change an authority's kind: records recorded from now on follow its regime; those
    on record keep theirs until ``credit publicity recompute`` (an operator's decision)."""
    require(can_manage_registry(identity))
    _check_kind(kind)
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise NotFound(f"未登记的机关 {code}")
    authority.kind = kind
    uow.session.flush()
    return authority


def _enterprise_by_code(code: str) -> Enterprise:
    check = uscc.check(code)
    if not check.valid:
        raise ValidationFailed(
            "统一社会信用代码格式不正确",
            [FieldError("uscc", f.text, f.code) for f in check.faults],
        )
    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == check.code))
    if ent is None:
        raise NotFound(f"未登记的经营者 {check.code}")
    return ent


def _authority_by_code(code: str) -> Authority:
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise NotFound(f"未知的机关 {code}")
    return authority


def _organisation_by_code(code: str | None) -> Any:
    """The organisation an organisation client or user acts for (required)."""
    from credit.organisations.models import Organisation

    if not code:
        raise ValidationFailed(
            "行业组织的客户端或账户必须绑定行业组织",
            [FieldError("organisation", "required", "required")],
        )
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if organisation is None:
        raise NotFound(f"未知的行业组织 {code}")
    return organisation


def _check_scopes(kind: str, requested: list[str]) -> list[str]:
    unknown = scopes.unknown(requested)
    if unknown:
        raise ValidationFailed("未知的权限范围", [FieldError("scopes", ", ".join(unknown))])
    allowed = scopes.CONSOLE_SCOPES if kind == "console" else scopes.ALLOWED_BY_KIND[kind]
    beyond = sorted(set(requested) - allowed)
    if beyond:
        raise ValidationFailed(
            f"{kind} 不能持有这些权限范围", [FieldError("scopes", ", ".join(beyond), "not_allowed")]
        )
    return requested


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    client_secret: str | None


def create_client(
    identity: Identity,
    uow: UnitOfWork,
    *,
    kind: str,
    name: str,
    scope_list: list[str],
    uscc_code: str | None = None,
    authority_code: str | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
    organisation_code: str | None = None,
) -> IssuedClient:
    """Register a client. Enterprise clients are bound to one enterprise, regulator clients
    to one authority, organisation clients to one industry organisation; console clients
    sign people in (authorization_code + PKCE)."""
    require(can_manage_registry(identity))
    if kind not in CLIENT_KINDS:
        raise ValidationFailed("未知的客户端类型", [FieldError("kind", kind)])
    scope_list = _check_scopes(kind, scopes.parse(scope_list))
    enterprise_id = authority_id = organisation_id = None
    if kind == "organisation":
        organisation_id = _organisation_by_code(organisation_code).id
    elif kind == "enterprise":
        if not uscc_code:
            raise ValidationFailed(
                "企业客户端必须绑定统一社会信用代码", [FieldError("uscc", "required", "required")]
            )
        enterprise_id = _enterprise_by_code(uscc_code).id
    elif kind == "regulator":
        if not authority_code:
            raise ValidationFailed(
                "监管客户端必须绑定机关", [FieldError("authority", "required", "required")]
            )
        authority_id = _authority_by_code(authority_code).id
    if kind == "console":
        uris = list(redirect_uris or [])
        if not uris:
            raise ValidationFailed(
                "控制台客户端需要回调地址", [FieldError("redirect_uris", "required", "required")]
            )
        grants = ["authorization_code", "refresh_token"]
        auth_method = "none" if public else "client_secret_basic"
    else:
        if redirect_uris:
            raise ValidationFailed(
                "只有控制台客户端可以有回调地址", [FieldError("redirect_uris", "not allowed")]
            )
        uris, grants, auth_method = [], ["client_credentials"], "client_secret_basic"
        public = False
    secret = None if public else new_client_secret()
    client = OAuthClient(
        client_id=new_client_id(),
        client_secret_hash=digest(secret) if secret else None,
        name=name,
        kind=kind,
        enterprise_id=enterprise_id,
        authority_id=authority_id,
        organisation_id=organisation_id,
        scopes=scope_list,
        grant_types=grants,
        redirect_uris=uris,
        token_endpoint_auth_method=auth_method,
        created_at=clock.now(),
    )
    uow.session.add(client)
    return IssuedClient(client, secret)


#: What the platform's own console may ask for on its users' behalf (the token then holds
#: only what the signed-in user holds too).
FIRST_PARTY_CONSOLE_SCOPES = (
    scopes.ALLOWED_BY_KIND["enterprise"]
    | scopes.ALLOWED_BY_KIND["regulator"]
    | scopes.ALLOWED_BY_KIND["organisation"]
)


def _check_redirect_uris(uris: list[str]) -> list[str]:
    bad = []
    for uri in uris:
        parsed = urlparse(uri)
        if (
            parsed.scheme not in {"http", "https"}
            or not parsed.hostname
            or parsed.fragment
            or "@" in parsed.netloc
            or parsed.query
        ):
            bad.append(uri)
    if not uris or bad:
        raise ValidationFailed(
            "回调地址无效",
            [
                FieldError(
                    "redirect_uris",
                    f"须为完整的 http(s) 地址，不含查询、片段或用户信息: "
                    f"{', '.join(bad) or '(空)'}",
                )
            ],
        )
    return uris


def register_console_client(
    identity: Identity, uow: UnitOfWork, *, client_id: str, name: str, redirect_uris: list[str]
) -> OAuthClient:
    """The platform's first-party console client: public (no secret; PKCE S256 protects
    the code), authorization_code + refresh_token, exact redirect URIs. Idempotent: run
    again, it adds the given redirect URIs to the existing client of this id."""
    require(can_manage_registry(identity))
    uris = _check_redirect_uris(list(redirect_uris))
    client = db.session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        client = OAuthClient(
            client_id=client_id,
            client_secret_hash=None,
            name=name,
            kind="console",
            scopes=sorted(FIRST_PARTY_CONSOLE_SCOPES),
            grant_types=["authorization_code", "refresh_token"],
            redirect_uris=sorted(set(uris)),
            token_endpoint_auth_method="none",  # noqa: S106
            created_at=clock.now(),
        )
        uow.session.add(client)
        return client
    if client.kind != "console" or client.client_secret_hash is not None:
        raise Conflict(f"客户端 {client_id} 已存在且不是平台控制台客户端")
    client.redirect_uris = sorted(set(client.redirect_uris) | set(uris))
    client.scopes = sorted(FIRST_PARTY_CONSOLE_SCOPES)
    return client


def list_clients(identity: Identity) -> list[OAuthClient]:
    require(can_manage_registry(identity))
    return list(db.session.scalars(sa.select(OAuthClient).order_by(OAuthClient.created_at)))


def _client(client_id: str) -> OAuthClient:
    client = db.session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        raise NotFound(f"未知的客户端 {client_id}")
    return client


def disable_client(identity: Identity, uow: UnitOfWork, client_id: str) -> OAuthClient:
    """Disable a client and revoke every token it holds."""
    from credit.accounts.models import Token

    require(can_manage_registry(identity))
    client = _client(client_id)
    now = clock.now()
    client.disabled_at = client.disabled_at or now
    uow.session.execute(
        sa.update(Token)
        .where(Token.client_id == client.client_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return client


def rotate_client_secret(identity: Identity, uow: UnitOfWork, client_id: str) -> IssuedClient:
    require(can_manage_registry(identity))
    client = _client(client_id)
    if client.client_secret_hash is None:
        raise Conflict("公开客户端没有密钥")
    secret = new_client_secret()
    client.client_secret_hash = digest(secret)
    client.secret_rotated_at = clock.now()
    return IssuedClient(client, secret)


def create_user(
    identity: Identity,
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    kind: str,
    display_name: str,
    scope_list: list[str],
    uscc_code: str | None = None,
    authority_code: str | None = None,
    organisation_code: str | None = None,
) -> UserAccount:
    require(can_manage_registry(identity))
    errors = []
    if kind not in USER_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(USER_KINDS)}"))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"密码至少 {MIN_PASSWORD_LENGTH} 位"))
    if not username or len(username) > 64:
        errors.append(FieldError("username", "1-64 characters"))
    if errors:
        raise ValidationFailed("账户信息有误", errors)
    scope_list = _check_scopes(kind, scopes.parse(scope_list))
    if db.session.scalar(sa.select(UserAccount).where(UserAccount.username == username)):
        raise Conflict(f"用户名 {username} 已存在")
    enterprise_id = (
        _enterprise_by_code(uscc_code).id if kind == "enterprise" and uscc_code else None
    )
    authority_id = (
        _authority_by_code(authority_code).id if kind == "regulator" and authority_code else None
    )
    if kind == "enterprise" and not enterprise_id:
        raise ValidationFailed("企业账户必须绑定统一社会信用代码", [FieldError("uscc", "required")])
    if kind == "regulator" and not authority_id:
        raise ValidationFailed("监管账户必须绑定机关", [FieldError("authority", "required")])
    organisation_id = (
        _organisation_by_code(organisation_code).id if kind == "organisation" else None
    )
    user = UserAccount(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        kind=kind,
        enterprise_id=enterprise_id,
        authority_id=authority_id,
        organisation_id=organisation_id,
        scopes=scope_list,
        created_at=clock.now(),
    )
    uow.session.add(user)
    return user


def _user(username: str) -> UserAccount:
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.username == username))
    if user is None:
        raise NotFound(f"未知的用户 {username}")
    return user


def _end_sign_ins(uow: UnitOfWork, user: UserAccount, reason: str) -> None:
    """End every sign-in of the user and revoke every token issued to the user."""
    sessions.end_all_for_user(user.id, reason)
    uow.session.execute(
        sa.update(Token)
        .where(Token.user_id == user.id, Token.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def set_password(identity: Identity, uow: UnitOfWork, username: str, password: str) -> UserAccount:
    """A new password for a console account; every sign-in made with the old one ends
    and every token issued under it is revoked."""
    require(can_manage_registry(identity))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "密码太短", [FieldError("password", f"密码至少 {MIN_PASSWORD_LENGTH} 位")]
        )
    user = _user(username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _end_sign_ins(uow, user, sessions.PASSWORD_CHANGED)
    return user


def disable_user(identity: Identity, uow: UnitOfWork, username: str) -> UserAccount:
    """Disable a console account: it can no longer sign in, its sign-ins end and its
    tokens are revoked."""
    require(can_manage_registry(identity))
    user = _user(username)
    user.disabled_at = user.disabled_at or clock.now()
    _end_sign_ins(uow, user, sessions.USER_DISABLED)
    return user
