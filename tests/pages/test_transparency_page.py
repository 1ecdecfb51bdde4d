"""/transparency: what is logged, how to verify, the key and the latest checkpoint."""

from __future__ import annotations

from credit.extensions import db
from credit.translog import service
from tests.parties import make_parties, make_violation


def test_the_page_explains_and_shows_the_key_and_the_latest_checkpoint(app_ctx, client) -> None:
    before = client.get("/transparency")
    assert before.status_code == 200
    html = before.get_data(as_text=True)
    assert 'id="checkpoint-none"' in html
    key = client.get("/api/v1/log/key").get_json()
    assert key["verifier_key"] in html and key["origin"] in html
    assert "RFC 9162" in html and "RFC 8785" in html
    make_violation(make_parties())
    service.sign_checkpoint(db.session, app_ctx.extensions["credit.log_signers"])
    db.session.commit()
    after = client.get("/transparency").get_data(as_text=True)
    note = client.get("/api/v1/log/checkpoint").get_data(as_text=True)
    size = note.split("\n")[1]
    assert f'<strong id="checkpoint-size">{size}</strong>' in after
    assert note.split("\n")[2] in after  # the root hash as signed
    assert "— " + key["origin"] in after  # the signature line
    english = client.get("/transparency?lang=en").get_data(as_text=True)
    assert "How to verify" in english and "append-only" in english
