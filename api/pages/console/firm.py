"""The enterprise console: pledges (file from a template, edit drafts, publish, amend,
withdraw), the rating explained, records, objections and repair applications."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from credit import clock, seal
from credit.enterprises import service as enterprises
from credit.errors import ValidationFailed
from credit.keyfirms import service as keyfirms
from credit.keyfirms import vocab as key_vocab
from credit.organisations import service as org_service
from credit.pledges import service as pledges
from credit.pledges.schemas import PledgeInputSchema, PledgePatchSchema, WithdrawSchema
from credit.pledges.vocab import PLEDGE_TYPES, STATUS_LABELS
from credit.ratings import service as ratings
from credit.scoring.calendar import add_months
from credit.uow import unit_of_work
from credit.violations import service as violations
from credit.violations import workflow
from credit.violations.vocab import CATEGORIES, SEVERITIES, STATUSES

ENTERPRISE = "enterprise"
PLEDGE_TEXT = (
    "valid_from",
    "valid_until",
    "signer_name",
    "signer_title",
    "extra_commitments",
    "consent_to_publish",
    "template_id",
    "repair_for",
    "version",
)
CASE_STATUS = {
    "pending": ("处理中", "pending"),
    "upheld": ("异议成立", "upheld"),
    "rejected": ("未获支持", "rejected"),
    "approved": ("已同意修复", "approved"),
}


def _version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def _vocab() -> dict[str, Any]:
    return {
        "STATUS_LABELS": STATUS_LABELS,
        "PLEDGE_TYPES": PLEDGE_TYPES,
        "CATEGORIES": CATEGORIES,
        "SEVERITIES": SEVERITIES,
        "VSTATUSES": STATUSES,
        "CASE_STATUS": CASE_STATUS,
        "today": clock.today(),
    }


@bp.get("/firm")
@console_view("enterprises:read", ENTERPRISE)
def firm_home():
    identity = current_identity()
    ent = enterprises.get_own_enterprise(identity)
    return render_template(
        "console/firm_home.html",
        ent=ent,
        pledges=pledges.list_enterprise_pledges(identity, ent.uscc),
        rating=ratings.get_rating(identity, ent.uscc),
        seal=seal.seal_standing(identity, ent.uscc),
        records=violations.list_enterprise_violations(identity, ent.uscc),
        cases=workflow.enterprise_cases(identity),
        asked=keyfirms.what_is_asked(identity),
        invitations=[m for m in org_service.my_memberships(identity) if m.status == "pending"],
        key_categories=key_vocab.categories(),
        key_states=key_vocab.COVERAGE_STATES,
        **_vocab(),
    )


# -- pledges ----------------------------------------------------------------------------
def _pledge_form(
    template, values: dict[str, Any], errors: forms.Errors, pledge=None, status: int = 200
):
    return render_template(
        "console/pledge_form.html",
        template=template,
        values=values,
        errors=errors,
        pledge=pledge,
        **_vocab(),
    ), status


def _defaults(template, repair_for: str = "") -> dict[str, Any]:
    today = clock.today()
    return {
        "template_id": template.id,
        "repair_for": repair_for,
        "clauses": template.required_codes(),
        "valid_from": today.isoformat(),
        "valid_until": add_months(today, 12).isoformat(),
        "signer_name": "",
        "signer_title": "",
        "extra_commitments": "",
        "consent_to_publish": "yes",
    }


def _typed() -> dict[str, Any]:
    return forms.values(PLEDGE_TEXT, ["clauses"])


def _pledge_data(typed: dict[str, Any], with_template: bool = True) -> dict[str, Any]:
    data = {k: typed[k] for k in ("valid_from", "valid_until", "signer_name", "signer_title")}
    data["clauses"] = typed["clauses"]
    data["extra_commitments"] = forms.lines(typed["extra_commitments"])
    data["consent_to_publish"] = typed["consent_to_publish"] == "yes"
    if with_template:
        data["template_id"] = typed["template_id"]
        if typed.get("repair_for"):
            data["repair_for"] = typed["repair_for"]
    return data


@bp.get("/firm/pledges/new")
@console_view("pledges:write", ENTERPRISE)
def pledge_new():
    """Choose a published template (none is preselected), then fill it in. The credit-repair
    template is offered only from a record's repair application (``repair_for``)."""
    identity = current_identity()
    repair_for = request.args.get("repair_for", "")
    templates = [
        x
        for x in pledges.list_templates(identity)
        if (x.type == pledges.REPAIR_TYPE) == bool(repair_for)
    ]
    chosen = request.args.get("template")
    if repair_for and not chosen and len(templates) == 1:
        chosen = templates[0].id
    if not chosen:
        # From a key-enterprise reminder: the templates of the type asked for (all when
        # none is published, or the type is unknown).
        asked = request.args.get("type", "")
        fitting = [x for x in templates if x.type == asked]
        errors: forms.Errors = {}
        if "step" in request.args:
            errors["template"] = [
                "请先选择一份承诺书模板 / choose a pledge template first",
            ]
        return render_template(
            "console/pledge_choose.html",
            templates=fitting or templates,
            asked_type=asked if fitting else None,
            repair_for=repair_for,
            errors=errors,
            **_vocab(),
        ), (400 if errors else 200)
    template = pledges.get_template(identity, chosen)
    return _pledge_form(template, _defaults(template, repair_for), {})


@bp.post("/firm/pledges/new")
@console_view("pledges:write", ENTERPRISE)
def pledge_create():
    identity = current_identity()
    typed = _typed()
    template = pledges.get_template(identity, typed["template_id"])
    try:
        data = forms.load(PledgeInputSchema(), _pledge_data(typed))
        with unit_of_work() as uow:
            pledge = pledges.create_pledge(identity, uow, data)
    except forms.INVALID as exc:
        return _pledge_form(template, typed, forms.errors_of(exc), status=400)
    flash(("notice", "草稿已保存，核对后即可发布。", "Draft saved; check it, then publish."))
    return redirect(url_for("console.pledge_view", pledge_id=pledge.id))


def _values_of(pledge) -> dict:
    """A stored draft as the form's values."""
    return {
        "template_id": pledge.template_id,
        "clauses": list(pledge.clauses),
        "valid_from": pledge.valid_from.isoformat(),
        "valid_until": pledge.valid_until.isoformat(),
        "signer_name": pledge.signer_name,
        "signer_title": pledge.signer_title,
        "extra_commitments": "\n".join(pledge.extra_commitments),
        "consent_to_publish": "yes" if pledge.consent_to_publish else "",
        "version": str(pledge.version),
    }


@bp.get("/firm/pledges/<pledge_id>")
@console_view("pledges:write", ENTERPRISE)
def pledge_view(pledge_id: str):
    identity = current_identity()
    pledge = pledges.get_pledge(identity, pledge_id)
    if pledge.status == "draft":
        return _pledge_form(pledge.template, _values_of(pledge), {}, pledge=pledge)
    return render_template(
        "console/pledge_view.html", pledge=pledge, errors={}, values={}, **_vocab()
    )


@bp.post("/firm/pledges/<pledge_id>")
@console_view("pledges:write", ENTERPRISE)
def pledge_update(pledge_id: str):
    """Save changes to a draft (the version guards against a second editor)."""
    identity = current_identity()
    pledge = pledges.get_pledge(identity, pledge_id)
    typed = _typed()
    try:
        changes = forms.load(PledgePatchSchema(), _pledge_data(typed, with_template=False))
        with unit_of_work() as uow:
            pledges.update_draft(identity, uow, pledge_id, changes, _version())
    except forms.INVALID as exc:
        return _pledge_form(pledge.template, typed, forms.errors_of(exc), pledge, 400)
    except forms.REFUSED as exc:
        # Changed meanwhile (412) or no longer a draft (409): what was typed stays; the form
        # carries the current version so that saving again is a deliberate choice.
        errors, status = forms.refusal(exc)
        pledge = pledges.get_pledge(identity, pledge_id)
        if pledge.status != "draft":
            return _pledge_view(pledge, errors, {}, status)
        return _pledge_form(pledge.template, {**typed, "version": ""}, errors, pledge, status)
    flash(("notice", "草稿已保存。", "Draft saved."))
    return redirect(url_for("console.pledge_view", pledge_id=pledge_id))


@bp.post("/firm/pledges/<pledge_id>/publish")
@console_view("pledges:write", ENTERPRISE)
def pledge_publish(pledge_id: str):
    identity = current_identity()
    try:
        with unit_of_work() as uow:
            pledges.publish_pledge(identity, uow, pledge_id, _version())
    except ValidationFailed as exc:
        pledge = pledges.get_pledge(identity, pledge_id)
        return _pledge_form(pledge.template, _values_of(pledge), forms.errors_of(exc), pledge, 400)
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        pledge = pledges.get_pledge(identity, pledge_id)
        if pledge.status != "draft":
            return _pledge_view(pledge, errors, {}, status)
        return _pledge_form(pledge.template, _values_of(pledge), errors, pledge, status)
    flash(("notice", "承诺已公示。", "The pledge is published."))
    return redirect(url_for("console.pledge_view", pledge_id=pledge_id))


@bp.post("/firm/pledges/<pledge_id>/amend")
@console_view("pledges:write", ENTERPRISE)
def pledge_amend(pledge_id: str):
    identity = current_identity()
    try:
        with unit_of_work() as uow:
            draft = pledges.amend_pledge(identity, uow, pledge_id)
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        return _pledge_view(pledges.get_pledge(identity, pledge_id), errors, {}, status)
    flash(
        (
            "notice",
            "已生成变更草稿：修改后发布即替代原版本。",
            "An amendment draft was made: publish it to replace the current version.",
        )
    )
    return redirect(url_for("console.pledge_view", pledge_id=draft.id))


@bp.post("/firm/pledges/<pledge_id>/withdraw")
@console_view("pledges:write", ENTERPRISE)
def pledge_withdraw(pledge_id: str):
    identity = current_identity()
    typed = forms.values(["reason", "version"])
    try:
        body = forms.load(WithdrawSchema(), {"reason": typed["reason"].strip()})
        with unit_of_work() as uow:
            pledges.withdraw_pledge(identity, uow, pledge_id, body["reason"], _version())
    except forms.INVALID as exc:
        errors, status = forms.errors_of(exc), 400
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
    else:
        flash(
            (
                "notice",
                "承诺已撤回（撤回记录保留公示）。",
                "The pledge is withdrawn (the withdrawal stays on record).",
            )
        )
        return redirect(url_for("console.pledge_view", pledge_id=pledge_id))
    return _pledge_view(pledges.get_pledge(identity, pledge_id), errors, typed, status)


def _pledge_view(pledge, errors: forms.Errors, values: dict[str, Any], status: int):
    """A published (or withdrawn) pledge with a form's errors or a refusal, input kept."""
    return render_template(
        "console/pledge_view.html", pledge=pledge, errors=errors, values=values, **_vocab()
    ), status


# -- rating -------------------------------------------------------------------------------
@bp.get("/firm/rating")
@console_view("enterprises:read", ENTERPRISE)
def firm_rating():
    identity = current_identity()
    ent = enterprises.get_own_enterprise(identity)
    return render_template(
        "console/firm_rating.html",
        ent=ent,
        explained=ratings.explain_rating(identity, ent.uscc),
        **_vocab(),
    )


# -- the credit seal ------------------------------------------------------------------------
@bp.get("/firm/seal")
@console_view("enterprises:read", ENTERPRISE)
def firm_seal():
    """The firm's seal: may it show it, the rules it fails, and the snippet to embed."""
    from api.pages.seal import embed_snippet

    identity = current_identity()
    ent = enterprises.get_own_enterprise(identity)
    snippets = [
        (theme, lang, embed_snippet(ent.uscc, ent.name, theme, lang))
        for theme in ("light", "dark")
        for lang in ("zh", "en")
    ]
    return render_template(
        "console/firm_seal.html",
        ent=ent,
        standing=seal.seal_standing(identity, ent.uscc),
        rules=seal.rules(),
        snippets=snippets,
        **_vocab(),
    )


# -- records: objections and repair -------------------------------------------------------
def _record_page(
    violation_id: str, objection: dict | None = None, repair: dict | None = None, status: int = 200
):
    identity = current_identity()
    v = violations.get_violation(identity, violation_id)
    ent = enterprises.get_own_enterprise(identity)
    repair_pledges = [
        p
        for p in pledges.list_enterprise_pledges(identity, ent.uscc)
        if p.status == "published" and p.template.type == "credit_repair"
    ]
    cases = workflow.enterprise_cases(identity)
    return render_template(
        "console/firm_record.html",
        v=v,
        repair_pledges=repair_pledges,
        objections=[o for o in cases["objections"] if o.violation_id == v.id],
        repairs=[r for r in cases["repairs"] if r.violation_id == v.id],
        objection=objection or {"typed": {}, "errors": {}},
        repair=repair or {"typed": {}, "errors": {}},
        **_vocab(),
    ), status


@bp.get("/firm/records/<violation_id>")
@console_view("enterprises:read", ENTERPRISE)
def firm_record(violation_id: str):
    return _record_page(violation_id)


_NEXT_ON_RECORD = (
    "该记录已有处理中的申请或状态已变化；请查看本页“处理情况”，等待机关答复（答复期限见上），"
    "期间无需重复提交。",
    "The record already has an application in progress or its state changed: see the status "
    "of your applications on this page and wait for the authority's answer (due date shown); "
    "there is no need to apply twice.",
)


@bp.post("/firm/records/<violation_id>/objection")
@console_view("objections:write", ENTERPRISE)
def file_objection(violation_id: str):
    from api.v1.workflow import ObjectionInputSchema

    typed = forms.values(["reasons", "attachments"])
    try:
        body = forms.load(
            ObjectionInputSchema(),
            {"reasons": typed["reasons"].strip(), "attachments": forms.lines(typed["attachments"])},
        )
        with unit_of_work() as uow:
            workflow.file_objection(
                current_identity(), uow, violation_id, body["reasons"], body["attachments"]
            )
    except forms.INVALID as exc:
        return _record_page(
            violation_id, objection={"typed": typed, "errors": forms.errors_of(exc)}, status=400
        )
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc, _NEXT_ON_RECORD)
        return _record_page(
            violation_id, objection={"typed": typed, "errors": errors}, status=status
        )
    flash(
        (
            "notice",
            "异议已提交，记录显示为“异议处理中”。",
            "Objection filed; the record shows as under objection.",
        )
    )
    return redirect(url_for("console.firm_record", violation_id=violation_id))


@bp.post("/firm/records/<violation_id>/repair")
@console_view("repairs:write", ENTERPRISE)
def apply_for_repair(violation_id: str):
    from api.v1.workflow import RepairInputSchema

    typed = forms.values(["pledge_id", "statement"])
    try:
        body = forms.load(
            RepairInputSchema(),
            {"pledge_id": typed["pledge_id"], "statement": typed["statement"].strip()},
        )
        with unit_of_work() as uow:
            workflow.apply_for_repair(
                current_identity(), uow, violation_id, body["pledge_id"], body["statement"]
            )
    except forms.INVALID as exc:
        return _record_page(
            violation_id, repair={"typed": typed, "errors": forms.errors_of(exc)}, status=400
        )
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc, _NEXT_ON_RECORD)
        return _record_page(violation_id, repair={"typed": typed, "errors": errors}, status=status)
    flash(("notice", "信用修复申请已提交。", "Repair application filed."))
    return redirect(url_for("console.firm_record", violation_id=violation_id))
