"""The commerce department's console for key e-commerce enterprises: coverage by city,
category and industry with the firms lacking a pledge in force, a CSV upload of the list
(all or nothing, errors per line), a reminder to every uncovered firm (not again to a firm
reminded of the same requirement within ``CREDIT_KEY_REMINDER_QUIET_DAYS``), the listings
whose period has not started (removable), and the list's change history. The firm's
reminders are shown on its own console (api/pages/console/firm.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from api.auth import current_identity
from api.pages import labels
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from credit import clock
from credit.errors import Conflict, FieldError, ValidationFailed
from credit.keyfirms import importing, service
from credit.keyfirms.schemas import (
    FiguresSchema,
    ListingInputSchema,
    ReminderInputSchema,
    RemovalSchema,
)
from credit.keyfirms.vocab import ACTIONS, COVERAGE_STATES, categories
from credit.uow import unit_of_work

SCOPE = "keyfirms:write"
REGULATOR = "regulator"


def _page(
    upload_errors: list[FieldError] | None = None,
    remind_errors: forms.Errors | None = None,
    add_errors: forms.Errors | None = None,
    added: dict | None = None,
    remove_errors: forms.Errors | None = None,
    status: int = 200,
):
    identity = current_identity()
    rows, figures = service.department_coverage(identity)
    return render_template(
        "console/key_enterprises.html",
        rows=rows,
        scheduled=service.scheduled_listings(identity),
        quiet_days=current_app.config["CREDIT_KEY_REMINDER_QUIET_DAYS"],
        uncovered=[r for r in rows if not r.covered],
        figures=FiguresSchema().dump(figures),
        rate=figures.rate,
        categories=categories(),
        states=COVERAGE_STATES,
        labels=labels,
        upload_errors=[_in_words(e) for e in upload_errors or []],
        remind_errors=remind_errors or {},
        add_errors=add_errors or {},
        added=added or {"listed_from": clock.today().isoformat()},
        remove_errors=remove_errors or {},
        due=(clock.today() + timedelta(days=14)).isoformat(),
    ), status


@bp.get("/regulator/key-enterprises")
@console_view(SCOPE, REGULATOR)
def key_enterprises():
    return _page()


@bp.post("/regulator/key-enterprises/upload")
@console_view(SCOPE, REGULATOR)
def key_enterprises_upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        errors = [FieldError("file", "请选择 CSV 文件 / choose a CSV file", "required")]
        return _page(errors, status=400)
    try:
        with unit_of_work() as uow:
            report = service.upload_listings(
                current_identity(),
                uow,
                importing.open_csv(file.stream),
                file.filename[:100],
                source="console",
            )
    except ValidationFailed as exc:
        return _page(exc.errors or [FieldError("file", exc.detail)], status=400)
    flash(
        (
            "notice",
            f"已列入 {len(report.added)} 家（次）重点电子商务企业",
            f"{len(report.added)} listings added",
        )
    )
    return redirect(url_for("console.key_enterprises"), 303)


@bp.post("/regulator/key-enterprises/remind")
@console_view(SCOPE, REGULATOR)
def key_enterprises_remind():
    typed = forms.values(("due_on", "message"))
    try:
        body = forms.load(ReminderInputSchema(), typed)
        quiet = current_app.config["CREDIT_KEY_REMINDER_QUIET_DAYS"]
        with unit_of_work() as uow:
            run = service.send_reminders(current_identity(), uow, body, quiet_days=quiet)
    except forms.INVALID as exc:
        return _page(remind_errors=forms.errors_of(exc), status=400)
    sent, skipped = len(run.sent), len(run.skipped)
    flash(
        (
            "notice",
            f"已发送 {sent} 条提醒；{skipped} 条因 {quiet} 日内已就同一要求提醒而未重复发送",
            f"{sent} reminders sent; {skipped} skipped (reminded of the same requirement "
            f"within {quiet} days)",
        )
    )
    return redirect(url_for("console.key_enterprises"), 303)


#: The CSV's columns as the upload's error list names them.
COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "uscc": ("统一社会信用代码", "USCC"),
    "category": ("类别", "category"),
    "reason": ("列入理由", "reason"),
    "listed_from": ("起始日期", "from"),
    "listed_until": ("截止日期", "until"),
    "file": ("文件", "file"),
}
_LINE = re.compile(r"^line (\d+): (\w+)$")


def _in_words(error: FieldError) -> tuple[str, str, str]:
    """``line 3: uscc`` as "第 3 行 · 统一社会信用代码" / "line 3, USCC", with the message."""
    match = _LINE.match(error.field)
    if match:
        zh, en = COLUMN_NAMES.get(match[2], (match[2], match[2]))
        return f"第 {match[1]} 行 · {zh}", f"line {match[1]}, {en}", error.message
    zh, en = COLUMN_NAMES.get(error.field, (error.field, error.field))
    return zh, en, error.message


LISTING_TEXT = ("uscc", "category", "reason", "listed_from", "listed_until")


@bp.post("/regulator/key-enterprises/add")
@console_view(SCOPE, REGULATOR)
def key_enterprises_add():
    typed = forms.values(LISTING_TEXT)
    try:
        body = forms.load(ListingInputSchema(), {k: typed[k].strip() for k in LISTING_TEXT})
        with unit_of_work() as uow:
            listing = service.add_listing(current_identity(), uow, body, source="console")
    except forms.INVALID as exc:
        return _page(add_errors=forms.errors_of(exc), added=typed, status=400)
    except Conflict as exc:
        return _page(add_errors={"category": [exc.detail]}, added=typed, status=409)
    flash(("notice", f"已列入：{listing.enterprise.name}", f"Added: {listing.enterprise.name}"))
    return redirect(url_for("console.key_enterprises"), 303)


@bp.post("/regulator/key-enterprises/<listing_id>/remove")
@console_view(SCOPE, REGULATOR)
def key_enterprises_remove(listing_id: str):
    reason = request.form.get("reason", "").strip()
    try:
        body = forms.load(RemovalSchema(), {"reason": reason})
        with unit_of_work() as uow:
            listing = service.remove_listing(
                current_identity(), uow, listing_id, body["reason"], source="console"
            )
    except forms.INVALID as exc:
        return _page(remove_errors=forms.errors_of(exc), status=400)
    except Conflict as exc:
        return _page(remove_errors={"reason": [exc.detail]}, status=409)
    flash(("notice", f"已移出：{listing.enterprise.name}", f"Removed: {listing.enterprise.name}"))
    return redirect(url_for("console.key_enterprises"), 303)


HISTORY_PAGE_SIZE = 20


@bp.get("/regulator/key-enterprises/history")
@console_view(SCOPE, REGULATOR)
def key_enterprises_history():
    """The list's change history in the jurisdiction: who, when, what, why; newest first."""
    number = request.args.get("page", 1, type=int) or 1
    page = service.listing_history_page(
        current_identity(), max(1, min(number, 100_000)), HISTORY_PAGE_SIZE
    )
    return render_template(
        "console/key_history.html",
        page=page,
        categories=categories(),
        actions=ACTIONS,
        when=_when,
    )


def _when(moment) -> str:
    """A stored UTC time as the department reads it: China time, to the minute."""
    return moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
