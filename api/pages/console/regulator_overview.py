"""The regulator's overview (issue 17 item 10): a dashboard of its jurisdiction (records by
category, severity and month; the work queues with overdue counts) and the records list
(search, filters kept in the URL, paging) with its CSV export.

The figures and rows come from ``credit.violations.overview``; this module only reads the
query string, renders, and writes the CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Response, render_template, request, stream_with_context
from marshmallow import ValidationError as MaValidationError

from api.auth import current_identity
from api.pages import charts
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from api.pages.i18n import label, lang, t
from credit import clock
from credit.exchange.spreadsheet import csv_lines
from credit.violations import overview
from credit.violations.schemas import RecordFiltersSchema
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES, STATUSES

REGULATOR = "regulator"
FILTERS = ("q", "category", "severity", "status", "decided_from", "decided_to")
QUEUE_WORDS = {
    "objections": ("待审异议", "Objections to decide"),
    "repairs": ("待审信用修复申请", "Repair applications to decide"),
}


def _vocab() -> dict[str, Any]:
    return {
        "CATEGORIES": CATEGORIES,
        "SEVERITIES": SEVERITIES,
        "VSTATUSES": STATUSES,
        "RECORD_STATES": overview.RECORD_STATES,
        "QUEUE_WORDS": QUEUE_WORDS,
        "today": clock.today(),
    }


@bp.get("/regulator/overview")
@console_view("enterprises:read", REGULATOR)
def regulator_overview():
    figures = overview.jurisdiction_overview(current_identity())
    named = {
        "category": [(CATEGORIES.get(k, (k, k)), n) for k, n in figures.by_category],
        "severity": [(SEVERITIES.get(k, (k, k)), n) for k, n in figures.by_severity],
        "month": [((m, m), n) for m, n in figures.by_month],
    }
    chart = {key: charts.bars([(str(k), n) for k, n in rows]) for key, rows in named.items()}
    return render_template(
        "console/regulator_overview.html", o=figures, named=named, chart=chart, **_vocab()
    )


def _filters() -> tuple[dict[str, str], dict[str, Any], forms.Errors]:
    """The query string's filters as typed (for the form and the links), as loaded (for
    the service; the invalid ones left out), and the errors to show beside them."""
    typed = {k: request.args.get(k, "").strip() for k in FILTERS}
    sent = {k: v for k, v in typed.items() if v}
    if request.args.get("page"):
        sent["page"] = request.args["page"]
    try:
        return typed, RecordFiltersSchema().load(sent), {}
    except MaValidationError as exc:
        errors = forms.from_marshmallow(exc)
        kept = {k: v for k, v in sent.items() if k not in errors}
        try:
            loaded = RecordFiltersSchema().load(kept)
        except MaValidationError:  # a cross-field problem: list unfiltered
            loaded = {}
        return typed, loaded, errors


@bp.get("/regulator/records")
@console_view("enterprises:read", REGULATOR)
def regulator_records():
    typed, loaded, errors = _filters()
    result = overview.search_records(
        current_identity(), loaded, page=loaded.pop("page", 1), size=overview.PAGE_SIZE
    )
    kept = {k: v for k, v in typed.items() if v}
    return render_template(
        "console/regulator_records.html",
        result=result,
        values=typed,
        errors=errors,
        kept=kept,
        **_vocab(),
    ), (400 if errors else 200)


#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
def _columns() -> list[str]:
    return [
        t("决定书文号", "Decision number"),
        t("经营者", "Firm"),
        t("统一社会信用代码", "USCC"),
        t("作出决定机关", "Authority"),
        t("违法类别", "Category"),
        t("失信等级", "Severity"),
        t("处罚种类", "Penalty"),
        t("罚款金额（元）", "Fine (yuan)"),
        t("决定日期", "Decision date"),
        t("公示截止", "Public until"),
        t("状态", "Status"),
        t("录入时间（北京时间）", "Recorded (Beijing time)"),
    ]


def _row(v: Any, today: date) -> list[str]:
    recorded = v.recorded_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
    return [
        v.decision_number,
        v.enterprise.name,
        v.enterprise.uscc,
        v.authority.name,
        label(CATEGORIES.get(v.category), v.category),
        label(SEVERITIES.get(v.severity), v.severity),
        label(PENALTY_TYPES.get(v.penalty_type), v.penalty_type),
        "" if v.penalty_amount is None else str(v.penalty_amount),
        v.decision_date.isoformat(),
        v.publish_until.isoformat(),
        label(STATUSES.get(v.public_status(today)), ""),
        recorded,
    ]


def _csv_lines(rows: Iterator[Any]) -> Iterator[str]:
    today = clock.today()
    return csv_lines(_columns(), (_row(v, today) for v in rows))


@bp.get("/regulator/records.csv")
@console_view("enterprises:read", REGULATOR)
def regulator_records_csv():
    _typed, loaded, errors = _filters()
    if errors:  # the page says what is wrong; an export of something else would mislead
        return regulator_records()
    loaded.pop("page", None)
    rows = overview.export_records(current_identity(), loaded)
    name = f"violations-{clock.today():%Y%m%d}-{lang()}.csv"
    return Response(
        stream_with_context(_csv_lines(rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
