"""Input and output schemas of webhook endpoints (the REST API imports them from here)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from credit.enterprises.vocab import INDUSTRIES
from credit.regions import JIANGSU_CITIES
from credit.text import Text
from credit.uscc_field import UsccCode
from credit.webhooks.addresses import MAX_URL
from credit.webhooks.vocab import EVENT_TYPES

#: Firm codes one endpoint may filter on.
MAX_FILTER_FIRMS = 1000


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("不得重复 / no duplicates")


class FiltersSchema(Schema):
    """Each non-empty list narrows the events to firms it names (all lists must match)."""

    class Meta:
        unknown = RAISE

    usccs = fields.List(
        UsccCode(),
        load_default=list,
        validate=validate.Length(max=MAX_FILTER_FIRMS),
        metadata={"description": "只推送这些企业 / only these firms (USCC)"},
    )
    cities = fields.List(
        Text(validate=validate.OneOf(list(JIANGSU_CITIES))),
        load_default=list,
        validate=validate.Length(max=len(JIANGSU_CITIES)),
        metadata={"description": "设区市代码 / city codes (GB/T 2260)"},
    )
    industries = fields.List(
        Text(validate=validate.OneOf(list(INDUSTRIES))),
        load_default=list,
        validate=validate.Length(max=len(INDUSTRIES)),
        metadata={"description": "行业代码 / industry codes"},
    )


class EndpointInputSchema(Schema):
    """A new endpoint."""

    class Meta:
        unknown = RAISE

    url = Text(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL),
        metadata={"description": "接收地址：仅 http(s)，须为公网地址 / http(s), public only"},
    )
    event_types = fields.List(
        Text(validate=validate.OneOf(list(EVENT_TYPES))),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
        metadata={"description": "订阅的事件类型 / the event types wanted"},
    )
    filters = fields.Nested(FiltersSchema, load_default=dict)
    description = Text(load_default="", validate=validate.Length(max=200))

    @validates("event_types")
    def _distinct(self, value: list[str], **_: Any) -> None:
        _unique(value)


class EndpointUpdateSchema(Schema):
    """A change to an endpoint: the fields given replace the stored ones; ``enabled``
    true re-enables an endpoint the sender disabled (its failure record is cleared)."""

    class Meta:
        unknown = RAISE

    url = Text(validate=validate.Length(min=1, max=MAX_URL))
    event_types = fields.List(
        Text(validate=validate.OneOf(list(EVENT_TYPES))),
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    filters = fields.Nested(FiltersSchema)
    description = Text(validate=validate.Length(max=200))
    enabled = fields.Boolean()

    @validates("event_types")
    def _distinct(self, value: list[str], **_: Any) -> None:
        _unique(value)


class FiltersOutSchema(Schema):
    usccs = fields.List(fields.String())
    cities = fields.List(fields.String())
    industries = fields.List(fields.String())


class EndpointSchema(Schema):
    """An endpoint as its subscriber sees it (never its secret, except once at creation)."""

    id = fields.String()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    filters = fields.Nested(FiltersOutSchema)
    enabled = fields.Boolean()
    disabled_at = fields.DateTime(allow_none=True)
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "停用原因 / why it was disabled"}
    )
    failing_since = fields.DateTime(
        allow_none=True, metadata={"description": "连续失败起始 / failing since"}
    )
    consecutive_failures = fields.Integer()
    last_success_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class CreatedEndpointSchema(EndpointSchema):
    secret = fields.String(
        metadata={
            "description": "签名密钥（whsec_…），仅此一次显示 / the signing secret, shown once"
        }
    )


class DeliverySchema(Schema):
    id = fields.String()
    event_id = fields.String(metadata={"description": "webhook-id (msg_…)"})
    event_type = fields.String()
    status = fields.String(metadata={"description": "pending | delivered | failed"})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    last_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    payload = fields.Dict(metadata={"description": "推送内容 / the body sent"})
