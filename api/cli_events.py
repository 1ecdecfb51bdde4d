"""Failed change events: ``flask --app wsgi credit events failed|retry``.

A consumer sets an event aside after repeated failures and moves on (``credit.changes``);
these commands show what was set aside and deliver it again once the cause is fixed.

Exit status of ``retry``: 0 when every event given was delivered (or already resolved),
1 when one still fails (it stays listed; the reason is printed), 2 for an unknown id.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext

from credit import clock, failed_events
from credit.changes import FailedEvent, firms_text
from credit.errors import NotFound
from credit.identity import SYSTEM


def _time(value: datetime | None) -> str | None:
    return value.astimezone(clock.CHINA).isoformat(sep=" ", timespec="seconds") if value else None


def _as_json(row: FailedEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "consumer": row.consumer,
        "event_id": row.event_id,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "entity_version": row.entity_version,
        "op": row.op,
        "firms": row.firms,
        "error": row.error,
        "attempts": row.attempts,
        "first_failed_at": _time(row.first_failed_at),
        "last_failed_at": _time(row.last_failed_at),
        "set_aside_at": _time(row.set_aside_at),
        "resolved_at": _time(row.resolved_at),
    }


def _width(text: str) -> int:
    """Columns a terminal gives ``text`` (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns (cut with an ellipsis)."""
    if _width(text) <= width:
        return text
    out, used = "", 0
    for c in text:
        if used + _width(c) > width - 1:
            break
        out, used = out + c, used + _width(c)
    return out + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _headline(error: str) -> str:
    """The first line of an error without its module path: ``OverflowError: ...``."""
    kind, sep, message = error.splitlines()[0].partition(": ")
    return f"{kind.rsplit('.', 1)[-1]}{sep}{message}"


def _table(rows: list[FailedEvent]) -> list[str]:
    header = ["ID", "CONSUMER", "EVENT", "FIRM", "ERROR", "ATTEMPTS", "LAST FAILED (UTC+8)"]
    body = [
        [
            str(r.id),
            r.consumer,
            f"{r.event_id} {r.entity_type} {r.entity_id[:8]}",
            _cut(firms_text(r.firms), 48),
            _cut(_headline(r.error), 60),
            str(r.attempts) + ("" if r.resolved_at is None else " (resolved)"),
            _time(r.last_failed_at) or "",
        ]
        for r in rows
    ]
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(_pad(c, w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]


@click.group("events")
def events_cli() -> None:
    """Change events a consumer could not process (失败事件)."""


@events_cli.command("failed")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, every field.")
@click.option("--consumer", help="Only this consumer's (ratings, search-indexer).")
@click.option("--include-resolved", is_flag=True, help="Also those delivered since.")
@with_appcontext
def failed_cmd(as_json: bool, consumer: str | None, include_resolved: bool) -> None:
    """List the events consumers set aside, oldest first."""
    rows = failed_events.list_failed_events(
        SYSTEM, include_resolved=include_resolved, consumer=consumer
    )
    if as_json:
        for row in rows:
            click.echo(json.dumps(_as_json(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("没有失败事件 / no failed events")
        return
    for line in _table(rows):
        click.echo(line)


@events_cli.command("retry")
@click.argument("ids", type=int, nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every unresolved failed event.")
@click.option("--consumer", help="With --all: only this consumer's.")
@with_appcontext
def retry_cmd(ids: tuple[int, ...], everything: bool, consumer: str | None) -> None:
    """Deliver failed events (by ID, as listed) to their consumer again."""
    if everything == bool(ids):
        raise click.UsageError("give one or more IDs, or --all")
    if consumer and not everything:
        raise click.UsageError("--consumer goes with --all")
    try:
        if everything:
            outcomes = failed_events.retry_all(SYSTEM, consumer)
        else:
            outcomes = [failed_events.retry_failed_event(SYSTEM, i) for i in ids]
    except NotFound as exc:
        click.echo(exc.detail, err=True)
        raise SystemExit(2) from None
    failed = 0
    for o in outcomes:
        what = f"failed event {o.id} (consumer {o.consumer}, event {o.event_id})"
        if o.already:
            click.echo(f"{what}: already resolved")
        elif o.resolved:
            click.echo(f"{what}: delivered, resolved")
        else:
            failed += 1
            hint = " (the service is unavailable: try again later)" if o.transient else ""
            click.echo(f"{what}: still fails{hint}: {o.error}", err=True)
    if everything:
        click.echo(f"{len(outcomes) - failed} of {len(outcomes)} resolved")
    if failed:
        raise SystemExit(1)
