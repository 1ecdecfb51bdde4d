"""Operator and auditor commands for the transparency log: ``flask --app wsgi credit log``."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from credit.extensions import db
from credit.translog import audit, keys, monitor, service
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


def _say(line: str) -> None:
    click.echo(line)


def _fail(message: str) -> None:
    click.echo(f"错误 (error): {message}", err=True)
    sys.exit(1)


@log_cli.command("monitor")
@click.argument("url")
@click.option(
    "--key",
    "vkey",
    help="The log's verifier key (<name>+<key id>+<key>) as published in the README. "
    "Without it: the key of the state file, else the platform's own (trust on first use).",
)
@click.option(
    "--origin",
    help="The log's origin line. Default: the state file's, else the platform's, else the "
    "key's name.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON file keeping the last verified checkpoint. Default: "
    "~/.cache/credit-platform/log-monitor-<host>.json.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds between fetches.",
)
@click.option(
    "--count",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Checkpoints to fetch; 0 runs until an alert or an error.",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option(
    "--retries",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Attempts per request before a network or HTTP error ends the run.",
)
def monitor_cmd(
    url: str,
    vkey: str | None,
    origin: str | None,
    state_path: Path | None,
    interval: float,
    count: int,
    timeout: float,
    retries: int,
) -> None:
    """Watch the log of the platform at URL (e.g. http://127.0.0.1:8000): verify each
    checkpoint's signature and origin, and that it extends the last one verified (a
    consistency proof); alert on a fork or a shrink.

    Exit status 0 when every check passed, 2 at the first alert (it stops there), 1 when
    the platform could not be read after the retries.
    """
    try:
        base = monitor.parse_base_url(url)
        path = state_path or monitor.default_state_path(base)
        last = monitor.load_state(path)
        client = monitor.Client(base, timeout=timeout, retries=retries)
        verifier, published = _verifier(client, vkey, last)
        # the origin: the option's, the state file's, the platform's, the key's name (C2SP)
        expected = origin or (last.origin if last else None) or published or verifier.name
        if last and expected != last.origin:
            raise monitor.MonitorError(
                f"状态文件属于另一日志 (the state file {path} is for the log {last.origin!r})"
            )
        _say(f"状态文件 (state file): {path}")
        if last:
            _say(f"上次验证 (last verified): 大小 (size) {last.size}")
        done = 0
        while True:
            seen = monitor.check_once(client, verifier, expected, last, _say)
            if seen is not None:
                monitor.save_state(path, seen)
                last = seen
            done += 1
            if count and done >= count:
                break
            time.sleep(interval)
    except monitor.Alert as alert:
        click.echo(f"警报 (ALERT): {alert}")
        _keep_evidence(path, monitor.evidence(alert, base, last))
        sys.exit(2)
    except monitor.MonitorError as exc:
        _fail(str(exc))
    except OSError as exc:  # the state file's directory, say
        _fail(f"{exc}")
    _say("全部检查通过 (all checks passed)")


def _keep_evidence(state: Path, found: dict) -> None:
    """Write the alert's evidence next to the state file (never over it)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = state.with_name(f"{state.stem}.alert-{stamp}.json")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(found, ensure_ascii=False, indent=2) + "\n", "utf-8")
    except OSError as exc:
        click.echo(f"错误 (error): 证据未能保存 (the evidence was not saved): {exc}", err=True)
        return
    click.echo(f"证据 (evidence): {target}")


def _verifier(
    client: monitor.Client, vkey: str | None, last: monitor.Seen | None
) -> tuple[Verifier, str | None]:
    """The key to verify with (and the origin the platform published with it, when it
    was fetched from the platform)."""
    if vkey is not None:
        try:
            verifier = Verifier.parse(vkey)
        except NoteError as exc:
            raise monitor.MonitorError(f"--key 无效 (not a verifier key): {exc}") from None
        if last and last.key != verifier.encoded():
            _say("注意 (note): --key 与状态文件中的密钥不同 (differs from the state file's key)")
        return verifier, None
    if last:
        _say("密钥 (key): 状态文件中的 (the state file's)")
        try:
            return Verifier.parse(last.key), None
        except NoteError as exc:
            raise monitor.MonitorError(
                f"状态文件中的密钥无效 (the state file's key): {exc}"
            ) from None
    published = monitor.fetch_key(client)
    click.echo(
        "警告 (warning): 使用平台自己公布的密钥，仅首次信任 (trusting the server's own key is "
        "trust-on-first-use); 请用 --key 核对 README 中公布的密钥 (pass --key with the key "
        f"published in the README): {published.verifier.encoded()}",
        err=True,
    )
    return published.verifier, published.origin
