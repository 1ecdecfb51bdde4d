"""Two public pages of issue 17: one violation record's permalink (``/violations/<id>``)
and the published rating method (``/about/rating``).

Both are thin: the record comes from ``credit.violations.permalink.public_record`` (public
today or not found, the profile's rule), the method from ``credit.ratings.method`` (read off
the model file in force, so a new model version changes the page).
"""

from __future__ import annotations

from flask import render_template

from api import urls
from api.auth import current_identity, public
from api.pages.public import bp
from credit.ratings.method import rating_method
from credit.violations.permalink import public_record


@bp.get("/violations/<violation_id>")
@public
def violation(violation_id: str):
    record = public_record(current_identity(), violation_id[:64])
    return render_template(
        "public/violation.html",
        v=record,
        canonical=urls.external_url("pages.violation", violation_id=record["id"]),
    )


@bp.get("/about/rating")
@public
def rating_method_page():
    method = rating_method(current_identity())
    return render_template(
        "public/rating_method.html",
        method=method,
        canonical=urls.external_url("pages.rating_method_page"),
    )
