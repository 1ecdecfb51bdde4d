"""Webhooks (事件推送): a subscriber's endpoints, their deliveries and redelivery.

Thin handlers over ``credit.webhooks.service``; the sending is the worker's
(``credit.webhooks.sender``), never a web request's.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, require_scope
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, etag_of, expected_version
from credit.text import Text
from credit.uow import unit_of_work
from credit.webhooks import service
from credit.webhooks.addresses import parse_allow_hosts
from credit.webhooks.models import WebhookDelivery, WebhookEndpoint
from credit.webhooks.schemas import (
    CreatedEndpointSchema,
    DeliverySchema,
    EndpointInputSchema,
    EndpointSchema,
    EndpointUpdateSchema,
)

PREFIX = "/webhooks"
SCOPE = "webhooks:manage"
blp = Blueprint("webhooks", __name__, description="事件推送 / webhooks")

_NOT_FOUND = "不存在或不属于本订阅方 / unknown, or another subscriber's"


class RedeliverSchema(Schema):
    class Meta:
        unknown = RAISE


class EndpointListSchema(Schema):
    items = fields.List(fields.Nested(EndpointSchema))


class DeliveryArgs(PageArgs):
    status = Text(
        validate=validate.OneOf(list(service.DELIVERY_STATES)),
        metadata={"description": "pending | delivered | failed"},
    )


class DeliveryPageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(DeliverySchema))


def _allow_hosts() -> frozenset[str]:
    return parse_allow_hosts(current_app.config["CREDIT_WEBHOOK_ALLOW_HOSTS"])


def _body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "filters": {
            "usccs": endpoint.filter_usccs,
            "cities": endpoint.filter_cities,
            "industries": endpoint.filter_industries,
        },
        "enabled": endpoint.enabled,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "consecutive_failures": endpoint.consecutive_failures,
        "last_success_at": endpoint.last_success_at,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
        "version": endpoint.version,
    }


def _location(endpoint_id: str) -> str:
    return f"/api/v1{PREFIX}/{endpoint_id}"


@blp.route("", methods=["POST"])
@require_scope(SCOPE)
@blp.arguments(EndpointInputSchema)
@blp.response(201, CreatedEndpointSchema)
@blp.alt_response(400, description="地址或事件类型不可用 / the URL or an event type is refused")
@blp.alt_response(409, description="推送地址数已达上限 / too many endpoints")
def create_endpoint(data: dict[str, Any]) -> Any:
    """登记推送地址；签名密钥仅在此次应答中返回 / Register an endpoint; the signing secret
    is in this answer only"""
    with unit_of_work(keep_loaded=True) as uow:
        issued = service.create_endpoint(current_identity(), uow, data, _allow_hosts())
    endpoint = issued.endpoint
    body = {**_body(endpoint), "secret": issued.secret}
    return body, 201, {"Location": _location(endpoint.id), "ETag": etag_of(endpoint.version)}


@blp.route("", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, EndpointListSchema)
def list_endpoints() -> Any:
    """本订阅方的推送地址 / The caller's endpoints"""
    return {"items": [_body(e) for e in service.list_endpoints(current_identity())]}


@blp.route("/<string:endpoint_id>", methods=["GET"])
@require_scope(SCOPE)
@blp.response(200, EndpointSchema)
@blp.alt_response(404, description=_NOT_FOUND)
def get_endpoint(endpoint_id: str) -> Any:
    """一个推送地址（含停用原因）/ One endpoint, with why it was disabled if it was"""
    endpoint = service.get_endpoint(current_identity(), endpoint_id)
    return _body(endpoint), 200, {"ETag": etag_of(endpoint.version)}


@blp.route("/<string:endpoint_id>", methods=["PATCH"])
@require_scope(SCOPE)
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
@blp.alt_response(404, description=_NOT_FOUND)
@blp.alt_response(412, description="版本已变更 / changed since read")
@blp.alt_response(428, description="需要 If-Match / If-Match required")
def update_endpoint(data: dict[str, Any], endpoint_id: str) -> Any:
    """修改推送地址（需 If-Match）；enabled=true 重新启用 / Change an endpoint (If-Match);
    enabled=true re-enables it"""
    with unit_of_work(keep_loaded=True) as uow:
        endpoint = service.update_endpoint(
            current_identity(), uow, endpoint_id, data, expected_version(), _allow_hosts()
        )
    return _body(endpoint), 200, {"ETag": etag_of(endpoint.version)}


@blp.route("/<string:endpoint_id>", methods=["DELETE"])
@require_scope(SCOPE)
@blp.response(204)
@blp.alt_response(404, description=_NOT_FOUND)
def delete_endpoint(endpoint_id: str) -> Any:
    """删除推送地址及其投递记录 / Delete an endpoint and its deliveries"""
    with unit_of_work() as uow:
        service.delete_endpoint(current_identity(), uow, endpoint_id)
    return None


@blp.route("/<string:endpoint_id>/deliveries", methods=["GET"])
@require_scope(SCOPE)
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, DeliveryPageSchema)
@blp.alt_response(404, description=_NOT_FOUND)
def list_deliveries(args: dict[str, Any], endpoint_id: str) -> Any:
    """投递记录（最新在前）/ The endpoint's deliveries, newest first"""
    page = service.list_deliveries(
        current_identity(), endpoint_id, args["page"], args["size"], args.get("status")
    )
    return {
        "items": page.items,
        "page": page.page,
        "size": page.size,
        "total": page.total,
        "pages": page.pages,
    }


@blp.route("/<string:endpoint_id>/deliveries/<string:delivery_id>/redeliver", methods=["POST"])
@require_scope(SCOPE)
@blp.arguments(RedeliverSchema)
@blp.response(202, DeliverySchema)
@blp.alt_response(404, description=_NOT_FOUND)
@blp.alt_response(409, description="推送地址已停用 / the endpoint is disabled")
def redeliver(_: dict[str, Any], endpoint_id: str, delivery_id: str) -> Any:
    """重新投递（同一消息编号，由后台进程发送）/ Send a delivery again (the same message id;
    the worker sends it)"""
    with unit_of_work(keep_loaded=True) as uow:
        delivery: WebhookDelivery = service.redeliver(
            current_identity(), uow, endpoint_id, delivery_id
        )
    return delivery
