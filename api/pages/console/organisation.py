"""The industry organisation's console: its members with their public pledge status,
inviting a firm by USCC, the convention (draft, then publish), pledge campaigns (create,
coverage), and referring a member's breach of the convention to a competent authority.
Every form loads its input with the organisations' own input schemas
(credit/organisations/schemas.py) and calls one service with the signed-in Identity."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from credit import clock
from credit.errors import (
    Conflict,
    FieldError,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from credit.organisations import campaigns, referrals, service
from credit.organisations.schemas import (
    CampaignInputSchema,
    ConventionDraftSchema,
    InviteSchema,
    ReferralInputSchema,
)
from credit.organisations.vocab import (
    CONVENTION_STATUSES,
    MEMBERSHIP_STATUSES,
    PARTICIPATION_STATES,
    REFERRAL_STATUSES,
)
from credit.uow import unit_of_work

SCOPE = "organisations:write"
ORGANISATION = "organisation"
#: What a form's user can correct and send again: shown on the form, never a 500.
REFUSED = (*forms.INVALID, Conflict, PreconditionFailed, PreconditionRequired)
#: A clause line of the convention form: ``CODE｜中文条文｜English text``.
_SPLIT = re.compile(r"\s*[|｜]\s*")


def clauses_text(clauses: list[dict]) -> str:
    return "\n".join(f"{c['code']}｜{c['text']}｜{c['text_en']}" for c in clauses)


def parse_clauses(text: str) -> list[dict[str, str]] | None:
    """The form's clause lines as the schema's list; None when a line lacks a part (the
    schema then reports the field)."""
    out = []
    for line in forms.lines(text):
        parts = _SPLIT.split(line, maxsplit=2)
        if len(parts) != 3:
            return None
        out.append({"code": parts[0], "text": parts[1], "text_en": parts[2]})
    return out


def _context(identity) -> dict[str, Any]:
    organisation = service.own_organisation(identity)
    versions = service.convention_versions(identity, organisation.code)
    return {
        "org": organisation,
        "draft": next((c for c in versions if c.status == "draft"), None),
        "current": next((c for c in versions if c.status == "published"), None),
        "MEMBERSHIP_STATUSES": MEMBERSHIP_STATUSES,
        "PARTICIPATION_STATES": PARTICIPATION_STATES,
        "CONVENTION_STATUSES": CONVENTION_STATUSES,
        "REFERRAL_STATUSES": REFERRAL_STATUSES,
    }


def _defaults(page: str, ctx: dict[str, Any]) -> dict[str, Any]:
    today = clock.today()
    if page == "convention":
        base = ctx["draft"] or ctx["current"]
        return {
            "title": base.title if base else "",
            "title_en": base.title_en if base else "",
            "preamble": base.preamble if base else "",
            "clauses": clauses_text(base.clauses) if base else "",
            "effective_from": (ctx["draft"].effective_from if ctx["draft"] else today).isoformat(),
        }
    if page == "campaign":
        return {
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=180)).isoformat(),
        }
    return {}


PAGES = {
    "home": "console/organisation_home.html",
    "invite": "console/organisation_home.html",
    "convention": "console/organisation_convention.html",
    "publish": "console/organisation_convention.html",
    "campaign": "console/organisation_campaign_new.html",
    "referral": "console/organisation_referral_new.html",
}


def _render(page: str, errors: forms.Errors | None = None, typed: dict | None = None, status=200):
    identity = current_identity()
    ctx = _context(identity)
    if PAGES[page] == PAGES["home"]:
        ctx["members"] = service.list_members(identity, status=None)
        ctx["campaigns"] = [
            (c, campaigns.campaign_figures(identity, c.id))
            for c in campaigns.list_campaigns(identity, ctx["org"].code)
        ]
        ctx["referrals"] = referrals.list_referrals(identity)
    if page == "referral":
        ctx["members"] = service.list_members(identity)
        ctx["authorities"] = referrals.competent_authorities(identity)
    return render_template(
        PAGES[page], values=typed or _defaults(page, ctx), errors=errors or {}, **ctx
    ), status


def _failed(page: str, exc: Exception, typed: dict) -> Any:
    if isinstance(exc, forms.INVALID):
        return _render(page, forms.errors_of(exc), typed, 400)
    return _render(page, {"_": [exc.detail]}, typed, 409)  # type: ignore[attr-defined]


@bp.get("/organisation")
@console_view(SCOPE, ORGANISATION)
def organisation_home():
    return _render("home")


@bp.get("/organisation/convention")
@console_view(SCOPE, ORGANISATION)
def organisation_convention():
    return _render("convention")


@bp.get("/organisation/campaigns/new")
@console_view(SCOPE, ORGANISATION)
def organisation_campaign_new():
    return _render("campaign")


@bp.get("/organisation/referrals/new")
@console_view(SCOPE, ORGANISATION)
def organisation_referral_new():
    return _render("referral", typed={"uscc": request.args.get("uscc", "")})


@bp.post("/organisation/invite")
@console_view(SCOPE, ORGANISATION)
def organisation_invite():
    typed = forms.values(("uscc", "message"))
    try:
        body = forms.load(InviteSchema(), {k: v.strip() for k, v in typed.items()})
        with unit_of_work() as uow:
            membership = service.invite_member(current_identity(), uow, body)
    except REFUSED as exc:
        return _failed("invite", exc, typed)
    name = membership.enterprise.name
    flash(("notice", f"已邀请：{name}（待企业确认）", f"Invited: {name} (awaiting the firm)"))
    return redirect(url_for("console.organisation_home") + "#members-h", 303)


CONVENTION_TEXT = ("title", "title_en", "preamble", "clauses", "effective_from")


@bp.post("/organisation/convention")
@console_view(SCOPE, ORGANISATION)
def organisation_convention_save():
    """Save the next version as a draft (a new draft, or the draft replaced)."""
    identity = current_identity()
    typed = forms.values(CONVENTION_TEXT)
    parsed = parse_clauses(typed["clauses"])
    data = {k: typed[k].strip() for k in ("title", "title_en", "preamble", "effective_from")}
    try:
        if parsed is None:
            raise ValidationFailed(
                "条款格式有误",
                [
                    FieldError(
                        "clauses",
                        "每行一条：代码｜中文条文｜English text / one clause a line: "
                        "CODE | Chinese | English",
                    )
                ],
            )
        body = forms.load(ConventionDraftSchema(), {**data, "clauses": parsed})
        organisation = service.own_organisation(identity)
        versions = service.convention_versions(identity, organisation.code)
        draft = next((c for c in versions if c.status == "draft"), None)
        with unit_of_work() as uow:
            if draft is None:
                service.draft_convention(identity, uow, body)
            else:
                service.replace_draft_convention(identity, uow, draft.id, body, draft.version)
    except REFUSED as exc:
        return _failed("convention", exc, typed)
    flash(("notice", "公约草稿已保存，核对后即可发布。", "Draft saved; check it, then publish."))
    return redirect(url_for("console.organisation_convention"), 303)


@bp.post("/organisation/convention/<convention_id>/publish")
@console_view(SCOPE, ORGANISATION)
def organisation_convention_publish(convention_id: str):
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    try:
        with unit_of_work() as uow:
            published = service.publish_convention(current_identity(), uow, convention_id, version)
    except REFUSED as exc:
        return _failed("publish", exc, {})
    flash(
        (
            "notice",
            f"自律公约第 {published.number} 版已发布。",
            f"Convention version {published.number} published.",
        )
    )
    return redirect(url_for("console.organisation_convention"), 303)


CAMPAIGN_TEXT = ("title", "description", "starts_on", "ends_on", "deadline")


@bp.post("/organisation/campaigns")
@console_view(SCOPE, ORGANISATION)
def organisation_campaign_create():
    typed = forms.values(CAMPAIGN_TEXT)
    try:
        body = forms.load(CampaignInputSchema(), {k: v.strip() for k, v in typed.items()})
        with unit_of_work() as uow:
            campaign = campaigns.create_campaign(current_identity(), uow, body)
    except REFUSED as exc:
        return _failed("campaign", exc, typed)
    flash(("notice", f"承诺活动已创建：{campaign.title}", f"Campaign created: {campaign.title}"))
    return redirect(url_for("console.organisation_campaign", campaign_id=campaign.id), 303)


@bp.get("/organisation/campaigns/<campaign_id>")
@console_view(SCOPE, ORGANISATION)
def organisation_campaign(campaign_id: str):
    coverage = campaigns.campaign_coverage(current_identity(), campaign_id)
    return render_template(
        "console/organisation_campaign.html",
        coverage=coverage,
        PARTICIPATION_STATES=PARTICIPATION_STATES,
    )


REFERRAL_TEXT = ("uscc", "authority", "facts", "evidence")


@bp.post("/organisation/referrals")
@console_view(SCOPE, ORGANISATION)
def organisation_refer():
    typed = forms.values(REFERRAL_TEXT, ["clauses"])
    data = {
        "uscc": typed["uscc"].strip(),
        "authority": typed["authority"].strip(),
        "facts": typed["facts"].strip(),
        "clauses": typed["clauses"],
        "evidence": forms.lines(typed["evidence"]),
    }
    try:
        body = forms.load(ReferralInputSchema(), data)
        with unit_of_work() as uow:
            referral = referrals.refer_breach(current_identity(), uow, body)
    except REFUSED as exc:
        return _failed("referral", exc, typed)
    flash(
        (
            "notice",
            f"已转交 {referral.authority.name}：{referral.enterprise.name}（不公开）",
            f"Referred to {referral.authority.name}: {referral.enterprise.name} (not public)",
        )
    )
    return redirect(url_for("console.organisation_home") + "#referrals-h", 303)
