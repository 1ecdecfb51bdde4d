"""The working-day calendar in force, and deadlines counted on it (public).

Each year says whether it is the State Council's notice (``official``) or only the
statutory holidays (``provisional``), and where it comes from. A deadline asked for past
the calendar is refused (409 naming the field), never guessed.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, public
from api.v1.common import Blueprint
from credit import dates
from credit.workcalendar import service

PREFIX = "/calendar"
blp = Blueprint("calendar", __name__, description="工作日历 / working-day calendar")


class DeadlineSchema(Schema):
    """A due date counted in working days: known or not, provisional or not."""

    due_date = fields.Date(
        allow_none=True,
        metadata={"description": "到期日；日历未覆盖时为 null / null when beyond the calendar"},
    )
    working_days = fields.Integer(attribute="workdays")
    known = fields.Boolean(metadata={"description": "日历覆盖到期日 / the calendar reaches it"})
    provisional = fields.Boolean(
        metadata={
            "description": "经过尚无国务院通知的年份，通知载入后可能变动 / counted through a "
            "year whose notice is not loaded yet: it may change"
        }
    )
    provisional_years = fields.List(fields.Integer())
    missing_year = fields.Integer(
        allow_none=True, metadata={"description": "未载入的年份 / the year not loaded"}
    )
    note = fields.Method("_note", allow_none=True)

    def _note(self, obj: Any) -> str | None:
        return obj.note or None


class HolidaySchema(Schema):
    name = fields.String()
    name_en = fields.String(allow_none=True)
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    basis = fields.String(allow_none=True)


class CalendarYearSchema(Schema):
    year = fields.Integer()
    status = fields.String(metadata={"description": "official | provisional"})
    provisional = fields.Boolean()
    origin = fields.String(metadata={"description": "packaged（随程序发布）| loaded（运营方载入）"})
    revision = fields.Integer(metadata={"description": "载入的版次；0 = 随程序发布"})
    source = fields.Dict()
    holidays = fields.Method("_holidays")
    makeup_workdays = fields.Method("_makeup")
    notes = fields.Method("_notes", allow_none=True)

    def _holidays(self, obj: Any) -> list[dict[str, Any]]:
        return HolidaySchema(many=True).dump(obj.document.get("holidays", []))

    def _makeup(self, obj: Any) -> list[str]:
        return sorted(d.isoformat() for d in obj.makeup_workdays)

    def _notes(self, obj: Any) -> str | None:
        return obj.document.get("notes")


class CalendarSchema(Schema):
    first_year = fields.Integer(allow_none=True)
    last_year = fields.Integer(
        allow_none=True,
        metadata={"description": "期限最远可算到该年年底 / deadlines reach the end of this year"},
    )
    years = fields.List(fields.Nested(CalendarYearSchema))


class DeadlineArgs(Schema):
    class Meta:
        unknown = RAISE

    start = dates.BoundedDate(
        dates.FILTER,
        required=True,
        data_key="from",
        metadata={"description": "起算日（不计入）/ the day counted from (not counted)"},
    )
    working_days = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=250),
        metadata={"description": "工作日数 / working days"},
    )


@blp.route("")
@public
@blp.response(200, CalendarSchema)
def calendar() -> Any:
    """工作日历（各年份：正式/暂定、来源）/ The working-day calendar, year by year"""
    years = service.list_calendar_years(current_identity())
    return {
        "first_year": years[0].year if years else None,
        "last_year": years[-1].year if years else None,
        "years": years,
    }


@blp.route("/<int:year>")
@public
@blp.response(200, CalendarYearSchema)
@blp.alt_response(404, description="该年份未载入 / year not in the calendar")
def calendar_year(year: int) -> Any:
    """某一年的放假安排 / One year's arrangement"""
    return service.get_calendar_year(current_identity(), year)


@blp.route("/deadline")
@public
@blp.arguments(DeadlineArgs, location="query")
@blp.response(200, DeadlineSchema)
@blp.alt_response(
    409, description="超出工作日历范围，errors 指明字段 / past the calendar, field named"
)
def deadline(args: dict[str, Any]) -> Any:
    """按工作日计算期限；超出日历范围则拒绝（409）/ A deadline in working days; refused
    past the calendar (409 naming the field)"""
    return service.compute_deadline(current_identity(), args["start"], args["working_days"])
