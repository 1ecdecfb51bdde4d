"""Operator commands for the national penalty format: ``flask --app wsgi credit exchange``."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from tqdm import tqdm

from credit.accounts.models import Authority
from credit.errors import DomainError
from credit.exchange import penalties, penalty_import
from credit.exchange.spreadsheet import csv_lines
from credit.extensions import db
from credit.identity import ANONYMOUS, Identity, IdentityKind

_BY_SUFFIX = {
    ".csv": penalty_import.CSV,
    ".json": penalty_import.JSON,
    ".xlsx": penalty_import.XLSX,
}


@click.group("exchange")
def exchange_cli() -> None:
    """行政处罚“双公示”数据：导入与导出 / the national penalty format, in and out."""


@exchange_cli.command("import-penalties")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--authority", "code", required=True, help="The deciding authority's code.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every row's result (row, outcome, decision number, errors) to this CSV.",
)
@with_appcontext
def import_penalties_cmd(file: Path, code: str, report: Path | None) -> None:
    """Import FILE (CSV, XLSX or JSON, by its suffix) as the records of the authority
    CODE, exactly as its own upload would be (idempotent by decision number).

    Exit status 0 when every row was imported or unchanged, 2 when some were refused.
    """
    kind = _BY_SUFFIX.get(file.suffix.lower())
    if kind is None:
        raise click.ClickException("文件应为 .csv、.xlsx 或 .json / a .csv, .xlsx or .json file")
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise click.ClickException(f"没有代码为 {code} 的机关 / no authority {code}")
    identity = Identity(
        IdentityKind.REGULATOR,
        f"cli:{code}",
        authority_id=authority.id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset(authority.jurisdiction),
    )
    try:
        upload = penalty_import.read_upload(file.read_bytes(), kind)
    except DomainError as exc:
        details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise click.ClickException(f"{exc.detail} ({details})") from None
    bar = tqdm(total=len(upload.rows), unit="行", desc="导入", file=sys.stderr, disable=None)
    results = penalty_import.import_rows(identity, upload.rows, progress=bar.update)
    bar.close()
    counts = penalty_import.outcome_counts(results)
    click.echo(json.dumps({"rows": len(results), **counts}, ensure_ascii=False))
    refused = [r for r in results if r.outcome == "refused"]
    for r in refused[:50]:
        reasons = "; ".join(f"[{e.field}] {e.message}" for e in r.errors)
        click.echo(f"  第 {r.row} 行 {r.decision_number}: {reasons}", err=True)
    if len(refused) > 50:
        click.echo(f"  ... {len(refused) - 50} more (use --report)", err=True)
    if report:
        with report.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "outcome", "decision_number", "violation_id", "errors"])
            for r in results:
                reasons = "; ".join(f"[{e.field}] {e.message}" for e in r.errors)
                writer.writerow([r.row, r.outcome, r.decision_number, r.violation_id, reasons])
    if refused:
        sys.exit(2)


@exchange_cli.command("export-penalties")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Decided on or after.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Decided on or before.")
@click.option("--city", help="The firm's city (GB/T 2260), e.g. 320500.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_penalties_cmd(since, until, city: str | None, output: Path) -> None:
    """Write the public penalty records as a CSV of the national format (UTF-8 with BOM),
    what GET /api/v1/exchange/penalties?format=csv serves."""
    codes = [c.code for c in penalties.COLUMNS]
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    rows = penalties.export_penalties(ANONYMOUS, since=first, until=last, city=city)
    n = 0

    def cells():
        nonlocal n
        for row in rows:
            n += 1
            yield [row[c] for c in codes]

    with output.open("w", encoding="utf-8", newline="") as out:
        out.writelines(csv_lines(codes, cells()))
    click.echo(json.dumps({"rows": n, "file": str(output)}, ensure_ascii=False))
