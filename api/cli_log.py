"""Operator and auditor commands for the transparency log: ``flask --app wsgi credit log``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from credit.extensions import db
from credit.translog import audit, keys, service
from credit.translog.notes import NoteError, Signer, Verifier


@click.group("log")
def log_cli() -> None:
    """透明日志 / the transparency log (README: A verifiable public record)."""


@log_cli.command("keygen")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen_cmd(name: str, path: Path) -> None:
    """Make a new signing key named NAME (the log's origin, e.g. credit.example.cn/log) in
    PATH (mode 0600, never overwritten) and print its verifier key, the line to publish."""
    try:
        signer = Signer.generate(name)
        keys.write_signer(path, signer)
    except NoteError as exc:
        raise click.ClickException(str(exc)) from None
    except FileExistsError:
        raise click.ClickException(f"{path} exists; a key file is never overwritten") from None
    click.echo(signer.verifier().encoded())


@log_cli.command("checkpoint")
@with_appcontext
def checkpoint_cmd() -> None:
    """Sign a checkpoint now if the log grew (the worker does this every
    CREDIT_LOG_CHECKPOINT_SECONDS) and print the latest signed checkpoint."""
    try:
        service.sign_checkpoint(db.session, current_app.extensions["credit.log_signers"])
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the worker signed the same size a moment earlier
    latest = service.latest_checkpoint(db.session)
    click.echo(latest.note if latest else "", nl=False)


@log_cli.command("verify")
@click.option(
    "--key",
    "vkey",
    help="The log's verifier key (<name>+<id>+<base64>); default: this platform's own key.",
)
@with_appcontext
def verify_cmd(vkey: str | None) -> None:
    """Recompute every entry from the database and the tree from the entries, check every
    signed checkpoint, and compare each public record with its last entry. Exit status 1
    when anything does not match (each finding names the index and the record)."""
    try:
        verifier = (
            Verifier.parse(vkey)
            if vkey
            else current_app.extensions["credit.log_signers"][0].verifier()
        )
    except NoteError as exc:
        raise click.ClickException(f"--key: {exc}") from None
    report = audit.verify_log(
        db.session, verifier, lambda step: click.echo(f"检查 / checking {step}…", err=True)
    )
    click.echo(
        f"日志 {report.size} 条，检查点 {report.checkpoints} 个，公开记录 {report.records} 条 "
        f"(entries {report.size}, checkpoints {report.checkpoints}, "
        f"public records {report.records})"
    )
    for finding in report.pending:
        click.echo(f"待载入 / pending: {finding.line()}")
    for finding in report.findings:
        click.echo(f"不符 / MISMATCH: {finding.line()}")
    if report.ok:
        click.echo("日志完整，与数据库一致 (the log is intact and matches the database)")
        return
    click.echo(f"发现 {len(report.findings)} 处不符 ({len(report.findings)} mismatches)")
    sys.exit(1)
