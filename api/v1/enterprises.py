"""Public registry resources: one enterprise by USCC, and the filtered list."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from api.auth import current_identity, public, require_scope
from api.v1.common import (
    Blueprint,
    PageMetaSchema,
    RegistryFilterArgs,
    etag_of,
    expected_version,
    page_body,
)
from credit.enterprises import service
from credit.enterprises.schemas import (
    EnterpriseContactSchema,
    EnterpriseProfilePatchSchema,
    PublicEnterpriseSchema,
)
from credit.uow import unit_of_work

PREFIX = "/enterprises"
blp = Blueprint("enterprises", __name__, description="经营者登记信息 / enterprise registry")


class EnterprisePageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(PublicEnterpriseSchema))


@blp.route("/<string:uscc>", methods=["GET"])
@public
@blp.response(200, PublicEnterpriseSchema, headers={"ETag": {"schema": {"type": "string"}}})
@blp.alt_response(400, description="统一社会信用代码格式不正确 / malformed code")
@blp.alt_response(404, description="未登记 / not registered")
def get_enterprise(uscc: str) -> Any:
    """按统一社会信用代码查看经营者公开信息 / Public view of one enterprise"""
    ent = service.get_enterprise(current_identity(), uscc)
    return ent, 200, {"ETag": etag_of(ent.version)}


@blp.route("/<string:uscc>", methods=["PATCH"])
@require_scope("enterprises:write")
@blp.arguments(EnterpriseProfilePatchSchema)
@blp.response(200, PublicEnterpriseSchema)
@blp.alt_response(412, description="版本已变更 / stale If-Match")
@blp.alt_response(428, description="缺少 If-Match / If-Match required")
def patch_enterprise(changes: dict[str, Any], uscc: str) -> Any:
    """更新本企业的店铺与联系方式（需 If-Match）/ Update own shops and contact data"""
    with unit_of_work() as uow:
        ent = service.update_enterprise_profile(
            current_identity(), uow, uscc, changes, expected_version()
        )
    return ent, 200, {"ETag": etag_of(ent.version)}


@blp.route("/<string:uscc>/contact", methods=["GET"])
@require_scope("enterprises:read")
@blp.response(200, EnterpriseContactSchema)
@blp.alt_response(404, description="不存在或无权查看 / unknown or not yours")
def get_contact(uscc: str) -> Any:
    """查看经营者联系方式（本企业或有管辖权的监管机关）/ Non-public contact data"""
    return service.get_enterprise_contact(current_identity(), uscc)


@blp.route("", methods=["GET"])
@public
@blp.arguments(RegistryFilterArgs, location="query")
@blp.response(200, EnterprisePageSchema)
def list_enterprises(args: dict[str, Any]) -> Any:
    """经营者列表（按地市、行业筛选）/ Registry listing, filtered by city and industry"""
    page = service.list_enterprises(current_identity(), **args)
    return page_body(page, page.items)
