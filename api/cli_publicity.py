"""Operator commands for the publicity rules: ``flask --app wsgi credit publicity ...``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from credit.errors import DomainError
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from credit.violations import rules
from credit.violations import service as violations


@click.group("publicity")
def publicity_cli() -> None:
    """Publicity and repair rules (credit/data/publicity_rules.json)."""


@publicity_cli.command("show")
@with_appcontext
def show_rules() -> None:
    """Validate the rules file and print, per authority kind, its regime, and per rule
    version and severity, the windows (months) with their citations."""
    rules.validate()
    for kind, (label, regime) in rules.authority_kinds().items():
        click.echo(f"kind {kind:<18} {label[0]:<6} -> {regime}")
    for v in rules.versions():
        until = v.effective_to or "…"
        click.echo(f"{v.code} {v.effective_from}..{until} (periods from the {v.start_event})")
        for severity, r in v.severities.items():
            shown = "published" if r.published else "not published"
            extra = (
                f", on request {r.publish_on_request_months} months"
                if r.publish_on_request_months
                else ""
            )
            click.echo(
                f"  {severity:<8} {shown:<13} min {r.min_months:>2} max {r.max_months:>2} months"
                f"{extra}  [{r.cite.label()}]"
            )
        for e in v.exceptions:
            click.echo(
                f"  except {sorted(e.categories)}: min {e.min_months} months [{e.cite.label()}]"
            )
    for code, r in rules.regimes().items():
        deadlines = ", ".join(
            f"{name} {d.workdays} working days [{d.cite.label()}]"
            for name, d in (("publish", r.publish_workdays), ("withdraw", r.withdraw_workdays))
        )
        repair = ", ".join(f"{d.workdays} from {d.start}" for d in r.repair_decision)
        click.echo(f"regime {code}: {deadlines}; repair decision {repair}")
        if r.start_event:
            click.echo(f"  periods from the {r.start_event}")
        if r.not_published:
            click.echo(f"  not published: {sorted(r.not_published)}")
        if r.short_months is not None:
            click.echo(
                f"  {r.short_months} months for {sorted(r.short_penalties)} and fines up to "
                f"{r.short_fine_at_most} yuan; at most {r.max_months} months otherwise"
            )
        if r.repair_excluded:
            click.echo(f"  no early repair: {sorted(r.repair_excluded)}")


@publicity_cli.command("recompute")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@with_appcontext
def recompute(dry_run: bool) -> None:
    """Recompute every record's window under the current rules and its authority's kind;
    each changed record becomes a change event (search and ratings follow). Prints one
    JSON line per record that changed (old and new values)."""
    try:
        with unit_of_work() as uow:
            out = violations.recompute_windows(SYSTEM, uow, dry_run=dry_run)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    for row in out:
        click.echo(json.dumps(row, ensure_ascii=False))
    click.echo(
        json.dumps({"changed": sum(1 for r in out if "changed" in r), "dry_run": dry_run}),
        err=True,
    )
