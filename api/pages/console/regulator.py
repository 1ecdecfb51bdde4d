"""The regulator console: record a violation (naming clauses of the firm's pledges),
correct or revoke it, the objection and repair queues with due dates, commendations."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError as MaValidationError

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from credit import clock, dates, publicity, regions, uscc
from credit.errors import NotFound, ValidationFailed
from credit.pledges import service as pledges
from credit.pledges.versions import pledge_in_force_on
from credit.scoring.calendar import add_months
from credit.uow import unit_of_work
from credit.violations import breaches, registry, workflow
from credit.violations import service as violations
from credit.violations.permalink import breached_clauses
from credit.violations.schemas import (
    REMOVAL_GROUNDS,
    RevocationSchema,
    SeriousListRemovalSchema,
)
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES, STATUSES

REGULATOR = "regulator"
VIOLATION_TEXT = (
    "uscc",
    "category",
    "severity",
    "decision_number",
    "legal_basis",
    "facts",
    "penalty_type",
    "penalty_amount",
    "decision_date",
    "published_on",
    "publish_minor_reason",
)
FIELD_LABELS = {
    "facts": ("违法事实", "facts"),
    "legal_basis": ("法律依据", "legal basis"),
    "penalty_type": ("处罚种类", "penalty type"),
    "penalty_amount": ("罚款金额（元）", "fine (yuan)"),
    "category": ("违法类别", "category"),
}
#: Corrected fields whose new value is a code, chosen from its words (field -> form input).
CODED_FIELDS = {"category": "new_category", "penalty_type": "new_penalty_type"}
CASE_STATUS = {
    "pending": ("待处理", "pending"),
    "upheld": ("异议成立", "upheld"),
    "rejected": ("不予支持", "rejected"),
    "approved": ("同意修复", "approved"),
}


def _vocab() -> dict[str, Any]:
    return {
        "CATEGORIES": CATEGORIES,
        "SEVERITIES": SEVERITIES,
        "PENALTY_TYPES": PENALTY_TYPES,
        "VSTATUSES": STATUSES,
        "FIELD_LABELS": FIELD_LABELS,
        "CASE_STATUS": CASE_STATUS,
        "today": clock.today(),
    }


def _version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


@bp.get("/regulator")
@console_view("enterprises:read", REGULATOR)
def regulator_home():
    identity = current_identity()
    queues = {}
    if identity.has_scope("violations:review"):
        queues["objections"] = workflow.authority_queue(identity, "objections")
    if identity.has_scope("repairs:review"):
        queues["repairs"] = workflow.authority_queue(identity, "repairs")
    return render_template(
        "console/regulator_home.html",
        queues=queues,
        records=violations.list_authority_violations(identity, limit=50),
        **_vocab(),
    )


# -- recording a violation ------------------------------------------------------------------
# Two steps: the firm, the category and the day of the conduct first, so that the clause
# picker offers only what may be named: the clauses the breach table lets the category
# breach, of the pledge versions in force on the conduct date; the pledges' other clauses
# sit apart and need a stated reason.
def _clause_choices(code: str, category: str, conduct: date) -> list[dict[str, Any]]:
    out = []
    for p in pledges.list_enterprise_pledges(current_identity(), code):
        if not pledge_in_force_on(p, conduct):
            continue
        clauses = [c for c in p.template.clauses if c["code"] in p.clauses]
        out.append(
            {
                "pledge": p,
                "clauses": [c for c in clauses if breaches.may_breach(category, c["code"])],
                "others": [c for c in clauses if not breaches.may_breach(category, c["code"])],
            }
        )
    return out


def _outside_jurisdiction(firm: Any) -> str:
    """Why a firm is refused on the form, and whom to hand the case to instead."""
    place = regions.city_name(firm.city_code) or firm.city_code or "?"
    others = [a.name for a in violations.competent_authorities(current_identity(), firm)]
    reason = (
        f"{firm.name}（{place}）不在本机关管辖范围内，不能由本机关录入"
        " (this firm is outside your authority's jurisdiction)。"
    )
    if others:
        names = "、".join(others)
        return reason + f"请将案件移送有管辖权的机关：{names} (hand the case to: {names})"
    return reason + (
        "平台上没有管辖该地的机关，请报省级主管部门处理"
        " (no authority on the platform covers it; refer it to the provincial department)"
    )


def _first_step(values: dict[str, Any]) -> tuple[Any, date | None, forms.Errors]:
    """The firm and the conduct date of step one, or the errors that keep the user there."""
    from credit.enterprises import service as enterprises

    errors: forms.Errors = {}
    firm = None
    code = uscc.normalize(values.get("uscc") or "")
    try:
        firm = enterprises.get_enterprise(current_identity(), code)
    except (ValidationFailed, NotFound) as exc:
        errors["uscc"] = [e.message for e in exc.errors] or [exc.detail]
    if firm is not None and not publicity.covers(current_identity(), firm):
        errors["uscc"] = [_outside_jurisdiction(firm)]
    if values.get("category") not in CATEGORIES:
        errors["category"] = ["请选择违法类别 (choose the category)"]
    conduct = None
    try:
        conduct = date.fromisoformat(values.get("conduct_date") or clock.today().isoformat())
        problem = dates.DECISION.problem(conduct)
        if problem:
            errors["conduct_date"] = [problem]
            conduct = None
    except ValueError:
        errors["conduct_date"] = [dates.INVALID_DATE]
    return firm, conduct, errors


def _violation_form(values: dict[str, Any], errors: forms.Errors, status: int = 200):
    firm, choices = None, []
    if values.get("uscc"):
        firm, conduct, step_errors = _first_step(values)
        if step_errors and firm is not None and set(step_errors) == {"uscc"} and "facts" in values:
            # The whole form was posted for a firm outside the jurisdiction: the second step
            # stays on screen with everything typed, the code becomes editable again.
            errors = {**step_errors, **errors}
        elif step_errors:
            firm, errors = None, {**step_errors, **errors}
        else:
            choices = _clause_choices(firm.uscc, values["category"], conduct)
    return render_template(
        "console/violation_form.html",
        values=values,
        errors=errors,
        firm=firm,
        choices=choices,
        **_vocab(),
    ), status


@bp.get("/regulator/violations/new")
@console_view("violations:write", REGULATOR)
def violation_new():
    values = {
        "uscc": uscc.normalize(request.args.get("uscc", "")),
        "category": request.args.get("category", ""),
        "conduct_date": request.args.get("conduct_date") or clock.today().isoformat(),
        "breached": [],
        "breached_other": [],
        "penalty_type": "fine",
        "decision_date": clock.today().isoformat(),
    }
    if "category" not in request.args:  # a link naming the firm only: step one, no errors
        return render_template(
            "console/violation_form.html",
            values=values,
            errors={},
            firm=None,
            choices=[],
            **_vocab(),
        )
    return _violation_form(values, {})


_NEXT_ON_RECORD = {
    403: (
        "请核对统一社会信用代码；管辖范围外的经营者请移送上面列出的有管辖权的机关。",
        "Check the USCC; for a firm outside your jurisdiction hand the case to the competent "
        "authority named at the code.",
    ),
    409: (
        "请核对决定书文号；该决定已录入的，请在“本机关记录”中打开并更正，不要重复录入。",
        "Check the decision number; if the decision is already recorded, open it under your "
        "records and correct it instead of recording it twice.",
    ),
}


# The POST of the form (preview, back to edit, confirm) is in
# ``api.pages.console.regulator_preview``.


# -- correcting and revoking ------------------------------------------------------------------
def _violation_page(
    violation_id: str,
    correction: dict | None = None,
    revocation: dict | None = None,
    status: int = 200,
):
    v = violations.get_violation(current_identity(), violation_id)
    return render_template(
        "console/violation_view.html",
        v=v,
        breaches=breached_clauses(v),
        correction=correction or {"typed": {}, "errors": {}},
        revocation=revocation or {"typed": {}, "errors": {}},
        **_vocab(),
    ), status


@bp.get("/regulator/violations/<violation_id>")
@console_view("violations:write", REGULATOR)
def violation_view(violation_id: str):
    return _violation_page(violation_id)


@bp.post("/regulator/violations/<violation_id>/correct")
@console_view("violations:write", REGULATOR)
def violation_correct(violation_id: str):
    from credit.violations.schemas import CorrectionInputSchema

    typed = forms.values(["field", "new_value", "new_category", "new_penalty_type", "reason"])
    # A category or a penalty type is chosen from its words; other fields are typed.
    chosen = CODED_FIELDS.get(typed["field"])
    new_value = (typed[chosen] if chosen else typed["new_value"]).strip() or None
    try:
        body = forms.load(
            CorrectionInputSchema(),
            {"field": typed["field"], "new_value": new_value, "reason": typed["reason"].strip()},
        )
        if "new_value" not in body:
            raise MaValidationError({"new_value": ["此项必填 (required)"]})
        with unit_of_work() as uow:
            registry.correct_violation(
                current_identity(),
                uow,
                violation_id,
                body["field"],
                body["new_value"],
                body["reason"],
                _version(),
            )
    except forms.INVALID as exc:
        errors = forms.errors_of(exc)
        if chosen and "new_value" in errors:
            errors[chosen] = errors.pop("new_value")
        return _violation_page(
            violation_id, correction={"typed": typed, "errors": errors}, status=400
        )
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        return _violation_page(
            violation_id, correction={"typed": typed, "errors": errors}, status=status
        )
    flash(
        (
            "notice",
            "已更正（原值保留在更正记录中）。",
            "Corrected (the old value stays in the correction history).",
        )
    )
    return redirect(url_for("console.violation_view", violation_id=violation_id))


@bp.post("/regulator/violations/<violation_id>/revoke")
@console_view("violations:write", REGULATOR)
def violation_revoke(violation_id: str):
    typed = forms.values(["reason", "version"])
    try:
        body = forms.load(RevocationSchema(), {"reason": typed["reason"].strip()})
        with unit_of_work() as uow:
            violations.revoke_violation(
                current_identity(), uow, violation_id, body["reason"], _version()
            )
    except forms.INVALID as exc:
        return _violation_page(
            violation_id, revocation={"typed": typed, "errors": forms.errors_of(exc)}, status=400
        )
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        return _violation_page(
            violation_id, revocation={"typed": typed, "errors": errors}, status=status
        )
    flash(("notice", "记录已撤销，已退出公示。", "Revoked; the record has left public view."))
    return redirect(url_for("console.violation_view", violation_id=violation_id))


# -- queues ---------------------------------------------------------------------------------
_QUEUES = {
    "objections": ("violations:review", workflow.get_objection),
    "repairs": ("repairs:review", workflow.get_repair),
}


def _queue_page(kind: str):
    status = request.args.get("status", "pending")
    if status not in CASE_STATUS:
        status = "pending"
    items = workflow.authority_queue(current_identity(), kind, status)
    return render_template("console/queue.html", kind=kind, items=items, status=status, **_vocab())


@bp.get("/regulator/objections")
@console_view("violations:review", REGULATOR)
def objection_queue():
    return _queue_page("objections")


@bp.get("/regulator/repairs")
@console_view("repairs:review", REGULATOR)
def repair_queue():
    return _queue_page("repairs")


def _case_page(
    kind: str,
    item_id: str,
    values: dict | None = None,
    errors: forms.Errors | None = None,
    status: int = 200,
):
    getter = _QUEUES[kind][1]
    item = getter(current_identity(), item_id)
    return render_template(
        "console/case.html",
        kind=kind,
        item=item,
        v=item.violation,
        values=values or {},
        errors=errors or {},
        **_vocab(),
    ), status


@bp.get("/regulator/objections/<item_id>")
@console_view("violations:review", REGULATOR)
def objection_view(item_id: str):
    return _case_page("objections", item_id)


@bp.get("/regulator/repairs/<item_id>")
@console_view("repairs:review", REGULATOR)
def repair_view(item_id: str):
    return _case_page("repairs", item_id)


_NEXT_ON_DECIDE = (
    "本案可能已由他人处理；请查看本页显示的当前状态，如需改变决定请联系作出决定的同事。",
    "The case may have been decided by someone else; see its current state on this page and "
    "ask the colleague who decided it if the decision must change.",
)


def _decide(kind: str, item_id: str):
    from api.v1.workflow import DecisionInputSchema

    typed = forms.values(["accepted", "reason"])
    try:
        body = forms.load(
            DecisionInputSchema(),
            {
                "accepted": {"yes": True, "no": False}.get(typed["accepted"], ""),
                "reason": typed["reason"].strip(),
            },
        )
        with unit_of_work() as uow:
            decide = workflow.decide_objection if kind == "objections" else workflow.decide_repair
            decide(current_identity(), uow, item_id, body["accepted"], body["reason"])
    except forms.INVALID as exc:
        return _case_page(kind, item_id, typed, forms.errors_of(exc), 400)
    except forms.REFUSED as exc:
        # Typically decided meanwhile by a colleague (409): the page shows the decision.
        return _case_page(kind, item_id, typed, *forms.refusal(exc, _NEXT_ON_DECIDE))
    flash(("notice", "已作出决定。", "Decision recorded."))
    return redirect(
        url_for("console.objection_queue" if kind == "objections" else "console.repair_queue")
    )


@bp.post("/regulator/objections/<item_id>")
@console_view("violations:review", REGULATOR)
def objection_decide(item_id: str):
    return _decide("objections", item_id)


@bp.post("/regulator/repairs/<item_id>")
@console_view("repairs:review", REGULATOR)
def repair_decide(item_id: str):
    return _decide("repairs", item_id)


# -- commendations --------------------------------------------------------------------------
COMMENDATION_TEXT = ("uscc", "title", "legal_basis", "granted_on", "valid_until")


def _commendation_form(values: dict[str, Any], errors: forms.Errors, status: int = 200):
    return render_template(
        "console/commendation_form.html", values=values, errors=errors, **_vocab()
    ), status


@bp.get("/regulator/commendations/new")
@console_view("commendations:write", REGULATOR)
def commendation_new():
    today = clock.today()
    return _commendation_form(
        {
            "uscc": uscc.normalize(request.args.get("uscc", "")),
            "title": "江苏省电子商务示范企业",
            "granted_on": today.isoformat(),
            "valid_until": add_months(today, 24).isoformat(),
        },
        {},
    )


@bp.post("/regulator/commendations/new")
@console_view("commendations:write", REGULATOR)
def commendation_create():
    from credit.violations.schemas import CommendationInputSchema

    typed = forms.values(COMMENDATION_TEXT)
    typed["uscc"] = uscc.normalize(typed["uscc"])
    try:
        body = forms.load(
            CommendationInputSchema(), {k: typed[k].strip() for k in COMMENDATION_TEXT}
        )
        with unit_of_work() as uow:
            item = registry.commend(current_identity(), uow, body)
    except forms.INVALID as exc:
        return _commendation_form(typed, forms.errors_of(exc), 400)
    except NotFound as exc:
        return _commendation_form(typed, {"uscc": [exc.detail]}, 400)
    except forms.REFUSED as exc:
        # Outside the jurisdiction (403): the code is marked with whom to ask instead; the
        # title already held (409): marked at the title. Everything typed stays.
        errors, status = forms.refusal(exc)
        errors.update(forms.from_domain(ValidationFailed(exc.detail, exc.errors)))
        errors.pop("_", None)
        if status == 403:
            from credit.enterprises import service as enterprises

            firm = enterprises.get_enterprise(current_identity(), typed["uscc"])
            errors["uscc"] = [_outside_jurisdiction(firm)]
            errors["_next"] = [" ".join(_NEXT_ON_RECORD[403])]
        return _commendation_form(typed, errors, status)
    flash(
        (
            "notice",
            f"已录入守信激励：{item.title}（{item.enterprise.name}）",
            f"Commendation recorded: {item.title} ({item.enterprise.name})",
        )
    )
    return redirect(url_for("console.regulator_home"))


# -- the serious list: early removal (移出) -----------------------------------------------------
def _listings_page(
    values: dict[str, Any] | None = None,
    errors: forms.Errors | None = None,
    entry_id: str | None = None,
    status: int = 200,
):
    identity = current_identity()
    return render_template(
        "console/serious_list.html",
        entries=registry.list_authority_listings(identity),
        grounds=REMOVAL_GROUNDS,
        values=values or {"removed_on": clock.today().isoformat()},
        errors=errors or {},
        entry_id=entry_id,
        **_vocab(),
    ), status


@bp.get("/regulator/serious-list")
@console_view("violations:write", REGULATOR)
def serious_list():
    return _listings_page()


@bp.post("/regulator/serious-list/<item_id>/remove")
@console_view("violations:write", REGULATOR)
def serious_list_remove(item_id: str):
    typed = forms.values(["ground", "removed_on", "reason"])
    try:
        body = forms.load(SeriousListRemovalSchema(), {k: v.strip() for k, v in typed.items()})
        with unit_of_work() as uow:
            entry = registry.remove_from_serious_list(current_identity(), uow, item_id, body)
    except forms.INVALID as exc:
        return _listings_page(typed, forms.errors_of(exc), item_id, 400)
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        return _listings_page(typed, errors, item_id, status)
    flash(
        (
            "notice",
            f"已移出严重失信主体名单：{entry.enterprise.name}（评价与检索随即更新）",
            f"Removed from the serious list: {entry.enterprise.name} (rating and search follow)",
        )
    )
    return redirect(url_for("console.serious_list"))
