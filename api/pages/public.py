"""Consumer pages (no sign-in): home, search results, enterprise profile, credit report,
report verification, statistics and the USCC check."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.auth import public

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")


@bp.get("/")
@public
def home():
    return render_template("public/home.html")
