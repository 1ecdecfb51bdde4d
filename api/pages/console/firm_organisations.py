"""The firm's side of industry organisations in its console: invitations to confirm or
decline, the organisations it belongs to, and the campaigns of those organisations, where
it joins and then files a pledge from the campaign's template (the draft is then checked
and published on the ordinary pledge page)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from api.pages.console.firm import ENTERPRISE, _defaults, _pledge_data, _typed, _vocab
from credit import clock
from credit.errors import Conflict, PreconditionFailed
from credit.organisations import campaigns, service
from credit.organisations.schemas import CampaignPledgeInputSchema, DeclineSchema
from credit.organisations.vocab import MEMBERSHIP_STATUSES, PARTICIPATION_STATES
from credit.pledges import service as pledges
from credit.uow import unit_of_work

MEMBERSHIPS = "enterprises:write"
PLEDGES = "pledges:write"
REFUSED = (*forms.INVALID, Conflict, PreconditionFailed)


def _page(errors: forms.Errors | None = None, status: int = 200):
    identity = current_identity()
    return render_template(
        "console/firm_organisations.html",
        memberships=service.my_memberships(identity),
        campaigns=campaigns.my_campaigns(identity),
        errors=errors or {},
        MEMBERSHIP_STATUSES=MEMBERSHIP_STATUSES,
        PARTICIPATION_STATES=PARTICIPATION_STATES,
        today=clock.today(),
    ), status


@bp.get("/firm/organisations")
@console_view(MEMBERSHIPS, ENTERPRISE)
def firm_organisations():
    return _page()


def _version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


@bp.post("/firm/memberships/<membership_id>/confirm")
@console_view(MEMBERSHIPS, ENTERPRISE)
def firm_membership_confirm(membership_id: str):
    try:
        with unit_of_work() as uow:
            m = service.confirm_membership(current_identity(), uow, membership_id, _version())
    except REFUSED as exc:
        return _page({"_": [getattr(exc, "detail", str(exc))]}, 409)
    name = m.organisation.name
    flash(("notice", f"已确认加入：{name}", f"Membership confirmed: {m.organisation.name_en}"))
    return redirect(url_for("console.firm_organisations"), 303)


@bp.post("/firm/memberships/<membership_id>/decline")
@console_view(MEMBERSHIPS, ENTERPRISE)
def firm_membership_decline(membership_id: str):
    reason = request.form.get("reason", "").strip()
    try:
        body = forms.load(DeclineSchema(), {"reason": reason})
        with unit_of_work() as uow:
            m = service.decline_membership(
                current_identity(), uow, membership_id, body.get("reason"), _version()
            )
    except forms.INVALID as exc:
        return _page(forms.errors_of(exc), 400)
    except REFUSED as exc:
        return _page({"_": [getattr(exc, "detail", str(exc))]}, 409)
    name = m.organisation.name
    flash(("notice", f"已拒绝邀请：{name}", f"Invitation declined: {m.organisation.name_en}"))
    return redirect(url_for("console.firm_organisations"), 303)


@bp.post("/firm/campaigns/<campaign_id>/join")
@console_view(PLEDGES, ENTERPRISE)
def firm_campaign_join(campaign_id: str):
    try:
        with unit_of_work() as uow:
            campaigns.join_campaign(current_identity(), uow, campaign_id)
    except REFUSED as exc:
        return _page({"_": [getattr(exc, "detail", str(exc))]}, 409)
    flash(("notice", "已参加活动，请填报承诺。", "Joined; now file the pledge."))
    return redirect(url_for("console.firm_campaign_pledge", campaign_id=campaign_id), 303)


def _campaign_form(campaign, values, errors, status=200):
    return render_template(
        "console/pledge_form.html",
        template=pledges.get_template(current_identity(), campaign.template_id),
        values=values,
        errors=errors,
        pledge=None,
        action=url_for("console.firm_campaign_file", campaign_id=campaign.id),
        campaign=campaign,
        **_vocab(),
    ), status


@bp.get("/firm/campaigns/<campaign_id>/pledge")
@console_view(PLEDGES, ENTERPRISE)
def firm_campaign_pledge(campaign_id: str):
    """The pledge form of the campaign's template, filled with the usual defaults."""
    identity = current_identity()
    campaign = campaigns.get_campaign(identity, campaign_id)
    template = pledges.get_template(identity, campaign.template_id)
    return _campaign_form(campaign, _defaults(template), {})


@bp.post("/firm/campaigns/<campaign_id>/pledge")
@console_view(PLEDGES, ENTERPRISE)
def firm_campaign_file(campaign_id: str):
    identity = current_identity()
    campaign = campaigns.get_campaign(identity, campaign_id)
    typed = _typed()
    try:
        data = forms.load(CampaignPledgeInputSchema(), _pledge_data(typed, with_template=False))
        with unit_of_work() as uow:
            pledge = campaigns.file_campaign_pledge(identity, uow, campaign_id, data)
    except forms.INVALID as exc:
        return _campaign_form(campaign, typed, forms.errors_of(exc), 400)
    except REFUSED as exc:
        return _campaign_form(campaign, typed, {"_": [getattr(exc, "detail", str(exc))]}, 409)
    flash(("notice", "草稿已保存，核对后即可发布。", "Draft saved; check it, then publish."))
    return redirect(url_for("console.pledge_view", pledge_id=pledge.id), 303)
