"""Operator commands: ``flask --app wsgi credit ...``."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from api.cli_accounts import authorities_cli, clients_cli, organisations_cli, users_cli
from api.cli_calendar import calendar_cli
from api.cli_console import console_cli
from api.cli_events import events_cli
from api.cli_exchange import exchange_cli
from api.cli_log import log_cli
from api.cli_opendata import open_data_cli
from api.cli_publicity import publicity_cli
from api.cli_ratings import ratings_cli, rescore_cmd
from credit import changes, config
from credit.demo import generate
from credit.enterprises import importing, service
from credit.extensions import db
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from credit.webhooks.sender import SenderSettings
from search.documents import SPECS
from search.indexer import reindex


@click.group("credit")
def credit_cli() -> None:
    """江苏省电子商务信用公共服务平台 operator commands."""


credit_cli.add_command(clients_cli)
credit_cli.add_command(users_cli)
credit_cli.add_command(console_cli)
credit_cli.add_command(authorities_cli)
credit_cli.add_command(organisations_cli)
credit_cli.add_command(rescore_cmd)
credit_cli.add_command(ratings_cli)
credit_cli.add_command(events_cli)
credit_cli.add_command(publicity_cli)
credit_cli.add_command(calendar_cli)
credit_cli.add_command(exchange_cli)
credit_cli.add_command(open_data_cli)
credit_cli.add_command(log_cli)


def _catch_up(show: bool = True) -> None:
    started = time.perf_counter()
    results = changes.run_all(db.session, raise_errors=False)
    if show:
        for name, n in results.items():
            state = "failed (will retry)" if n < 0 else f"{n} events"
            click.echo(
                f"consumer {name}: {state} in {time.perf_counter() - started:.1f}s", err=True
            )


@credit_cli.command("import-enterprises")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write rejected rows (line, column, reason) to this CSV file.",
)
@click.option("--no-index", is_flag=True, help="Do not run the search indexer afterwards.")
@with_appcontext
def import_enterprises_cmd(file: Path, report: Path | None, no_index: bool) -> None:
    """Import enterprises from a CSV registry export (idempotent on USCC).

    Good rows are imported in one transaction; bad rows are listed with line, column and
    reason. Exit status 0 when every row was good, 2 when some rows were rejected.
    """
    errors: list[importing.RowError] = []
    with file.open("rb") as fh:
        total_lines = sum(1 for _ in fh) - 1
    with file.open("rb") as raw:
        text = importing.open_csv(raw)
        bar = tqdm(total=max(total_lines, 0), unit="行", desc="导入", file=sys.stderr, disable=None)

        def counted():
            for rec in importing.read_records(text, errors):
                bar.update(1)
                yield rec

        try:
            with unit_of_work(run_hooks=False) as uow:
                stats = service.import_enterprises(SYSTEM, uow, counted())
        except importing.HeaderError as exc:
            bar.close()
            raise click.ClickException(f"表头有误：{exc}")
        bar.close()
    rejected_lines = len({e.line for e in errors})
    click.echo(
        json.dumps(
            {
                "created": stats.created,
                "updated": stats.updated,
                "unchanged": stats.unchanged,
                "rejected_rows": rejected_lines,
            },
            ensure_ascii=False,
        )
    )
    for e in errors[:50]:
        click.echo(f"  第 {e.line} 行 [{e.column}]: {e.reason}", err=True)
    if len(errors) > 50:
        click.echo(f"  ... {len(errors) - 50} more (use --report)", err=True)
    if report:
        with report.open("w", encoding="utf-8", newline="") as out:
            w = csv.writer(out)
            w.writerow(["line", "column", "reason"])
            w.writerows([(e.line, e.column, e.reason) for e in errors])
    if not no_index:
        _catch_up()
    if errors:
        sys.exit(2)


@credit_cli.command("demo")
@click.option(
    "--enterprises",
    "n",
    type=click.IntRange(1, 10_000_000),
    default=3000,
    show_default=True,
    help="How many enterprises to generate.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when enterprises already exist.")
@click.option("--no-index", is_flag=True, help="Do not run the search indexer afterwards.")
@click.option(
    "--pledges/--no-pledges",
    default=True,
    show_default=True,
    help="Also file demo pledges (most firms one; some amended or withdrawn).",
)
@click.option(
    "--violations/--no-violations",
    default=True,
    show_default=True,
    help="Also record demo violations, objections, repairs and commendations.",
)
@click.option(
    "--organisations/--no-organisations",
    default=True,
    show_default=True,
    help="Also create the demo industry organisation JS-ECA (members, convention, campaign).",
)
@with_appcontext
def demo_cmd(
    n: int,
    seed: int,
    if_empty: bool,
    no_index: bool,
    pledges: bool,
    violations: bool,
    organisations: bool,
) -> None:
    """Generate deterministic, realistic Jiangsu demo enterprises (and their pledges)."""
    if if_empty and service.count_enterprises(SYSTEM) > 0:
        click.echo("demo data already present; nothing to do", err=True)
        if not no_index:
            _catch_up(show=False)
        return
    started = time.perf_counter()
    bar = tqdm(total=n, unit="户", desc="生成", file=sys.stderr, disable=None)

    def counted():
        for rec in generate(n, seed):
            bar.update(1)
            yield rec

    with unit_of_work(run_hooks=False) as uow:
        stats = service.import_enterprises(SYSTEM, uow, counted(), chunk_size=5000)
    bar.close()
    made_pledges = 0
    if pledges:
        from credit.pledges import service as pledge_service
        from credit.pledges.demo import load_demo_pledges

        with unit_of_work(run_hooks=False) as uow:
            pledge_service.seed_templates(SYSTEM, uow)
            made_pledges = load_demo_pledges(SYSTEM, uow, seed=seed)
    made_violations = 0
    if violations:
        from credit.pledges import service as pledge_service
        from credit.violations.demo import load_demo_violations

        with unit_of_work(run_hooks=False) as uow:
            pledge_service.seed_templates(SYSTEM, uow)
            made_violations = load_demo_violations(SYSTEM, uow, seed=seed)
    organisation: dict = {}
    if organisations:
        from credit.organisations.demo import ensure_demo_organisation

        with unit_of_work(run_hooks=False) as uow:
            made = ensure_demo_organisation(SYSTEM, uow)
        organisation = {"code": made.code, "members": made.members}
        if made.client_secret:  # shown once, like every client secret
            organisation.update(client_id=made.client_id, client_secret=made.client_secret)
    click.echo(
        json.dumps(
            {
                "organisation": organisation,
                "created": stats.created,
                "updated": stats.updated,
                "unchanged": stats.unchanged,
                "pledges": made_pledges,
                "violations": made_violations,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    if not no_index:
        _catch_up()


@credit_cli.group("index")
def index_cli() -> None:
    """Search index maintenance."""


@index_cli.command("catch-up")
@with_appcontext
def index_catch_up() -> None:
    """Deliver pending change events to every consumer (after an outage, or a CLI import)."""
    backend = current_app.extensions["credit.search"]
    for spec in SPECS.values():
        backend.ensure_index(spec)
    for name in [c.name for c in changes.registered(db.engine)]:
        click.echo(f"{name}: {changes.backlog(db.session, name)} pending", err=True)
    results = changes.run_all(db.session, raise_errors=True)
    click.echo(json.dumps(results))


@index_cli.command("reindex")
@with_appcontext
def index_reindex() -> None:
    """Rebuild the search indices from the database (same as ``flask search reindex``)."""
    _reindex()


def _reindex(workers: int | None = None) -> None:
    backend = current_app.extensions["credit.search"]
    totals = search_sizes()
    if workers is None:  # processes pay off only on a large registry
        workers = min(2, os.cpu_count() or 1) if sum(totals.values()) > 50_000 else 1
    bar = tqdm(
        total=sum(totals.values()), unit="条", desc="重建索引", file=sys.stderr, disable=None
    )
    done = reindex(db.session, backend, progress=bar.update, workers=workers)
    bar.close()
    from search.indexer import CONSUMER_NAME

    for consumer in changes.registered(db.engine):  # replay what changed while rebuilding
        if consumer.name == CONSUMER_NAME:
            changes.run_consumer(db.session, consumer)
    click.echo(json.dumps({"indexed": done, "backend": backend.name}, ensure_ascii=False))


def search_sizes() -> dict[str, int]:
    from search.indexer import public_counts

    return public_counts(db.session)


@click.group("search")
def search_cli() -> None:
    """Search indices: rebuild with no gap in service, and check against the database."""


@search_cli.command("reindex")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes that read rows and build documents (default: 2 on a large registry, else 1).",
)
@with_appcontext
def search_reindex(workers: int | None) -> None:
    """Build new index generations from the database and swap them in (no gap)."""
    _reindex(workers)


@search_cli.command("check")
@click.option(
    "--repair/--no-repair",
    default=True,
    show_default=True,
    help="Index what is missing or stale, delete what should not be there.",
)
@with_appcontext
def search_check(repair: bool) -> None:
    """Compare the indices with the database; report (and repair) differences. Reports
    the Elasticsearch cluster's health first (on stderr); a red cluster fails the check."""
    from search.indexer import check

    backend = current_app.extensions["credit.search"]
    cluster = backend.health()
    if cluster is not None:
        click.echo(
            f"search cluster: {cluster['status']}, {cluster['nodes']} node(s), "
            f"{cluster['unassigned_shards']} unassigned shard(s)",
            err=True,
        )
    reports = check(db.session, backend, repair=repair)
    out = [
        {
            "index": r.index,
            "expected": r.expected,
            "indexed": r.indexed,
            "missing": len(r.missing),
            "extra": len(r.extra),
            "stale": len(r.stale),
            "repaired": r.repaired,
            "examples": (r.missing + r.extra + r.stale)[:5],
        }
        for r in reports
    ]
    click.echo(json.dumps(out, ensure_ascii=False))
    if not repair and any(r.missing or r.extra or r.stale for r in reports):
        sys.exit(1)
    if cluster is not None and cluster["status"] == "red":
        sys.exit(1)  # a primary shard is missing: some documents cannot be searched


@credit_cli.command("settings")
def settings_cmd() -> None:
    """List every setting with its default and meaning."""
    for s in config.describe():
        click.echo(f"{s['name']:<32} default={s['default']!r}\n    {s['doc']}")


@credit_cli.group("pledges")
def pledges_cli() -> None:
    """Integrity pledges and their templates."""


@pledges_cli.command("seed-templates")
@with_appcontext
def seed_templates_cmd() -> None:
    """Publish the standard templates (ECOM-STD, CREDIT-REPAIR) if they are missing."""
    from credit.pledges import service as pledges

    with unit_of_work() as uow:
        created = pledges.seed_templates(SYSTEM, uow)
    click.echo(json.dumps({"published": [f"{t.code} v{t.version}" for t in created]}))


@pledges_cli.command("expire")
@with_appcontext
def expire_cmd() -> None:
    """Record expiry events for pledges past their validity (run daily, e.g. from cron)."""
    from credit.pledges import service as pledges

    with unit_of_work() as uow:
        n = pledges.expire_due_pledges(SYSTEM, uow)
    click.echo(json.dumps({"expired": n}))


@pledges_cli.command("mandate")
@click.option("--platform", "platform_code", required=True, help="The platform's USCC.")
@click.argument("merchants", nargs=-1, required=True)
@with_appcontext
def mandate_cmd(platform_code: str, merchants: tuple[str, ...]) -> None:
    """Authorise a platform to file and publish pledges for these merchants (USCCs)."""
    from credit.errors import DomainError
    from credit.pledges import service as pledges

    try:
        with unit_of_work() as uow:
            n = pledges.grant_mandates(SYSTEM, uow, platform_code, list(merchants))
    except DomainError as exc:
        raise click.ClickException(exc.detail)
    click.echo(json.dumps({"granted": n}))


@credit_cli.command("sweep")
@with_appcontext
def sweep_cmd() -> None:
    """Expire pledges and end publicity windows that are due (the worker does this every
    CREDIT_WORKER_SWEEP_SECONDS; run it from cron when no worker runs)."""
    from credit.sweeps import sweep

    click.echo(json.dumps({"changed": sweep(give_way=True)}))


def webhook_sender_settings(cfg: Mapping[str, object]) -> SenderSettings:
    """The webhook sender's settings from the app's configuration."""
    from datetime import timedelta

    from credit.webhooks.addresses import parse_allow_hosts

    return SenderSettings(
        allow_hosts=parse_allow_hosts(cfg["CREDIT_WEBHOOK_ALLOW_HOSTS"]),
        timeout=cfg["CREDIT_WEBHOOK_TIMEOUT"],
        disable_after=timedelta(days=cfg["CREDIT_WEBHOOK_DISABLE_AFTER_DAYS"]),
    )


def _search_warmer(backend: Any) -> Callable[[], dict | None] | None:
    """What warms Elasticsearch's serving indices after one of its nodes starts
    (search/warming.py); None for the embedded engine, read in process."""
    from search.elastic import ElasticBackend
    from search.warming import NodeWarmer

    return NodeWarmer(backend).check if isinstance(backend, ElasticBackend) else None


@credit_cli.command("worker")
@with_appcontext
def worker_cmd() -> None:
    """Run the change-feed consumers and the sweeps until SIGTERM/SIGINT (several may run:
    each consumer is held by one worker at a time; docs/deploying/worker.md)."""
    from credit.worker import Worker, WorkerSettings

    cfg = current_app.config
    settings = WorkerSettings(
        lease_seconds=cfg["CREDIT_WORKER_LEASE_SECONDS"],
        poll_seconds=cfg["CREDIT_WORKER_POLL_SECONDS"],
        sweep_seconds=cfg["CREDIT_WORKER_SWEEP_SECONDS"],
        open_data_dir=cfg["CREDIT_OPEN_DATA_DIR"],
        open_data_keep=cfg["CREDIT_OPEN_DATA_KEEP"],
        webhooks=webhook_sender_settings(cfg),
        log_signers=current_app.extensions["credit.log_signers"],
        checkpoint_seconds=cfg["CREDIT_LOG_CHECKPOINT_SECONDS"],
        search_warm=_search_warmer(current_app.extensions["credit.search"]),
    )
    from api.longlived import freeze_startup_objects

    freeze_startup_objects()  # a full GC pass would stall the consumers (api/longlived.py)
    Worker(db.engine, settings, context=current_app.app_context).run()
