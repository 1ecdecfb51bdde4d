"""The enterprise profile, its printable credit report, and report verification."""

from __future__ import annotations

from typing import Any

import segno
from flask import current_app, redirect, render_template, request, url_for

from api import urls
from api.auth import current_identity, public
from api.pages import charts, labels
from api.pages.public import bp
from credit import clock, seal
from credit import uscc as uscc_mod
from credit.errors import NotFound
from credit.keyfirms import service as keyfirms
from credit.organisations import service as org_service
from credit.reports import logproof
from credit.reports import service as reports
from credit.uow import unit_of_work


def canonical_code(uscc: str) -> str:
    """The code as stored; an invalid code is a page that does not exist (404)."""
    check = uscc_mod.check(uscc[:40])
    if not check.valid:
        raise NotFound("统一社会信用代码无效，未找到该经营者 (invalid code: no such merchant)")
    return check.code


def _history_chart(profile: dict[str, Any]) -> charts.LineChart | None:
    rows = [(h["as_of"], h["score"], h["grade"]) for h in profile["history"]]
    return charts.line(rows) if rows else None


def _context(profile: dict[str, Any]) -> dict[str, Any]:
    ent = profile["enterprise"]
    return {
        "p": profile,
        "ent": ent,
        "city": labels.city(ent["city_code"]),
        "history_chart": _history_chart(profile),
    }


@bp.get("/enterprises/<uscc>")
@public
def enterprise(uscc: str):
    code = canonical_code(uscc)
    if code != uscc:
        return redirect(url_for("pages.enterprise", uscc=code), 301)
    profile = reports.build_profile(current_identity(), code)
    standing = seal.seal_standing(current_identity(), code)
    key = keyfirms.public_categories(current_identity(), code)
    bodies = org_service.public_memberships(current_identity(), code)
    return render_template(
        "public/enterprise.html",
        seal=standing,
        key_categories=key,
        organisations=bodies,
        **_context(profile),
    )


@bp.get("/enterprises/<uscc>/report")
@public
def report(uscc: str):
    code = canonical_code(uscc)
    if code != uscc:
        return redirect(url_for("pages.report", uscc=code), 301)
    with unit_of_work() as uow:
        issued = reports.issue_report(current_identity(), uow, code)
    # The printed link and its QR code lead to this site whatever Host the request named.
    verify_url = urls.external_url("pages.verify", report_no=issued.report_no)
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=3, border=2)
    issued_at = issued.issued_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M:%S")
    return render_template(
        "public/report.html",
        report=issued,
        verify_url=verify_url,
        qr=qr,
        issued_at=issued_at,
        log_kinds=logproof.KIND_WORDS,
        **_context(issued.snapshot),
    )


@bp.get("/verify")
@public
def verify_form():
    number = request.args.get("no", "").strip().upper()[:40]
    if number:
        return redirect(url_for("pages.verify", report_no=number))
    return render_template("public/verify.html", result=None)


@bp.get("/verify/<report_no>")
@public
def verify(report_no: str):
    keys = [s.verifier() for s in current_app.extensions["credit.log_signers"]]
    result = reports.verify_report(current_identity(), report_no, keys)
    return render_template("public/verify.html", result=result, report=result["report"])
