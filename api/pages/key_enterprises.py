"""The public key-enterprise page (``/key-enterprises``): the commerce departments' list
with each firm's pledge status in words, the coverage figures, filters by city, category,
industry and coverage, and links to the profiles. It calls the same service as
``GET /api/v1/key-enterprises``."""

from __future__ import annotations

from flask import render_template, request
from marshmallow import ValidationError

from api.auth import current_identity, public
from api.pages import labels
from api.pages.public import bp
from credit.enterprises.vocab import INDUSTRIES
from credit.errors import FieldError, ValidationFailed
from credit.keyfirms import service
from credit.keyfirms.schemas import FiguresSchema, ListFilterSchema
from credit.keyfirms.vocab import COVERAGE_STATES, categories
from credit.regions import JIANGSU_CITIES

PAGE_SIZE = 50


@bp.get("/key-enterprises")
@public
def key_enterprises():
    raw = {k: v for k, v in request.args.items() if k in ListFilterSchema().fields and v}
    try:
        filters = ListFilterSchema().load(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            "筛选条件有误",
            [
                FieldError(f, "; ".join(map(str, m)), location="query")
                for f, m in exc.messages.items()
            ],
        ) from None
    try:
        page_no = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page_no = 1
    page, figures = service.list_key_enterprises(current_identity(), filters, page_no, PAGE_SIZE)
    return render_template(
        "public/key_enterprises.html",
        page=page,
        figures=FiguresSchema().dump(figures),
        rate=figures.rate,
        filters=filters,
        categories=categories(),
        states=COVERAGE_STATES,
        cities=[(c, labels.city(c)) for c in JIANGSU_CITIES],
        industries=INDUSTRIES,
        labels=labels,
    )
