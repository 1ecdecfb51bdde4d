"""Working-day calendar commands: ``flask --app wsgi credit calendar load FILE`` and
``credit calendar show [YEAR]`` (format of FILE: ``credit/workcalendar/document.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from credit.errors import DomainError, ValidationFailed
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from credit.workcalendar import service, store
from credit.workdays import CalendarYear, Deadline


@click.group("calendar")
def calendar_cli() -> None:
    """The working-day calendar (holidays and make-up working days, year by year)."""


class _DryRun(Exception):
    """Raised inside the unit of work to roll a checked load back."""


def _deadline_text(d: Deadline) -> str:
    if not d.known:
        return f"unknown (calendar for {d.missing_year} not loaded)"
    return f"{d.due_date}{' provisional' if d.provisional else ''}"


@calendar_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace an official year with a provisional one anyway."
)
@click.option(
    "--dry-run", is_flag=True, help="Check the file and show what would change; write nothing."
)
@with_appcontext
def load_cmd(file: Path, force: bool, dry_run: bool) -> None:
    """Load one year (JSON) and make it the calendar of that year.

    The year is checked (every date in that year, no day listed twice, make-up working
    days on weekends and not holidays, the statutory fixed-date holidays present, an
    official year names its notice and date); it replaces the year in force, which stays
    on record as an earlier revision. Deadlines are computed on read, so every pending
    objection and repair follows it at once: the answer lists those whose due date moved.
    Exit status 0 when loaded (or already in force), 2 when the file is refused.
    """
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"{file}: not a UTF-8 JSON file: {exc}", err=True)
        sys.exit(2)
    try:
        with unit_of_work() as uow:
            result = service.load_calendar_year(SYSTEM, uow, doc, force=force)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except ValidationFailed as exc:
        click.echo(f"{file}: {exc.detail}", err=True)
        for e in exc.errors:
            click.echo(f"  {e.field}: {e.message}", err=True)
        sys.exit(2)
    except DomainError as exc:
        click.echo(f"{file}: {exc.detail}", err=True)
        sys.exit(2)
    previous = result.previous
    click.echo(
        json.dumps(
            {
                "year": result.year.year,
                "status": result.year.status,
                "revision": result.year.revision,
                "replaced": (
                    f"{previous.status} ({previous.origin}"
                    + (f" revision {previous.revision})" if previous.revision else ")")
                    if previous
                    else None
                ),
                "changed": result.changed,
                "dry_run": dry_run,
                "pending_cases": result.pending,
                "deadlines_changed": [
                    {
                        "kind": c.kind,
                        "id": c.item_id,
                        "before": _deadline_text(c.before),
                        "after": _deadline_text(c.after),
                    }
                    for c in result.deadlines_changed
                ],
            },
            ensure_ascii=False,
        )
    )


def _source_line(y: CalendarYear) -> str:
    s = y.source
    extra = ", ".join(str(v) for v in (s.get("reference"), s.get("published_on")) if v)
    return f"{s.get('title', '')}{f' ({extra})' if extra else ''}"


def _origin(y: CalendarYear) -> str:
    return f"loaded r{y.revision}" if y.origin == "loaded" else "packaged"


@calendar_cli.command("show")
@click.argument("year", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the year's document as JSON.")
@with_appcontext
def show_cmd(year: int | None, as_json: bool) -> None:
    """List the years with their status and source, or show one year in full."""
    try:
        if year is None:
            years = service.list_calendar_years(SYSTEM)
            for y in years:
                click.echo(f"{y.year}  {y.status:<11} {_origin(y):<11} {_source_line(y)}")
            if years:
                click.echo(f"deadlines can be counted up to {years[-1].year}-12-31")
            return
        y = service.get_calendar_year(SYSTEM, year)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    if as_json:
        click.echo(json.dumps(dict(y.document), ensure_ascii=False, indent=2))
        return
    _show_year(y)


def _show_year(y: CalendarYear) -> None:
    doc: dict[str, Any] = dict(y.document)
    click.echo(f"{y.year}: {y.status} ({_origin(y)})")
    click.echo(f"source: {_source_line(y)}")
    for key in ("url", "articles", "note"):
        if y.source.get(key):
            click.echo(f"  {key}: {y.source[key]}")
    click.echo("holidays:")
    for h in doc["holidays"]:
        span = h["from"] if h["from"] == h["to"] else f"{h['from']} .. {h['to']}"
        click.echo(f"  {span:<24} {h['name']}{' / ' + h['name_en'] if h.get('name_en') else ''}")
    makeup = ", ".join(doc.get("makeup_workdays") or []) or "none"
    click.echo(f"make-up working days: {makeup}")
    if doc.get("notes"):
        click.echo(f"notes: {doc['notes']}")
    history = store.revisions(y.year)
    if history:
        click.echo("loaded revisions:")
        for r in history:
            when = f"{r.loaded_at:%Y-%m-%d %H:%M} UTC"
            click.echo(f"  r{r.revision} {r.status:<11} {when} by {r.loaded_by}")
