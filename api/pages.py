"""Public HTML pages. For now the home page: search box, USCC check and links to the API."""

from __future__ import annotations

from flask import Blueprint, render_template

from api.auth import public
from credit.enterprises.vocab import INDUSTRIES
from credit.regions import JIANGSU_CITIES

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
@public
def home():
    return render_template("home.html", cities=JIANGSU_CITIES, industries=INDUSTRIES)
