"""A record's publicity window ends: on its last day its entry's content and salt are
served; the day after they are not, the sweep logs ``violation.window_ended`` and deletes
them from the platform, and every proof (old checkpoint and new) still verifies."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.extensions import db
from credit.translog import service
from credit.translog.notes import Checkpoint, open_note
from credit.translog.records import LogRecord
from tests.parties import make_parties, make_violation
from tests.translog import rfc9162


@pytest.fixture
def at_noon_on():
    def move(day) -> None:
        noon = datetime.combine(day, time(12), tzinfo=clock.CHINA).astimezone(UTC)
        clock.set_clock(lambda: noon)

    yield move
    clock.set_clock(None)


def _checkpoint(app, client) -> Checkpoint:
    service.sign_checkpoint(db.session, app.extensions["credit.log_signers"])
    db.session.commit()
    key = app.extensions["credit.log_signers"][0].verifier()
    return Checkpoint.parse(open_note(client.get("/api/v1/log/checkpoint").text, key))


def _proves(client, index: int, cp: Checkpoint) -> bool:
    entry = client.get(f"/api/v1/log/entries/{index}").get_json()
    proof = client.get(
        "/api/v1/log/proof/inclusion", query_string={"index": index, "tree_size": cp.size}
    ).get_json()
    leaf = rfc9162.leaf(base64.b64decode(entry["entry"]))
    path = [base64.b64decode(h) for h in proof["proof"]]
    return rfc9162.verify_inclusion(index, cp.size, leaf, path, cp.root)


def test_content_is_served_on_the_last_day_and_gone_the_day_after(
    app_ctx, client, at_noon_on
) -> None:
    from credit import sweeps

    v = make_violation(make_parties())
    vid, last_day = v.id, v.publish_until
    index = db.session.scalar(
        sa.select(LogRecord.index).where(
            LogRecord.record_id == vid, LogRecord.event_type == "violation.published"
        )
    )
    before = _checkpoint(app_ctx, client)

    at_noon_on(last_day)  # the day before the edge: still public
    shown = client.get(f"/api/v1/log/entries/{index}").get_json()
    assert shown["content"]["id"] == vid and shown["salt"]

    at_noon_on(last_day + timedelta(days=1))  # the edge: out of view at once
    hidden = client.get(f"/api/v1/log/entries/{index}").get_json()
    assert hidden["content"] is None and hidden["salt"] is None
    sweeps.sweep()  # records the window's end; the log's consumer logs it
    rows = db.session.scalars(
        sa.select(LogRecord).where(LogRecord.record_id == vid).order_by(LogRecord.index)
    ).all()
    assert [r.event_type for r in rows] == ["violation.published", "violation.window_ended"]
    assert all(r.content is None and r.salt is None for r in rows)  # deleted, not hidden
    after = _checkpoint(app_ctx, client)
    assert after.size > before.size
    assert _proves(client, index, before) and _proves(client, index, after)
    ended = client.get(f"/api/v1/log/entries/{rows[-1].index}").get_json()
    assert ended["type"] == "violation.window_ended" and ended["content"] is None
    consistency = client.get(
        "/api/v1/log/proof/consistency",
        query_string={"first": before.size, "second": after.size},
    ).get_json()
    path = [base64.b64decode(h) for h in consistency["proof"]]
    assert rfc9162.verify_consistency(before.size, after.size, before.root, after.root, path)
    verified = app_ctx.test_cli_runner().invoke(args=["credit", "log", "verify"])
    assert verified.exit_code == 0, verified.output
