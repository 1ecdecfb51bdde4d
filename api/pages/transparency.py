"""``/transparency``: the public log explained for people: what is logged and what is not,
how to verify a record, a report or the log itself, the log's verifier key and the latest
signed checkpoint."""

from __future__ import annotations

from flask import current_app, render_template

from api import urls
from api.auth import current_identity, public
from api.pages.public import bp
from credit.errors import NotFound
from credit.extensions import db
from credit.translog import facts, service, store


@bp.get("/transparency")
@public
def transparency():
    signers = current_app.extensions["credit.log_signers"]
    try:
        checkpoint = service.public_checkpoint(current_identity(), db.session)
    except NotFound:
        checkpoint = None
    return render_template(
        "public/transparency.html",
        checkpoint=checkpoint,
        size=store.size(db.session),
        verifier_key=signers[0].verifier().encoded(),
        origin=signers[0].name,
        leaving=sorted(facts.LEAVING),
        public_url=urls.public_url(),
        canonical=urls.external_url("pages.transparency"),
    )
