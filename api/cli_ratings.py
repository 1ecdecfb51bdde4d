"""Rating commands: ``flask --app wsgi credit rescore`` and ``credit ratings ...``."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from credit import uscc
from credit.enterprises import service as enterprises
from credit.errors import DomainError
from credit.identity import SYSTEM
from credit.ratings import catalog
from credit.ratings import service as ratings
from credit.scoring.model import ModelError
from credit.uow import unit_of_work


@click.command("rescore")
@click.option("--all", "everything", is_flag=True, help="Re-rate every enterprise.")
@click.option("--uscc", "codes", multiple=True, help="Re-rate this enterprise (repeatable).")
@click.option(
    "--model",
    "model_version",
    default=None,
    help="A published model version (default: the current one).",
)
@click.option("--chunk", default=5000, show_default=True, help="Enterprises per transaction.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes that read and score (default: one per core, for --all).",
)
@click.option(
    "--catch-up/--no-catch-up",
    default=True,
    show_default=True,
    help="Run the change-feed consumers afterwards (search picks up new grades).",
)
@with_appcontext
def rescore_cmd(
    everything: bool,
    codes: tuple[str, ...],
    model_version: str | None,
    chunk: int,
    workers: int | None,
    catch_up: bool,
) -> None:
    """Re-rate enterprises now (after a model version is published, or to repair)."""
    if everything == bool(codes):
        raise click.UsageError("give either --all or one or more --uscc")
    total = enterprises.count_enterprises(SYSTEM) if everything else len(codes)
    bar = tqdm(total=total, unit="户", desc="重新评价", file=sys.stderr, disable=None)
    started = time.perf_counter()
    try:
        stats = ratings.rescore_enterprises(
            SYSTEM,
            codes=[uscc.normalize(c) for c in codes] if codes else None,
            model_version=model_version,
            chunk=chunk,
            workers=workers,
            catch_up=catch_up,
            progress=bar.update,
        )
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} {[e.message for e in exc.errors]}") from None
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    click.echo(
        json.dumps(
            {
                **{k: round(v, 1) if isinstance(v, float) else v for k, v in asdict(stats).items()},
                "seconds": round(seconds, 1),
                "per_second": round(stats.rated / seconds) if seconds else None,
            }
        )
    )


@click.group("ratings")
def ratings_cli() -> None:
    """Scoring model versions."""


@ratings_cli.command("models")
@with_appcontext
def models_cmd() -> None:
    """List the published model versions (the current one is marked)."""
    for m in ratings.list_models(SYSTEM):
        mark = "*" if m["current"] else " "
        click.echo(f"{mark} {m['version']:<10} {m['published_on']}  {m['title']}")


@ratings_cli.command("publish-model")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--not-current", is_flag=True, help="Publish without making it current.")
@click.option(
    "--to-directory",
    is_flag=True,
    help="Write it into the models directory instead (a catalog shipped with the code; "
    "running servers use it only after a restart).",
)
@with_appcontext
def publish_model_cmd(file: Path, not_current: bool, to_directory: bool) -> None:
    """Validate FILE and publish it as a new, immutable version. It is stored in the
    database, so every running server uses it at once (no restart); then run
    ``credit rescore --all`` to re-rate every firm with it."""
    if to_directory:
        directory = Path(current_app.config["CREDIT_SCORING_MODELS_DIR"] or catalog.PACKAGED)
        try:
            model = catalog.publish(directory, file, make_current=not not_current)
        except (ModelError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    else:
        try:
            with unit_of_work() as uow:
                model = ratings.publish_model(
                    SYSTEM, uow, file.read_bytes(), make_current=not not_current
                )
        except DomainError as exc:
            raise click.ClickException(" ".join(e.message for e in exc.errors) or exc.detail)
    click.echo(
        json.dumps(
            {
                "published": model.version,
                "current": not not_current,
                "where": "directory" if to_directory else "database",
            }
        )
    )
