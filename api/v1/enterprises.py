"""Public registry resources: one enterprise by USCC, and the filtered list."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api.auth import current_identity
from api.v1.common import Blueprint, PageMetaSchema, RegistryFilterArgs, page_body
from credit.enterprises import service
from credit.enterprises.schemas import PublicEnterpriseSchema

PREFIX = "/enterprises"
blp = Blueprint("enterprises", __name__, description="经营者登记信息 / enterprise registry")


class EnterprisePageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(PublicEnterpriseSchema))


@blp.route("/<string:uscc>")
@blp.response(200, PublicEnterpriseSchema)
@blp.alt_response(400, description="统一社会信用代码格式不正确 / malformed code")
@blp.alt_response(404, description="未登记 / not registered")
def get_enterprise(uscc: str) -> Any:
    """按统一社会信用代码查看经营者公开信息 / Public view of one enterprise"""
    return service.get_enterprise(current_identity(), uscc)


@blp.route("")
@blp.arguments(RegistryFilterArgs, location="query")
@blp.response(200, EnterprisePageSchema)
def list_enterprises(args: dict[str, Any]) -> Any:
    """经营者列表（按地市、行业筛选）/ Registry listing, filtered by city and industry"""
    page = service.list_enterprises(current_identity(), **args)
    return page_body(page, page.items)


