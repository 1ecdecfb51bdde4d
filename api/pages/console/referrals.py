"""The regulator's inbox of referrals from industry organisations: what a member is said
to have done against which clauses of the convention, and the decision, accept (the
authority handles it through its own procedure) or decline, always with a reason.
Neither publishes anything or changes a rating: a record is only ever made by recording a
violation, on its own page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from credit.errors import Conflict, PreconditionFailed, PreconditionRequired
from credit.organisations import referrals
from credit.organisations.schemas import ReferralDecisionSchema
from credit.organisations.vocab import REFERRAL_STATUSES
from credit.uow import unit_of_work

SCOPE = referrals.DECIDING_SCOPE
REGULATOR = "regulator"


def _inbox(errors: dict[str, forms.Errors] | None = None, status: int = 200):
    return render_template(
        "console/referrals.html",
        items=referrals.list_referrals(current_identity()),
        errors=errors or {},
        REFERRAL_STATUSES=REFERRAL_STATUSES,
    ), status


@bp.get("/regulator/referrals")
@console_view(SCOPE, REGULATOR)
def referral_inbox():
    return _inbox()


@bp.post("/regulator/referrals/<referral_id>/decide")
@console_view(SCOPE, REGULATOR)
def referral_decide(referral_id: str):
    typed = forms.values(("accepted", "reason"))
    accepted = {"yes": True, "no": False}.get(typed["accepted"], typed["accepted"])
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    try:
        body = forms.load(
            ReferralDecisionSchema(), {"accepted": accepted, "reason": typed["reason"].strip()}
        )
        with unit_of_work() as uow:
            referral = referrals.decide_referral(
                current_identity(), uow, referral_id, body, version
            )
    except forms.INVALID as exc:
        return _inbox({referral_id: forms.errors_of(exc)}, 400)
    except (Conflict, PreconditionFailed, PreconditionRequired) as exc:
        return _inbox({referral_id: {"_": [exc.detail]}}, 409)
    zh, en = REFERRAL_STATUSES[referral.status]
    flash(("notice", f"{referral.enterprise.name}：{zh}", f"{referral.enterprise.name}: {en}"))
    return redirect(url_for("console.referral_inbox"), 303)
