"""The packaged calendar checked against sources independent of it.

- 2027 (provisional): the dates of 《全国年节及纪念日放假办法》 Art. 2 (2024 revision) are
  recomputed from the lunar calendar with two libraries (lunardate, lunar-python): 除夕 and
  正月初一 to 初三, 端午 (5th month, 5th day), 中秋 (8th month, 15th day), and the Qingming
  solar term; the fixed dates from the article itself.
- 2025 and 2026 (official): every day of the year agrees with chinese-calendar, a library
  that transcribes the State Council's notices, on working day or not.

The libraries are test dependencies only: the dates live in the data file, so nothing at
run time depends on them.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from lunar_python import Lunar
from lunardate import LunarDate

from credit.workcalendar import store


def _lunar(year: int, month: int, day: int) -> date:
    a = LunarDate(year, month, day).to_solar_date()
    solar = Lunar.fromYmd(year, month, day).getSolar()
    b = date(solar.getYear(), solar.getMonth(), solar.getDay())
    assert a == b, f"the two lunar libraries disagree on {year}-{month}-{day}: {a} vs {b}"
    return a


def _qingming(year: int) -> date:
    solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def statutory_holidays_2024_measures(year: int) -> set[date]:
    """Art. 2 of the measures as revised on 2024-11-10 (in force 2025-01-01)."""
    new_year = _lunar(year, 1, 1)
    return {
        date(year, 1, 1),  # (一) 元旦
        new_year - timedelta(days=1),  # (二) 春节：除夕
        new_year,  # 正月初一
        new_year + timedelta(days=1),  # 初二
        new_year + timedelta(days=2),  # 初三
        _qingming(year),  # (三) 清明当日
        date(year, 5, 1),  # (四) 劳动节 5月1日、2日
        date(year, 5, 2),
        _lunar(year, 5, 5),  # (五) 端午
        _lunar(year, 8, 15),  # (六) 中秋
        date(year, 10, 1),  # (七) 国庆节 10月1日至3日
        date(year, 10, 2),
        date(year, 10, 3),
    }


def test_2027_holidays_are_the_statutory_days_of_the_2024_measures() -> None:
    expected = statutory_holidays_2024_measures(2027)
    assert len(expected) == 13
    assert store.packaged_years()[2027].holidays == expected


def test_the_lunar_dates_the_data_file_names() -> None:
    assert _lunar(2027, 1, 1) == date(2027, 2, 6)  # 春节 (正月初一), as the issue says
    assert _lunar(2027, 1, 1) - timedelta(days=1) == date(2027, 2, 5)  # 除夕
    assert _lunar(2027, 5, 5) == date(2027, 6, 9)
    assert _lunar(2027, 8, 15) == date(2027, 9, 15)
    assert _qingming(2027) == date(2027, 4, 5)


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_years_agree_day_by_day_with_chinese_calendar(year: int) -> None:
    cal = store.packaged_calendar()
    day, disagreements = date(year, 1, 1), []
    while day.year == year:
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_years_contain_the_statutory_days(year: int) -> None:
    assert statutory_holidays_2024_measures(year) <= store.packaged_years()[year].holidays
