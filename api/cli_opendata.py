"""Operator commands for the open-data snapshots: ``flask --app wsgi credit open-data``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from credit.errors import DomainError
from credit.opendata import snapshots


def _root() -> Path:
    return Path(current_app.config["CREDIT_OPEN_DATA_DIR"])


@click.group("open-data")
def open_data_cli() -> None:
    """开放数据快照 / the daily open-data snapshots (CREDIT_OPEN_DATA_DIR)."""


@open_data_cli.command("build")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="File the snapshot under this day (default today, China time; a day already "
    "built is replaced). Its content is the public record now.",
)
@with_appcontext
def build_cmd(day) -> None:
    """Build the snapshot of the public record now (what the worker does daily) and
    print its manifest: rows, byte sizes and SHA-256 of each file."""
    try:
        manifest = snapshots.build_snapshot(
            _root(),
            day.date() if day else None,
            keep=current_app.config["CREDIT_OPEN_DATA_KEEP"],
        )
    except DomainError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise click.ClickException(f"{exc.detail} ({details})") from None
    click.echo(json.dumps(manifest, ensure_ascii=False, indent=2))


@open_data_cli.command("list")
@with_appcontext
def list_cmd() -> None:
    """List the kept snapshots, newest first: day, issued, row counts per dataset."""
    for m in snapshots.manifests(_root()):
        rows = {d["name"]: d["rows"] for d in m["datasets"]}
        click.echo(
            json.dumps(
                {
                    "date": m["date"],
                    "issued": m["issued"],
                    "model_version": m["model_version"],
                    "rows": rows,
                },
                ensure_ascii=False,
            )
        )
