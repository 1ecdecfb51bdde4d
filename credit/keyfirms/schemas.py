"""Input schemas for the key-enterprise list and reminders (the REST API, the CSV upload
and the department's console all load input with these)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from credit import dates
from credit.keyfirms.vocab import COVERAGE_STATES, categories
from credit.regions import city_name
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


# -- output ------------------------------------------------------------------------------
def _category_label(code: str, lang: int) -> str:
    c = categories().get(code)
    return (c.zh if lang == 0 else c.en) if c else code


class RowSchema(Schema):
    """One listed firm on the public list: public registry data, the category, the period
    and the coverage state in words (never who added it or why: that is the department's)."""

    uscc = fields.Function(lambda r: r.enterprise.uscc)
    name = fields.Function(lambda r: r.enterprise.name)
    city_code = fields.Function(lambda r: r.enterprise.city_code)
    city_name = fields.Function(lambda r: city_name(r.enterprise.city_code))
    industry = fields.Function(lambda r: r.enterprise.industry)
    category = fields.Function(lambda r: r.listing.category)
    category_zh = fields.Function(lambda r: _category_label(r.listing.category, 0))
    category_en = fields.Function(lambda r: _category_label(r.listing.category, 1))
    listed_from = fields.Function(lambda r: r.listing.listed_from.isoformat())
    listed_until = fields.Function(
        lambda r: r.listing.listed_until.isoformat() if r.listing.listed_until else None
    )
    coverage = fields.Function(
        lambda r: r.state,
        metadata={"description": " | ".join(COVERAGE_STATES)},
    )
    coverage_zh = fields.Function(lambda r: COVERAGE_STATES[r.state][0])
    coverage_en = fields.Function(lambda r: COVERAGE_STATES[r.state][1])
    covered = fields.Function(lambda r: r.covered)
    profile = fields.Function(lambda r: f"/enterprises/{r.enterprise.uscc}")


class DepartmentRowSchema(RowSchema):
    """The department's view adds the listing's id, reason and who added it."""

    listing_id = fields.Function(lambda r: r.listing.id)
    reason = fields.Function(lambda r: r.listing.reason)
    added_by = fields.Function(lambda r: r.listing.added_by)


class CountSchema(Schema):
    code = fields.String()
    label = fields.String()
    total = fields.Integer()
    covered = fields.Integer()


class FiguresSchema(Schema):
    total = fields.Integer()
    covered = fields.Integer()
    rate = fields.Float(metadata={"description": "covered / total (0 when none listed)"})
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_city = fields.Method("_cities")
    by_category = fields.Method("_categories")
    by_industry = fields.Method("_industries")

    def _rows(self, counts: dict[str, list[int]], label: Any) -> list[dict[str, Any]]:
        return [
            {"code": k, "label": label(k), "total": v[0], "covered": v[1]}
            for k, v in sorted(counts.items())
        ]

    def _cities(self, f: Any) -> list[dict[str, Any]]:
        return self._rows(f.by_city, lambda c: city_name(c) or c)

    def _categories(self, f: Any) -> list[dict[str, Any]]:
        return self._rows(f.by_category, lambda c: _category_label(c, 0))

    def _industries(self, f: Any) -> list[dict[str, Any]]:
        from credit.enterprises.vocab import INDUSTRIES

        return self._rows(f.by_industry, lambda c: INDUSTRIES.get(c, (c,))[0])


class ListingSchema(Schema):
    """A listing as stored (the department's answer to add and remove)."""

    id = fields.String()
    uscc = fields.Function(lambda x: x.enterprise.uscc)
    name = fields.Function(lambda x: x.enterprise.name)
    category = fields.String()
    reason = fields.String()
    listed_from = fields.Date()
    listed_until = fields.Date(allow_none=True)
    added_by = fields.String()
    created_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True)
    removed_by = fields.String(allow_none=True)
    removal_reason = fields.String(allow_none=True)
    version = fields.Integer()


class HistorySchema(Schema):
    listing_id = fields.String()
    action = fields.String()
    category = fields.String()
    reason = fields.String()
    actor = fields.String()
    source = fields.String()
    occurred_at = fields.DateTime()


class ReminderSchema(Schema):
    id = fields.String()
    uscc = fields.Method("_uscc")
    category = fields.String()
    state = fields.String()
    required_pledge_types = fields.List(fields.String())
    due_on = fields.Date()
    message = fields.String()
    created_at = fields.DateTime()

    def _uscc(self, r: Any) -> str | None:
        from credit.enterprises.models import Enterprise
        from credit.extensions import db

        ent = db.session.get(Enterprise, r.enterprise_id)
        return ent.uscc if ent else None
