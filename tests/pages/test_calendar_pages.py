"""The consoles say in words when a due date is provisional or unknown (issue 15): the
regulator's queue, the case page and home, and the firm's own cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from credit import clock
from credit.clock import CHINA
from tests.pages.console_parties import page, sign_in, sign_out


def _set_day(day: date) -> None:
    moment = datetime.combine(day, time(10), CHINA).astimezone(UTC)
    clock.set_clock(lambda: moment)


@pytest.fixture
def cases(clean_app, cp):
    """Two objections: filed 29 Sep 2027 (due 7 Oct, provisional) and 28 Dec 2027 (due in
    2028, not in the calendar). The clock then stays on 28 Dec 2027."""
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from tests.parties import make_violation, owner_identity

    ids = []
    try:
        with clean_app.app_context():
            for day in (date(2027, 9, 29), date(2027, 12, 28)):
                _set_day(day)
                v = make_violation(cp.parties)
                with unit_of_work() as uow:
                    item = workflow.file_objection(
                        owner_identity(cp.owner_uscc), uow, v.id, "事实认定有误", []
                    )
                ids.append(item.id)
        yield ids
    finally:
        clock.set_clock(None)


def test_the_regulator_sees_provisional_and_unknown_due_dates_in_words(client, cases) -> None:
    provisional_id, unknown_id = cases
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/objections")
    assert "2027-10-07" in html and "暂定" in html and "2027 年放假安排未公布" in html
    assert "期限未知" in html and "2028 年工作日历未载入" in html
    # The unknown one is listed last, and its working days left are not made up.
    assert html.index("2027-10-07") < html.index("期限未知")
    assert "无法计算" in html
    home = page(client, "/console/regulator")
    assert "1 件期限未知" in home and "1 件期限暂定" in home
    case = page(client, f"/console/regulator/objections/{unknown_id}")
    assert "期限未知" in case and "已逾期" not in case
    case = page(client, f"/console/regulator/objections/{provisional_id}")
    assert "2027-10-07" in case and "暂定" in case and "已逾期" in case
    english = page(client, "/console/regulator/objections?lang=en")
    assert "provisional" in english and "calendar for 2028 not loaded" in english
    sign_out(client)


def test_the_firm_sees_its_provisional_and_unknown_due_dates(client, cases) -> None:
    sign_in(client, "firm-a")
    html = page(client, "/console/firm")
    assert "2027-10-07" in html and "暂定" in html
    assert "期限未知" in html and "2028 年工作日历未载入" in html
    sign_out(client)
