"""Input schemas for the key-enterprise list and reminders (the REST API, the CSV upload
and the department's console all load input with these)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate, validates_schema

from credit import dates
from credit.keyfirms.vocab import COVERAGE_STATES, categories
from credit.text import Text
from credit.uscc_field import UsccCode


class ListingInputSchema(Schema):
    """Add a firm to the list: which firm, in which category, why, for which period."""

    class Meta:
        unknown = RAISE

    uscc = UsccCode(required=True)
    category = Text(
        required=True,
        validate=validate.OneOf(list(categories())),
        metadata={"description": "类别代码，见 /api/v1/key-enterprises/categories"},
    )
    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))
    listed_from = dates.BoundedDate(dates.FILTER, required=True)
    listed_until = dates.BoundedDate(
        dates.STANDING_END,
        allow_none=True,
        metadata={"description": "列入期限（空：长期）/ end of the period (empty: open-ended)"},
    )

    @validates_schema
    def period_in_order(self, data: dict[str, Any], **_: Any) -> None:
        until = data.get("listed_until")
        if until is not None and "listed_from" in data and until < data["listed_from"]:
            raise ValidationError(
                "期限不能早于起始日期 / the period cannot end before it starts", "listed_until"
            )


class RemovalSchema(Schema):
    """Remove a firm from the list: the reason is required and kept in the history."""

    class Meta:
        unknown = RAISE

    reason = Text(required=True, multiline=True, validate=validate.Length(2, 1000))


class ReminderInputSchema(Schema):
    """Remind every listed firm (in the caller's jurisdiction, optionally narrowed) whose
    pledge coverage is missing, expired, withdrawn or breached."""

    class Meta:
        unknown = RAISE

    due_on = dates.BoundedDate(
        dates.STANDING_END,
        required=True,
        metadata={"description": "请于此日前公示承诺 / publish a pledge by this day"},
    )
    message = Text(multiline=True, validate=validate.Length(2, 1000))
    city = Text(validate=validate.Regexp(r"^32\d{2}00$"))
    category = Text(validate=validate.OneOf(list(categories())))


class ListFilterSchema(Schema):
    """Filters of the public list and the department's coverage view."""

    class Meta:
        unknown = RAISE

    city = Text(validate=validate.Regexp(r"^32\d{2}00$"))
    category = Text(validate=validate.OneOf(list(categories())))
    industry = Text(validate=validate.Length(1, 32))
    coverage = Text(validate=validate.OneOf(list(COVERAGE_STATES)))
