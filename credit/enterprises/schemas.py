"""Marshmallow schemas of the registry: one for input records, one for the public view.

Input rejects unknown and server-owned fields (id, version, timestamps, entity type and city,
which are derived from the USCC). Output decides what is public and masks natural persons.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from credit import dates
from credit import uscc as uscc_mod
from credit.enterprises.vocab import (
    INDUSTRIES,
    LEGAL_REP_KINDS,
    OPERATOR_TYPES,
    PLATFORMS,
    PLATFORMS_EN,
    STATUSES,
)
from credit.masking import mask_person_name
from credit.regions import city_name, district_name
from credit.text import Email, Text, Url

# Registry exports label values in Chinese; accept both the code and its Chinese label.
_LABEL_TO_CODE = {
    "operator_type": {zh: code for code, (zh, _en) in OPERATOR_TYPES.items()},
    "status": {
        **{zh: code for code, (zh, _en) in STATUSES.items()},
        "存续": "active",
        "在业": "active",
        "开业": "active",
        "在营": "active",
    },
    "industry": {zh: code for code, (zh, _en) in INDUSTRIES.items()},
    "legal_representative_kind": {
        "自然人": "natural_person",
        "法人": "organisation",
        "组织": "organisation",
    },
}
_PLATFORM_BY_NAME = {name: code for code, name in PLATFORMS.items()}


class ShopSchema(Schema):
    class Meta:
        unknown = RAISE

    platform = Text(required=True, validate=validate.OneOf(list(PLATFORMS)))
    shop_name = Text(required=True, validate=validate.Length(1, 200))
    url = Url(
        load_default=None,
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=500),
    )

    @pre_load
    def platform_label(self, data: Any, **_: Any) -> Any:
        platform = data.get("platform") if isinstance(data, dict) else None
        if isinstance(platform, str) and platform in _PLATFORM_BY_NAME:
            data = {**data, "platform": _PLATFORM_BY_NAME[data["platform"]]}
        return data


class EnterpriseRecordSchema(Schema):
    """One enterprise as an operator supplies it (CSV import, demo data)."""

    class Meta:
        unknown = RAISE

    uscc = Text(required=True)
    name = Text(required=True, validate=validate.Length(2, 200))
    former_names = fields.List(Text(validate=validate.Length(2, 200)), load_default=list)
    operator_type = Text(required=True, validate=validate.OneOf(list(OPERATOR_TYPES)))
    industry = Text(required=True, validate=validate.OneOf(list(INDUSTRIES)))
    registration_date = dates.BoundedDate(dates.REGISTRATION, load_default=None, allow_none=True)
    status = Text(load_default="active", validate=validate.OneOf(list(STATUSES)))
    legal_representative = Text(
        load_default=None, allow_none=True, validate=validate.Length(1, 100)
    )
    legal_representative_kind = Text(
        load_default="natural_person", validate=validate.OneOf(LEGAL_REP_KINDS)
    )
    district_code = Text(load_default=None, allow_none=True, validate=validate.Regexp(r"^32\d{4}$"))
    shops = fields.List(fields.Nested(ShopSchema), load_default=list)

    @pre_load
    def labels_to_codes(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, table in _LABEL_TO_CODE.items():
            value = data.get(key)
            if isinstance(value, str) and value.strip() in table:
                data[key] = table[value.strip()]
        if isinstance(data.get("uscc"), str):
            data["uscc"] = uscc_mod.normalize(data["uscc"])
        return data

    @validates("uscc")
    def valid_uscc(self, value: str, **_: Any) -> None:
        result = uscc_mod.check(value)
        if not result.valid:
            raise ValidationError([f.text for f in result.faults])
        if not result.in_jiangsu:
            raise ValidationError(
                "不是江苏省地市登记的统一社会信用代码（第 3-6 位应为 3201-3213）"
                " (not a code issued in a Jiangsu city: positions 3-6 must be 3201-3213)"
            )

    @post_load
    def derive(self, data: dict, **_: Any) -> dict:
        """Entity type and city come from the code itself; never from the input."""
        result = uscc_mod.check(data["uscc"])
        data["entity_type"] = result.entity_type
        data["city_code"] = result.city_code
        given = data.get("district_code")
        if given and given[:4] + "00" != result.city_code:
            raise ValidationError({"district_code": ["区县代码与信用代码中的地市不一致"]})
        # The code's own division digits may be historical: informational only.
        data["district_code"] = given or result.division_code
        return data


class EnterpriseProfilePatchSchema(Schema):
    """What an enterprise may change about itself: its shops and its contact data.

    Everything else (name, code, status ...) comes from the registration authority;
    sending it is an error, not silently ignored.
    """

    class Meta:
        unknown = RAISE

    shops = fields.List(fields.Nested(ShopSchema), validate=validate.Length(max=50))
    customer_service_phone = Text(
        allow_none=True,
        validate=validate.Regexp(r"^[0-9+\-() ]{5,32}$", error="电话号码格式不正确"),
    )
    customer_service_email = Email(allow_none=True, validate=validate.Length(max=254))

    @validates_schema
    def not_empty(self, data: dict, **_: Any) -> None:
        if not data:
            raise ValidationError("至少提供一个要修改的字段", "_schema")


class EnterpriseContactSchema(Schema):
    """Non-public contact data, for the enterprise itself and its regulators."""

    uscc = fields.String()
    name = fields.String()
    customer_service_phone = fields.String(allow_none=True)
    customer_service_email = fields.String(allow_none=True)
    version = fields.Integer()


def public_legal_representative(enterprise: Any) -> str | None:
    """A natural person's name is masked (张*明); an organisation's is public."""
    if enterprise.legal_representative_kind == "natural_person":
        return mask_person_name(enterprise.legal_representative)
    return enterprise.legal_representative


class PublicShopSchema(Schema):
    platform = fields.String()
    platform_name = fields.Function(lambda s: PLATFORMS.get(s.platform))
    platform_name_en = fields.Function(lambda s: PLATFORMS_EN.get(s.platform))
    shop_name = fields.String()
    url = fields.String(allow_none=True)


class PublicEnterpriseSchema(Schema):
    """What anyone may see of an enterprise. Natural persons' names are masked."""

    uscc = fields.String()
    name = fields.String()
    former_names = fields.List(fields.String())
    entity_type = fields.String()
    entity_type_name = fields.Function(lambda e: uscc_mod.ENTITY_TYPE_LABELS.get(e.entity_type))
    operator_type = fields.String()
    operator_type_name = fields.Function(lambda e: OPERATOR_TYPES[e.operator_type][0])
    city_code = fields.String()
    city_name = fields.Function(lambda e: city_name(e.city_code))
    district_code = fields.String(allow_none=True)
    district_name = fields.Function(lambda e: district_name(e.district_code))
    industry = fields.String()
    industry_name = fields.Function(lambda e: INDUSTRIES[e.industry][0])
    registration_date = fields.Date(allow_none=True)
    status = fields.String()
    status_name = fields.Function(lambda e: STATUSES[e.status][0])
    legal_representative = fields.Function(lambda e: public_legal_representative(e))
    shops = fields.List(fields.Nested(PublicShopSchema))
    version = fields.Integer()
    updated_at = fields.DateTime()
