"""The industry organisations' public pages: ``/organisations`` (the list with member
counts) and ``/organisations/{code}`` (its self-discipline convention with its clauses,
member count, pledge campaigns with their coverage in numbers and words), and
``/organisations/{code}/convention`` (every published version of the convention). They
call the same services as the organisations API (credit/organisations)."""

from __future__ import annotations

from flask import render_template, request

from api.auth import current_identity, public
from api.pages.public import bp
from credit.organisations import campaigns, service
from credit.organisations.vocab import CONVENTION_STATUSES, ORGANISATION_KINDS
from credit.regions import city_name

PAGE_SIZE = 20


def division(code: str) -> tuple[str, str]:
    """An organisation's division in words: the province or one of its cities."""
    if code.endswith("0000"):
        return "江苏省", "Jiangsu"
    name = city_name(code[:4] + "00") or code
    return name, name


@bp.get("/organisations")
@public
def organisations():
    try:
        number = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        number = 1
    page = service.list_organisations(current_identity(), number, PAGE_SIZE)
    return render_template(
        "public/organisations.html",
        page=page,
        members={o.id: service.member_count(o.id) for o in page.items},
        kinds=ORGANISATION_KINDS,
        division=division,
    )


@bp.get("/organisations/<code>")
@public
def organisation(code: str):
    identity = current_identity()
    organisation = service.get_organisation(identity, code)
    return render_template(
        "public/organisation.html",
        org=organisation,
        convention=service.current_convention(identity, code),
        members=service.member_count(organisation.id),
        campaigns=campaigns.public_campaigns(identity, code),
        kinds=ORGANISATION_KINDS,
        division=division,
    )


@bp.get("/organisations/<code>/convention")
@public
def convention_history(code: str):
    identity = current_identity()
    organisation = service.get_organisation(identity, code)
    versions = [
        c
        for c in service.convention_versions(identity, code)
        if c.status in ("published", "superseded")
    ]
    return render_template(
        "public/convention_history.html",
        org=organisation,
        versions=versions,
        statuses=CONVENTION_STATUSES,
    )
