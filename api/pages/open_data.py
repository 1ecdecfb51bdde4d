"""``/data``: the open-data snapshots for people: what each dataset holds, every field
explained, the licence (the site's terms of data use), and the files of the newest
snapshot with their sizes, row counts and SHA-256 checksums."""

from __future__ import annotations

from flask import render_template

from api import urls
from api.auth import public
from api.pages.public import bp
from api.v1.open_data import get_catalogue
from credit.opendata.datasets import DATASETS


@bp.get("/data")
@public
def open_data():
    return render_template(
        "public/open_data.html",
        catalogue=get_catalogue(),
        datasets=DATASETS,
        canonical=urls.external_url("pages.open_data"),
    )
