"""Recording a violation in two looks (issue 17 item 10): the form's submission shows the
record exactly as the public will see it (the permalink's own partial), and only
"确认公示 / Confirm and publish" writes it; "返回修改 / Back to edit" returns to the form
with everything typed. No JavaScript: all three are buttons of one form that carries the
typed values as hidden fields.

A confirm sent twice (a double click, the browser's resend, a replayed request) makes one
record. The preview carries a signed token (``itsdangerous``, the app's secret key) that
names the id the new record will have and a fingerprint of the values previewed: a confirm
whose values differ from what was previewed is shown the preview again, and a second
confirm of the same preview finds its record by that id and goes to it instead of writing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError as MaValidationError
from sqlalchemy.exc import IntegrityError

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from api.pages.console.regulator import (
    _NEXT_ON_RECORD,
    REGULATOR,
    VIOLATION_TEXT,
    _violation_form,
    _vocab,
)
from credit import uscc
from credit.errors import Conflict, NotFound, ValidationFailed
from credit.uow import unit_of_work
from credit.violations import permalink
from credit.violations import service as violations
from credit.violations.schemas import ViolationInputSchema

#: A preview may be confirmed within this many seconds; later it is shown again.
PREVIEW_MAX_AGE = 3600
_SALT = "console-violation-preview"
_LISTS = ("breached", "breached_other")


def _typed() -> dict[str, Any]:
    typed = forms.values((*VIOLATION_TEXT, "conduct_date", "breach_reason"), list(_LISTS))
    typed["uscc"] = uscc.normalize(typed["uscc"])
    typed["publish_minor"] = request.form.get("publish_minor") == "1"
    return typed


def _data(typed: dict[str, Any]) -> dict[str, Any]:
    """The typed form in the shape ``ViolationInputSchema`` loads."""
    data = {k: typed[k].strip() for k in (*VIOLATION_TEXT, "conduct_date")}
    reason = typed["breach_reason"].strip()
    data["publish_minor"] = typed["publish_minor"]
    data["breached_clauses"] = [
        {"pledge_id": item.split(":", 1)[0], "clause": item.split(":", 1)[1]}
        for item in typed["breached"]
        if ":" in item
    ] + [
        {
            "pledge_id": item.split(":", 1)[0],
            "clause": item.split(":", 1)[1],
            **({"breach_reason": reason} if reason else {}),
        }
        for item in typed["breached_other"]
        if ":" in item
    ]
    return data


def _fingerprint(typed: dict[str, Any]) -> str:
    canonical = {k: sorted(v) if k in _LISTS else v for k, v in typed.items()}
    canonical["_by"] = current_identity().subject
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _token(typed: dict[str, Any]) -> str:
    return _signer().dumps({"id": str(uuid.uuid4()), "f": _fingerprint(typed)})


def _claimed_id(typed: dict[str, Any]) -> str | None:
    """The record id the preview promised, if its token is genuine, fresh, and was issued
    for exactly these values; else None."""
    try:
        claim = _signer().loads(request.form.get("preview_token", ""), max_age=PREVIEW_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(claim, dict) or claim.get("f") != _fingerprint(typed):
        return None
    try:
        return str(uuid.UUID(str(claim.get("id"))))
    except ValueError:
        return None


def _preview_page(typed: dict[str, Any], loaded: dict[str, Any], stale: bool = False):
    v, links = violations.preview_violation(current_identity(), loaded)
    return render_template(
        "console/violation_preview.html",
        v=permalink.preview_record(v, links),
        values=typed,
        token=_token(typed),
        stale=stale,
        **_vocab(),
    ), (409 if stale else 200)


def _existing(violation_id: str) -> Any | None:
    try:
        return violations.get_violation(current_identity(), violation_id)
    except NotFound:
        return None


def _already_recorded(v: Any):
    flash(
        (
            "notice",
            "该记录已录入，重复提交未再次录入。",
            "This record was already recorded; the repeated confirm recorded nothing.",
        )
    )
    return redirect(url_for("console.violation_view", violation_id=v.id))


def _confirm(typed: dict[str, Any], loaded: dict[str, Any]):
    claimed = _claimed_id(typed)
    if claimed is None:  # expired, forged, or the values changed since the preview
        return _preview_page(typed, loaded, stale=True)
    done = _existing(claimed)
    if done is not None:
        return _already_recorded(done)
    try:
        with unit_of_work() as uow:
            v = violations.record_violation(current_identity(), uow, loaded, claimed)
    except (Conflict, IntegrityError):
        done = _existing(claimed)  # a concurrent confirm of the same preview won
        if done is not None:
            return _already_recorded(done)
        raise
    flash(("notice", "已录入违法失信信息。", "The violation is recorded."))
    return redirect(url_for("console.violation_view", violation_id=v.id))


@bp.post("/regulator/violations/new")
@console_view("violations:write", REGULATOR)
def violation_create():
    typed = _typed()
    step = request.form.get("step", "preview")
    if step == "back":
        return _violation_form(typed, {})
    try:
        loaded = forms.load(ViolationInputSchema(), _data(typed))
        if step == "confirm":
            return _confirm(typed, loaded)
        return _preview_page(typed, loaded)
    except MaValidationError as exc:
        errors = forms.from_marshmallow(exc)
        if "breached_clauses" in errors:
            errors["breached"] = errors.pop("breached_clauses")
        return _violation_form(typed, errors, 400)
    except ValidationFailed as exc:
        errors = forms.from_domain(exc)
        if "breached_clauses" in errors:
            errors["breached"] = errors.pop("breached_clauses")
        return _violation_form(typed, errors, 400)
    except forms.REFUSED as exc:
        # Outside the jurisdiction (403; the code is marked by the first step) or a decision
        # number already recorded (409): said on the form, with everything typed kept.
        errors, status = forms.refusal(exc, _NEXT_ON_RECORD.get(forms.status_of(exc)))
        return _violation_form(typed, errors, status)
