"""The firm's shops and public business contact in its console (``/console/firm/shops``).

The form posts to the same service the API's ``PATCH /api/v1/enterprises/{uscc}`` calls,
validated by the same input schema (credit/enterprises/schemas.py), so the rules are one:
http(s) links to a real domain name, at most ``MAX_SHOPS`` shops, a contact shown only when
the firm ticks "public". A rejected form comes back with every field as typed and each
problem beside its field; a stale page (someone saved meanwhile) is a refusal that keeps
the input too.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError as MaValidationError

from api.auth import current_identity
from api.pages.console import bp, forms
from api.pages.console.auth import console_view
from api.pages.console.firm import ENTERPRISE
from credit.enterprises import service as enterprises
from credit.enterprises.schemas import MAX_SHOPS, EnterpriseProfilePatchSchema
from credit.enterprises.vocab import PLATFORMS
from credit.errors import ValidationFailed
from credit.uow import unit_of_work

PROFILE = "enterprises:write"
#: Empty rows the form offers below the declared shops (up to MAX_SHOPS rows in all).
BLANK_ROWS = 3
CONTACT = {"phone": "bc_phone", "email": "bc_email", "address": "bc_address"}


def _rows_from(ent: Any) -> list[dict[str, str]]:
    return [
        {"platform": s.platform, "shop_name": s.shop_name, "url": s.url or ""} for s in ent.shops
    ]


def _padded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    blank = {"platform": "", "shop_name": "", "url": ""}
    want = min(MAX_SHOPS, len(rows) + BLANK_ROWS)
    return rows + [dict(blank) for _ in range(max(0, want - len(rows)))]


def _values_from(ent: Any) -> dict[str, Any]:
    contact = ent.business_contact
    return {
        "rows": _padded(_rows_from(ent)),
        "bc_phone": (contact.phone if contact else "") or "",
        "bc_email": (contact.email if contact else "") or "",
        "bc_address": (contact.address if contact else "") or "",
        "bc_public": bool(contact and contact.public),
        "version": str(ent.version),
    }


def _posted() -> dict[str, Any]:
    """The form as typed: every row (blank ones too), the contact, the version read."""
    rows = []
    for i in range(MAX_SHOPS):
        row = {
            "platform": request.form.get(f"shop-{i}-platform", "").strip(),
            "shop_name": request.form.get(f"shop-{i}-name", "").strip(),
            "url": request.form.get(f"shop-{i}-url", "").strip(),
        }
        if f"shop-{i}-platform" in request.form or any(row.values()):
            rows.append(row)
    return {
        "rows": rows,
        "bc_phone": request.form.get("bc_phone", "").strip(),
        "bc_email": request.form.get("bc_email", "").strip(),
        "bc_address": request.form.get("bc_address", "").strip(),
        "bc_public": request.form.get("bc_public") == "yes",
        "version": request.form.get("version", ""),
    }


def _body(values: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The PATCH body the form stands for, and which form row each shop came from."""
    shops, origin = [], []
    for i, row in enumerate(values["rows"]):
        if any(row.values()):
            shops.append({k: v for k, v in row.items() if v})
            origin.append(i)
    contact = {k: values[name] or None for k, name in CONTACT.items()}
    if any(contact.values()):
        business_contact: dict[str, Any] | None = {**contact, "public": values["bc_public"]}
    else:
        business_contact = None  # every contact field emptied: the contact is removed
    return {"shops": shops, "business_contact": business_contact}, origin


def _field_errors(messages: dict[str, Any], origin: list[int]) -> forms.Errors:
    """Schema messages keyed by the form's own field names (``shop-2-url``, ``bc_email``)."""
    out: forms.Errors = {}

    def put(key: str, value: Any) -> None:
        texts = value if isinstance(value, list) else [value]
        out.setdefault(key, []).extend(forms.friendly(str(t)) for t in texts)

    shops = messages.get("shops", {})
    if isinstance(shops, list):  # the list itself: too many shops
        put("shops", shops)
    elif isinstance(shops, dict):
        for index, fields in shops.items():
            if not isinstance(index, int) or not isinstance(fields, dict):
                put("shops", fields)
                continue
            row = origin[index] if index < len(origin) else index
            for name, text in fields.items():
                # shop_name is the form's "name"; an unknown key cannot come from the form
                field = {"platform": "platform", "shop_name": "name"}.get(name, "url")
                put(f"shop-{row}-{field}", text)
    contact = messages.get("business_contact", {})
    if isinstance(contact, dict):
        for name, text in contact.items():
            put(CONTACT.get(name, "bc_public"), text)
    elif contact:
        put("bc_public", contact)
    for key, value in messages.items():
        if key not in ("shops", "business_contact"):
            put("_", value)
    return out


def _page(values: dict[str, Any], errors: forms.Errors | None = None, status: int = 200):
    identity = current_identity()
    ent = enterprises.get_own_enterprise(identity)
    return render_template(
        "console/firm_shops.html",
        ent=ent,
        values=values,
        errors=errors or {},
        PLATFORMS=PLATFORMS,
        MAX_SHOPS=MAX_SHOPS,
        changes=enterprises.profile_changes(identity, ent.uscc, limit=5),
    ), status


@bp.get("/firm/shops")
@console_view(PROFILE, ENTERPRISE)
def firm_shops():
    ent = enterprises.get_own_enterprise(current_identity())
    return _page(_values_from(ent))


@bp.post("/firm/shops")
@console_view(PROFILE, ENTERPRISE)
def firm_shops_save():
    identity = current_identity()
    values = _posted()
    body, origin = _body(values)
    try:
        changes = EnterpriseProfilePatchSchema().load(body)
    except MaValidationError as exc:
        values["rows"] = _padded(values["rows"])
        return _page(values, _field_errors(exc.normalized_messages(), origin), 400)
    try:
        version = int(values["version"])
    except ValueError:
        version = None
    ent = enterprises.get_own_enterprise(identity)
    try:
        with unit_of_work() as uow:
            enterprises.update_enterprise_profile(identity, uow, ent.uscc, changes, version)
    except ValidationFailed as exc:
        values["rows"] = _padded(values["rows"])
        return _page(values, forms.from_domain(exc), 400)
    except forms.REFUSED as exc:
        errors, status = forms.refusal(exc)
        values["rows"] = _padded(values["rows"])
        values["version"] = str(enterprises.get_own_enterprise(identity).version)
        return _page(values, errors, status)
    flash(("notice", "网店和联系方式已保存。", "Shops and contact saved."))
    return redirect(url_for("console.firm_shops"), 303)
