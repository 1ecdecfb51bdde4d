"""``flask --app wsgi credit calendar load FILE`` and ``credit calendar show [YEAR]``.

A load checks the year, replaces it, and the pending deadlines follow it (listed in the
answer); a bad file is refused with each problem's path and exit status 2; ``--dry-run``
writes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from credit import clock
from credit.identity import SYSTEM
from credit.workcalendar import document
from credit.workcalendar import service as calendar
from tests.calendars import official_2027

EXAMPLES = Path(document.__file__).resolve().parents[1] / "data" / "examples"


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["credit", "calendar", *args])


def write(tmp_path: Path, doc) -> str:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_show_lists_every_year_with_its_status_and_source(clean_app) -> None:
    result = run(clean_app, "show")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2025  official") and "国办发明电〔2024〕12号" in lines[0]
    assert lines[1].startswith("2026  official") and "2025-11-04" in lines[1]
    assert lines[2].startswith("2027  provisional") and "第795号" in lines[2]
    assert lines[-1] == "deadlines can be counted up to 2027-12-31"
    year = run(clean_app, "show", "2027")
    assert year.exit_code == 0
    assert "2027: provisional (packaged)" in year.output
    assert "2027-02-05 .. 2027-02-08" in year.output and "make-up working days: none" in year.output
    missing = run(clean_app, "show", "2030")
    assert missing.exit_code == 1 and "2030" in missing.output


def test_load_an_example_year_then_show_it(clean_app) -> None:
    path = str(EXAMPLES / "workdays-2024.json")
    result = run(clean_app, "load", path)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["year"] == 2024 and answer["status"] == "official" and answer["changed"]
    assert answer["replaced"] is None and answer["revision"] == 1
    shown = run(clean_app, "show")
    assert shown.output.splitlines()[0].startswith("2024  official    loaded r1")
    assert "r1 official" in run(clean_app, "show", "2024").output
    # The same file again changes nothing.
    assert json.loads(run(clean_app, "load", path).output)["changed"] is False


def test_loading_the_official_year_lists_the_pending_deadlines_it_moves(
    clean_app, tmp_path
) -> None:
    from tests.parties import make_parties, make_violation, owner_identity

    with clean_app.app_context():
        parties = make_parties()
        clock.set_clock(lambda: datetime(2027, 9, 29, 2, tzinfo=UTC))
        try:
            from credit.uow import unit_of_work
            from credit.violations import workflow

            v = make_violation(parties)
            with unit_of_work() as uow:
                objection = workflow.file_objection(
                    owner_identity(parties.owner_uscc), uow, v.id, "事实认定有误", []
                )
            objection_id = objection.id
        finally:
            clock.set_clock(None)
    path = write(tmp_path, official_2027())
    dry = run(clean_app, "load", "--dry-run", path)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["dry_run"] is True
    with clean_app.app_context():  # nothing written
        assert calendar.get_calendar_year(SYSTEM, 2027).status == "provisional"
    result = run(clean_app, "load", path)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["replaced"] == "provisional (packaged)" and answer["pending_cases"] == 1
    assert answer["deadlines_changed"] == [
        {
            "kind": "objection",
            "id": objection_id,
            "before": "2027-10-07 provisional",
            "after": "2027-10-12",
        }
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["makeup_workdays"].append("2027-09-27"), "makeup_workdays.2: 2027-09-27"),
        (lambda d: d["holidays"][0].update(to="2028-01-01"), "holidays.0.to: 不在 2027 年内"),
        (lambda d: d.update(status="final"), "status: 须为 official 或 provisional"),
    ],
)
def test_a_bad_file_is_refused_with_each_problem_named(
    clean_app, tmp_path, change, expected
) -> None:
    doc = official_2027()
    change(doc)
    result = run(clean_app, "load", write(tmp_path, doc))
    assert result.exit_code == 2
    assert expected in result.output and "invalid calendar file" in result.output
    with clean_app.app_context():
        assert calendar.get_calendar_year(SYSTEM, 2027).origin == "packaged"


def test_a_file_that_is_not_json_is_refused(clean_app, tmp_path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text("2027年元旦：1月1日放假", encoding="utf-8")
    result = run(clean_app, "load", str(path))
    assert result.exit_code == 2 and "not a UTF-8 JSON file" in result.output


def test_an_official_year_is_only_downgraded_with_force(clean_app, tmp_path) -> None:
    assert run(clean_app, "load", write(tmp_path, official_2027())).exit_code == 0
    provisional = str(EXAMPLES / "workdays-2027-provisional.json")
    refused = run(clean_app, "load", provisional)
    assert refused.exit_code == 2 and "--force" in refused.output
    forced = run(clean_app, "load", "--force", provisional)
    assert forced.exit_code == 0 and json.loads(forced.output)["status"] == "provisional"
