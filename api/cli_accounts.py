"""Operator commands for parties: ``flask --app wsgi credit clients|users|authorities``."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from credit.accounts import service
from credit.errors import DomainError
from credit.identity import SYSTEM
from credit.uow import unit_of_work


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    raise click.ClickException(f"{exc.detail}" + (f" ({details})" if details else ""))


def _client_json(client, secret: str | None = None) -> dict:
    data = {
        "client_id": client.client_id,
        "name": client.name,
        "kind": client.kind,
        "scopes": client.scopes,
        "grant_types": client.grant_types,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "disabled": client.disabled_at is not None,
    }
    if secret:
        data["client_secret"] = secret
    return data


@click.group("clients")
def clients_cli() -> None:
    """OAuth clients of firms, regulators, organisations, operators and consoles."""


@clients_cli.command("create")
@click.option("--kind", type=click.Choice(service.CLIENT_KINDS), required=True)
@click.option("--name", required=True, help="Who this client is, e.g. the firm's system.")
@click.option("--uscc", help="Enterprise clients: the one enterprise it acts for.")
@click.option("--authority", help="Regulator clients: the authority code it acts for.")
@click.option("--organisation", help="Organisation clients: the organisation code it acts for.")
@click.option("--scopes", "scope_text", default="", help='Space separated, e.g. "pledges:write"')
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="Console clients: exact callback URL (repeatable).",
)
@click.option("--public", is_flag=True, help="Console clients without a secret (PKCE only).")
@with_appcontext
def create_client(
    kind: str,
    name: str,
    uscc: str | None,
    authority: str | None,
    organisation: str | None,
    scope_text: str,
    redirect_uris: tuple[str, ...],
    public: bool,
) -> None:
    """Register a client; prints its id and secret ONCE as JSON (only a hash is kept)."""
    try:
        with unit_of_work() as uow:
            issued = service.create_client(
                SYSTEM,
                uow,
                kind=kind,
                name=name,
                scope_list=scope_text.split(),
                uscc_code=uscc,
                authority_code=authority,
                redirect_uris=list(redirect_uris),
                public=public,
                organisation_code=organisation,
            )
    except DomainError as exc:
        _fail(exc)
    click.echo(
        json.dumps(_client_json(issued.client, issued.client_secret), ensure_ascii=False, indent=2)
    )
    if issued.client_secret:
        click.echo(
            "保存好 client_secret：它不会再次显示 (store the secret now; it is not shown again)",
            err=True,
        )


@clients_cli.command("list")
@with_appcontext
def list_clients() -> None:
    """List clients (never their secrets)."""
    for client in service.list_clients(SYSTEM):
        click.echo(json.dumps(_client_json(client), ensure_ascii=False))


@clients_cli.command("disable")
@click.argument("client_id")
@with_appcontext
def disable_client(client_id: str) -> None:
    """Disable a client and revoke its tokens."""
    try:
        with unit_of_work() as uow:
            client = service.disable_client(SYSTEM, uow, client_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps(_client_json(client), ensure_ascii=False))


@clients_cli.command("rotate-secret")
@click.argument("client_id")
@with_appcontext
def rotate_secret(client_id: str) -> None:
    """Issue a new secret (printed once); the old one stops working at once."""
    try:
        with unit_of_work() as uow:
            issued = service.rotate_client_secret(SYSTEM, uow, client_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(
        json.dumps(_client_json(issued.client, issued.client_secret), ensure_ascii=False, indent=2)
    )


@click.group("users")
def users_cli() -> None:
    """Console accounts of enterprise, regulator and organisation staff and operators."""


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--kind", type=click.Choice(service.USER_KINDS), required=True)
@click.option("--uscc")
@click.option("--authority")
@click.option("--organisation", help="Organisation staff: the organisation code.")
@click.option("--scopes", "scope_text", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(
    username: str,
    display_name: str,
    kind: str,
    uscc: str | None,
    authority: str | None,
    organisation: str | None,
    scope_text: str,
    password_stdin: bool,
) -> None:
    """Create a console account (the password is stored as an argon2id hash)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work() as uow:
            user = service.create_user(
                SYSTEM,
                uow,
                username=username,
                password=password,
                kind=kind,
                display_name=display_name,
                scope_list=scope_text.split(),
                uscc_code=uscc,
                authority_code=authority,
                organisation_code=organisation,
            )
    except DomainError as exc:
        _fail(exc)
    click.echo(
        json.dumps(
            {"username": user.username, "kind": user.kind, "scopes": user.scopes},
            ensure_ascii=False,
        )
    )


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password(username: str, password_stdin: bool) -> None:
    """Set a new password; the account's sign-ins end and its tokens are revoked."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("新密码 New password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work() as uow:
            user = service.set_password(SYSTEM, uow, username, password)
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps({"username": user.username, "signed_out": True}))


@users_cli.command("disable")
@click.argument("username")
@with_appcontext
def disable_user(username: str) -> None:
    """Disable an account: no more sign-ins; its sign-ins end, its tokens are revoked."""
    try:
        with unit_of_work() as uow:
            user = service.disable_user(SYSTEM, uow, username)
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps({"username": user.username, "disabled": True}))


@click.group("authorities")
def authorities_cli() -> None:
    """Regulatory authorities and their jurisdictions."""


@authorities_cli.command("create")
@click.option("--code", required=True, help="A stable code, e.g. JS-SAMR-SZ.")
@click.option("--name", required=True, help="e.g. 苏州市市场监督管理局")
@click.option(
    "--jurisdiction",
    required=True,
    help="Comma-separated division codes; 320000 is the whole province.",
)
@click.option(
    "--kind",
    default="other",
    show_default=True,
    help="market_regulation, commerce, cyberspace, tax or other: decides the publicity "
    "rules its records follow (credit/data/publicity_rules.json).",
)
@click.option(
    "--uscc",
    "uscc_code",
    default=None,
    help="The authority's own unified social credit code (the penalty format's CF_CFJGDM).",
)
@with_appcontext
def create_authority(
    code: str, name: str, jurisdiction: str, kind: str, uscc_code: str | None
) -> None:
    try:
        with unit_of_work() as uow:
            authority = service.create_authority(
                SYSTEM,
                uow,
                code=code,
                name=name,
                jurisdiction=[c.strip() for c in jurisdiction.split(",") if c.strip()],
                kind=kind,
                uscc_code=uscc_code,
            )
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps(_authority(authority), ensure_ascii=False))


@authorities_cli.command("set-kind")
@click.option("--code", required=True, help="The authority's code.")
@click.option("--kind", required=True, help="market_regulation, commerce, cyberspace, tax, other")
@with_appcontext
def set_authority_kind(code: str, kind: str) -> None:
    """Change an authority's kind (new records follow its regime; `credit publicity
    recompute` brings those on record in line)."""
    try:
        with unit_of_work() as uow:
            authority = service.set_authority_kind(SYSTEM, uow, code, kind)
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps(_authority(authority), ensure_ascii=False))


@authorities_cli.command("set-uscc")
@click.option("--code", required=True, help="The authority's code.")
@click.option("--uscc", "uscc_code", required=True, help="Its unified social credit code.")
@with_appcontext
def set_authority_uscc(code: str, uscc_code: str) -> None:
    """Record an authority's own unified social credit code: the penalty format's
    CF_CFJGDM and CF_SJLYDM in exports, and what an upload's CF_CFJGDM must say."""
    try:
        with unit_of_work() as uow:
            authority = service.set_authority_uscc(SYSTEM, uow, code, uscc_code)
    except DomainError as exc:
        _fail(exc)
    click.echo(json.dumps(_authority(authority), ensure_ascii=False))


def _authority(authority) -> dict:
    from credit.violations.rules import regime_of

    return {
        "code": authority.code,
        "name": authority.name,
        "uscc": authority.uscc,
        "jurisdiction": authority.jurisdiction,
        "kind": authority.kind,
        "regime": regime_of(authority.kind),
    }


@click.group("organisations")
def organisations_cli() -> None:
    """Industry organisations (行业组织)."""


@organisations_cli.command("create")
@click.option("--code", required=True, help="A stable code, e.g. JS-ECA.")
@click.option("--name", required=True, help="e.g. 江苏省电子商务协会")
@click.option("--name-en", required=True, help="e.g. Jiangsu E-commerce Association")
@click.option("--uscc", required=True, help="Its USCC (a social organisation's: starts with 5).")
@click.option("--division", required=True, help="Registration division, e.g. 320000.")
@click.option("--kind", default="association", show_default=True)
@click.option("--website", default=None)
@with_appcontext
def create_organisation(
    code: str,
    name: str,
    name_en: str,
    uscc: str,
    division: str,
    kind: str,
    website: str | None,
) -> None:
    """Register an organisation (input checked by the API's schema); seeds the 行业自律型
    pledge template when none is published."""
    from marshmallow import ValidationError

    from api.errors import _flatten
    from credit.organisations import service as organisations
    from credit.organisations.schemas import OrganisationInputSchema

    raw = {
        "code": code,
        "name": name,
        "name_en": name_en,
        "uscc": uscc,
        "division_code": division,
        "kind": kind,
        "website": website,
    }
    try:
        data = OrganisationInputSchema().load(raw)
    except ValidationError as exc:
        raise click.ClickException(
            "; ".join(f"{e['field']}: {e['message']}" for e in _flatten(exc.messages, "option"))
        ) from None
    try:
        with unit_of_work() as uow:
            organisation = organisations.create_organisation(SYSTEM, uow, data)
    except DomainError as exc:
        _fail(exc)
    click.echo(
        json.dumps(
            {
                "code": organisation.code,
                "name": organisation.name,
                "uscc": organisation.uscc,
                "division_code": organisation.division_code,
                "kind": organisation.kind,
            },
            ensure_ascii=False,
        )
    )
