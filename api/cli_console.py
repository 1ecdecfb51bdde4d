"""``flask --app wsgi credit console setup``: register the first-party console client
(and, for local development, the demo console accounts)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from api.urls import console_base
from credit.accounts import service
from credit.errors import DomainError
from credit.identity import SYSTEM
from credit.uow import unit_of_work


def console_redirect_uris(base_urls: tuple[str, ...]) -> list[str]:
    bases = list(base_urls) or [console_base()]
    return [f"{b.rstrip('/')}/console/callback" for b in bases if b]


@click.group("console")
def console_cli() -> None:
    """The enterprise and regulator consoles."""


@console_cli.command("setup")
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    help="Base URL the consoles are served at (repeatable); default "
    "CREDIT_CONSOLE_URL, else CREDIT_PUBLIC_URL.",
)
@click.option(
    "--demo-accounts",
    is_flag=True,
    help="Also create the demo firm and regulator users (development only).",
)
@with_appcontext
def setup(base_urls: tuple[str, ...], demo_accounts: bool) -> None:
    """Register (or extend) the console client with exact redirect URIs; idempotent."""
    uris = console_redirect_uris(base_urls)
    if not uris:
        raise click.ClickException("no base URL: pass --base-url or set CREDIT_CONSOLE_URL")
    try:
        with unit_of_work() as uow:
            client = service.register_console_client(
                SYSTEM,
                uow,
                client_id=current_app.config["CREDIT_CONSOLE_CLIENT_ID"],
                name="江苏省电子商务信用公共服务平台控制台 (first-party console)",
                redirect_uris=uris,
            )
            out = {"client_id": client.client_id, "redirect_uris": client.redirect_uris}
        if demo_accounts:
            from credit.accounts.demo import ensure_demo_accounts

            with unit_of_work() as uow:
                demo = ensure_demo_accounts(
                    SYSTEM, uow, production=current_app.config["CREDIT_ENV"] == "production"
                )
            out["demo"] = {
                "firm_uscc": demo.firm_uscc,
                "firm_name": demo.firm_name,
                "authority": demo.authority_code,
                "created": demo.created,
            }
    except DomainError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise click.ClickException(exc.detail + (f" ({details})" if details else "")) from None
    click.echo(json.dumps(out, ensure_ascii=False))
