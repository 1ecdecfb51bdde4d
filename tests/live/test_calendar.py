"""Over the real server (issue 15, working-day calendar): the regulator's queue shows a
provisional due date and an unknown one; loading the official year from the command line
(another process, as an operator does) changes what the running server answers at once;
a deadline asked for past the calendar is refused with the field named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time

import pytest

from credit import clock
from credit.clock import CHINA
from credit.uow import unit_of_work
from tests.calendars import official_2027
from tests.parties import make_parties, make_violation, owner_identity
from tests.server import ROOT, env_for


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def file_objection_on(parties, day: date) -> str:
    """An objection filed on ``day`` (the in-process clock only; the server keeps its own)."""
    from credit.violations import workflow

    moment = datetime.combine(day, time(10), CHINA).astimezone(UTC)
    clock.set_clock(lambda: moment)
    try:
        v = make_violation(parties)
        with unit_of_work() as uow:
            item = workflow.file_objection(
                owner_identity(parties.owner_uscc), uow, v.id, "事实认定有误", []
            )
        return item.id
    finally:
        clock.set_clock(None)


def flask_cli(server, *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi credit ...`` in a new process, on the server's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
    env.update(env_for(server.config))
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "credit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def queue(live, headers) -> list[dict]:
    r = live.get("/api/v1/regulator/objections", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_the_queue_shows_provisional_and_unknown_due_dates_and_follows_a_load(
    live, parties, tmp_path
) -> None:
    provisional_id = file_objection_on(parties, date(2027, 9, 29))
    unknown_id = file_objection_on(parties, date(2027, 12, 28))
    reg = live.bearer(parties.clients["reg_in"])

    first, second = queue(live, reg)
    assert (first["id"], first["due_date"]) == (provisional_id, "2027-10-07")
    assert first["provisional"] is True and first["deadline"]["provisional_years"] == [2027]
    assert second["id"] == unknown_id and second["due_date"] is None
    assert (second["deadline"]["known"], second["deadline"]["missing_year"]) == (False, 2028)
    assert "calendar for 2028 not loaded" in second["deadline"]["note"]

    path = tmp_path / "2027.json"
    path.write_text(json.dumps(official_2027(), ensure_ascii=False), encoding="utf-8")
    done = flask_cli(live.server, "calendar", "load", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["deadlines_changed"][0]["after"] == "2027-10-12"

    # The running server (no restart, any of its workers) answers on the loaded year.
    for _ in range(4):
        first, _second = queue(live, reg)
        assert (first["due_date"], first["provisional"]) == ("2027-10-12", False)
    years = live.get("/api/v1/calendar").json()["years"]
    assert (years[-1]["year"], years[-1]["status"], years[-1]["origin"]) == (
        2027,
        "official",
        "loaded",
    )


def test_a_deadline_past_the_calendar_is_refused_over_http(live) -> None:
    r = live.get("/api/v1/calendar/deadline", params={"from": "2029-01-05", "working_days": 5})
    assert r.status_code == 409, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert all(v.isascii() for v in r.headers.values())
    (error,) = r.json()["errors"]
    assert (error["field"], error["code"]) == ("from", "calendar_not_loaded")
    assert "2029" in error["message"]
    ok = live.get("/api/v1/calendar/deadline", params={"from": "2027-09-29", "working_days": 5})
    assert ok.status_code == 200 and ok.json()["provisional"] is True
