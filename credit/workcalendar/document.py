"""One year of the working-day calendar as a document, and the checks it must pass.

The same format is shipped in ``credit/data/workdays_cn.json`` (a list under ``years``)
and loaded by ``flask --app wsgi credit calendar load FILE`` (one year per file)::

    {
      "year": 2027,
      "status": "official",                      # or "provisional"
      "source": {
        "title": "国务院办公厅关于2027年部分节假日安排的通知",
        "reference": "国办发明电〔2026〕N号",     # optional
        "published_on": "2026-11-10",            # required when official
        "url": "https://...",                    # optional
        "articles": "...",                       # optional: the articles relied on
        "note": "..."                            # optional
      },
      "holidays": [                              # days off, as the notice lists them
        {"name": "春节", "name_en": "Spring Festival",
         "from": "2027-02-05", "to": "2027-02-11", "basis": "..."}
      ],
      "makeup_workdays": ["2027-02-13"],         # 调休上班: weekend days worked
      "notes": "..."                             # optional
    }

A document is refused, with every problem named by its path (``holidays.2.to``), unless:
every date lies in its ``year``; no day is listed twice (holiday ranges do not overlap);
each make-up working day is a Saturday or Sunday and not also a holiday; the fixed-date
statutory holidays of 《全国年节及纪念日放假办法》 Art. 2 (1 January, 1-2 May, 1-3 October
from 2025) are days off; an official year names its notice and its publication date, which
is not in the future. Unknown keys are refused, as in every input of the platform.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from typing import Any

from credit.errors import FieldError, ValidationFailed
from credit.workdays import OFFICIAL, STATUSES, CalendarYear

#: The years a document may describe (a typo such as 2207 is caught here).
FIRST_YEAR, LAST_YEAR = 2000, 2099

_KEYS = {"year", "status", "source", "holidays", "makeup_workdays", "notes"}
_SOURCE_KEYS = {"title", "reference", "published_on", "url", "articles", "note"}
_HOLIDAY_KEYS = {"name", "name_en", "from", "to", "basis"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Fixed-date days off of 《全国年节及纪念日放假办法》 Art. 2, by the revision in force:
#: 2013 (国务院令第644号, from 2014-01-01) and 2024 (国务院令第795号, from 2025-01-01).
_STATUTORY_FIXED = (
    (2025, ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))),
    (2014, ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))),
)


def statutory_fixed_days(year: int) -> list[date]:
    """The fixed-date statutory holidays of ``year`` (lunar ones need a lunar calendar)."""
    for since, days in _STATUTORY_FIXED:
        if year >= since:
            return [date(year, m, d) for m, d in days]
    return []


def fingerprint(doc: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: the same document loaded twice is recognised."""
    canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, zh: str, en: str, code: str = "invalid") -> None:
        self.items.append(FieldError(path, f"{zh} / {en}", code))


def _text(doc: dict, key: str, path: str, errors: _Errors, *, required: bool, most: int) -> str:
    value = doc.get(key)
    if value is None:
        if required:
            errors.add(path, "必填", "required", "required")
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > most:
        errors.add(
            path, f"须为 1 至 {most} 个字符的文本", f"must be text of 1 to {most} characters"
        )
        return ""
    return value


def _date(value: Any, path: str, errors: _Errors) -> date | None:
    if not isinstance(value, str) or not _ISO.match(value):
        errors.add(path, "须为 YYYY-MM-DD 格式的日期", "must be a date written YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(path, "不是有效日期", "not a valid date")
        return None


def _unknown(doc: dict, allowed: set[str], prefix: str, errors: _Errors) -> None:
    for key in sorted(set(doc) - allowed):
        errors.add(f"{prefix}{key}", "未知字段", "unknown field", "unknown")


def parse_year(doc: Any, *, today: date | None = None) -> CalendarYear:
    """Check one year's document and return it as a :class:`CalendarYear`, or raise
    :class:`ValidationFailed` listing every problem. ``today`` bounds ``published_on``
    (a notice published in the future is a typo); None skips that check."""
    errors = _Errors()
    if not isinstance(doc, dict):
        errors.add(
            "_", "须为一个 JSON 对象（一年的放假安排）", "must be one JSON object (one year)"
        )
        raise ValidationFailed("工作日历文件有误 / invalid calendar file", errors.items)
    _unknown(doc, _KEYS, "", errors)

    year = doc.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors.add(
            "year",
            f"须为 {FIRST_YEAR} 至 {LAST_YEAR} 之间的年份",
            f"must be a year {FIRST_YEAR}-{LAST_YEAR}",
        )
        year = None
    status = doc.get("status")
    if status not in STATUSES:
        errors.add("status", "须为 official 或 provisional", "must be official or provisional")

    source = doc.get("source")
    published: date | None = None
    if not isinstance(source, dict):
        errors.add("source", "须为对象，至少含 title", "must be an object with at least a title")
        source = {}
    else:
        _unknown(source, _SOURCE_KEYS, "source.", errors)
        _text(source, "title", "source.title", errors, required=True, most=300)
        for key, most in (("reference", 100), ("url", 500), ("articles", 1000), ("note", 2000)):
            _text(source, key, f"source.{key}", errors, required=False, most=most)
        if source.get("published_on") is not None:
            published = _date(source["published_on"], "source.published_on", errors)
            if published and today and published > today:
                errors.add(
                    "source.published_on",
                    f"发布日期不能晚于今天（{today}）",
                    f"cannot be after today ({today})",
                )
            if published and year and published > date(year, 12, 31):
                errors.add(
                    "source.published_on",
                    f"不能晚于 {year} 年底",
                    f"cannot be after the end of {year}",
                )
        elif status == OFFICIAL:
            errors.add(
                "source.published_on",
                "正式安排须注明通知发布日期",
                "an official year names the date its notice was published",
                "required",
            )
    _text(doc, "notes", "notes", errors, required=False, most=4000)

    holidays: dict[date, int] = {}
    entries = doc.get("holidays")
    if not isinstance(entries, list) or not entries:
        errors.add("holidays", "须为非空列表", "must be a non-empty list")
        entries = []
    for i, entry in enumerate(entries):
        path = f"holidays.{i}"
        if not isinstance(entry, dict):
            errors.add(path, "须为对象（name、from、to）", "must be an object (name, from, to)")
            continue
        _unknown(entry, _HOLIDAY_KEYS, f"{path}.", errors)
        _text(entry, "name", f"{path}.name", errors, required=True, most=50)
        _text(entry, "name_en", f"{path}.name_en", errors, required=False, most=100)
        _text(entry, "basis", f"{path}.basis", errors, required=False, most=1000)
        first = _date(entry.get("from"), f"{path}.from", errors)
        last = _date(entry.get("to"), f"{path}.to", errors)
        if first is None or last is None:
            continue
        bad = False
        for key, day in (("from", first), ("to", last)):
            if year and day.year != year:
                errors.add(f"{path}.{key}", f"不在 {year} 年内", f"not in {year}", "wrong_year")
                bad = True
        if last < first:
            errors.add(f"{path}.to", "早于 from", "before from", "order")
            bad = True
        if bad or (last - first).days > 31:
            if not bad:
                errors.add(f"{path}.to", "一段假期不超过 31 天", "a break lasts 31 days at most")
            continue
        day = first
        while day <= last:
            if day in holidays:
                j = holidays[day]
                errors.add(
                    f"{path}.from",
                    f"{day} 已列于 holidays.{j}（假期不得重叠）",
                    f"{day} is already listed in holidays.{j} (breaks must not overlap)",
                    "overlap",
                )
                break
            holidays[day] = i
            day += timedelta(days=1)

    makeup: set[date] = set()
    listed = doc.get("makeup_workdays", [])
    if not isinstance(listed, list):
        errors.add("makeup_workdays", "须为日期列表", "must be a list of dates")
        listed = []
    for i, value in enumerate(listed):
        path = f"makeup_workdays.{i}"
        day = _date(value, path, errors)
        if day is None:
            continue
        if year and day.year != year:
            errors.add(path, f"不在 {year} 年内", f"not in {year}", "wrong_year")
        elif day.weekday() < 5:
            errors.add(
                path,
                f"{day} 不是周六或周日：调休上班日必须是周末",
                f"{day} is not a Saturday or Sunday: a make-up working day is a weekend day",
                "not_weekend",
            )
        elif day in holidays:
            errors.add(
                path,
                f"{day} 同时列为假日（holidays.{holidays[day]}）",
                f"{day} is also a holiday (holidays.{holidays[day]})",
                "overlap",
            )
        elif day in makeup:
            errors.add(path, f"{day} 重复", f"{day} is listed twice", "duplicate")
        makeup.add(day)

    if year and entries and not any(e.field.startswith("holidays.") for e in errors.items):
        missing = [d for d in statutory_fixed_days(year) if d not in holidays]
        if missing:
            days = "、".join(str(d) for d in missing)
            errors.add(
                "holidays",
                f"缺少《全国年节及纪念日放假办法》第二条规定的法定节假日：{days}",
                f"statutory holidays of Art. 2 of the national holiday measures missing: {days}",
                "statutory_missing",
            )

    if errors.items:
        raise ValidationFailed("工作日历文件有误 / invalid calendar file", errors.items)
    assert year is not None and isinstance(status, str)
    return CalendarYear(
        year=year,
        status=status,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        source=dict(source),
        document=doc,
    )
