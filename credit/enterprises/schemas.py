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

from credit import dates, weblinks
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
from credit.text import Email, Text

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


class ShopUrl(Text):
    """A shop's address: http(s) to a real domain name (credit.weblinks), normalised."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return weblinks.check_shop_url(text).url
        except weblinks.LinkError as exc:
            raise ValidationError(str(exc)) from None


class ShopSchema(Schema):
    """A shop as the registry import supplies it (its address may be unknown)."""

    class Meta:
        unknown = RAISE

    platform = Text(required=True, validate=validate.OneOf(list(PLATFORMS)))
    shop_name = Text(required=True, validate=validate.Length(1, 200))
    url = ShopUrl(load_default=None, allow_none=True)

    @pre_load
    def platform_label(self, data: Any, **_: Any) -> Any:
        platform = data.get("platform") if isinstance(data, dict) else None
        if isinstance(platform, str) and platform in _PLATFORM_BY_NAME:
            data = {**data, "platform": _PLATFORM_BY_NAME[data["platform"]]}
        return data


#: How many shops a firm may declare (the profile lists them all).
MAX_SHOPS = 10


class ShopDeclarationSchema(ShopSchema):
    """A shop the firm declares itself: platform, shop name and its http(s) address."""

    url = ShopUrl(required=True)


_PHONE = validate.Regexp(
    r"^\+?[0-9][0-9\- ()]{4,30}$",
    error="电话号码格式不正确（数字，可含 + - 空格和括号）/ not a phone number "
    "(digits, with + - spaces and brackets)",
)


class BusinessContactSchema(Schema):
    """The business contact a firm declares for its public profile.

    ``public`` must be given: the firm says in so many words whether the contact is shown
    to everyone (it may be a person's number; publishing it is the firm's decision)."""

    class Meta:
        unknown = RAISE

    phone = Text(load_default=None, allow_none=True, validate=_PHONE)
    email = Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = Text(load_default=None, allow_none=True, validate=validate.Length(1, 200))
    public = fields.Boolean(required=True)

    @validates_schema
    def something(self, data: dict, **_: Any) -> None:
        if not any(data.get(k) for k in ("phone", "email", "address")):
            raise ValidationError(
                "至少填写电话、邮箱或地址中的一项；要删除联系方式请传 null / give a phone, "
                "an e-mail or an address; send null to remove the contact",
                "_schema",
            )


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
    """What an enterprise may change about itself: its shops, its public business contact
    and its (non-public) customer-service contact.

    Everything else (name, code, status ...) comes from the registration authority;
    sending it is an error, not silently ignored.
    """

    class Meta:
        unknown = RAISE

    shops = fields.List(
        fields.Nested(ShopDeclarationSchema),
        validate=validate.Length(
            max=MAX_SHOPS,
            error=f"最多登记 {MAX_SHOPS} 家网店 / at most {MAX_SHOPS} shops",
        ),
    )
    business_contact = fields.Nested(BusinessContactSchema, allow_none=True)
    customer_service_phone = Text(
        allow_none=True,
        validate=validate.Regexp(r"^[0-9+\-() ]{5,32}$", error="电话号码格式不正确"),
    )
    customer_service_email = Email(allow_none=True, validate=validate.Length(max=254))

    @validates_schema
    def not_empty(self, data: dict, **_: Any) -> None:
        if not data:
            raise ValidationError("至少提供一个要修改的字段", "_schema")


class OwnBusinessContactSchema(Schema):
    """The business contact with its ``public`` flag (the firm and its regulators)."""

    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    public = fields.Boolean()


class EnterpriseContactSchema(Schema):
    """Non-public contact data, for the enterprise itself and its regulators."""

    uscc = fields.String()
    name = fields.String()
    customer_service_phone = fields.String(allow_none=True)
    customer_service_email = fields.String(allow_none=True)
    business_contact = fields.Nested(OwnBusinessContactSchema, allow_none=True)
    version = fields.Integer()


def public_legal_representative(enterprise: Any) -> str | None:
    """A natural person's name is masked (张*明); an organisation's is public."""
    if enterprise.legal_representative_kind == "natural_person":
        return mask_person_name(enterprise.legal_representative)
    return enterprise.legal_representative


def shop_host(shop: Any) -> str | None:
    """The host a shop's link goes to (ASCII form), for people to see before they click."""
    if not shop.url:
        return None
    try:
        return weblinks.check_shop_url(shop.url).host
    except weblinks.LinkError:
        return None  # stored before the rule: not shown as a link (see public_url)


def public_url(shop: Any) -> str | None:
    """A shop's URL if it may be printed as a link (it passes today's rule)."""
    return shop.url if shop_host(shop) else None


class PublicShopSchema(Schema):
    platform = fields.String()
    platform_name = fields.Function(lambda s: PLATFORMS.get(s.platform))
    platform_name_en = fields.Function(lambda s: PLATFORMS_EN.get(s.platform))
    shop_name = fields.String()
    url = fields.Function(public_url)
    host = fields.Function(shop_host)


class PublicBusinessContactSchema(Schema):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


def public_business_contact(enterprise: Any) -> Any:
    """The business contact, only while the firm has marked it public."""
    contact = enterprise.business_contact
    return contact if contact is not None and contact.public else None


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
    business_contact = fields.Method("_business_contact")
    version = fields.Integer()
    updated_at = fields.DateTime()

    def _business_contact(self, enterprise: Any) -> dict | None:
        contact = public_business_contact(enterprise)
        return PublicBusinessContactSchema().dump(contact) if contact is not None else None
