"""The input rules themselves: control characters (``credit.text``), bounded JSON
(``api.inputs``), and that every input schema uses the checked text fields."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from marshmallow import RAISE, Schema, ValidationError, fields

import api
import credit
from api import inputs
from credit.text import Email, Text, Url, bad_character, text_value


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800", "\udfff"])
def test_control_characters_and_lone_surrogates_are_refused(char: str) -> None:
    for multiline in (False, True):
        with pytest.raises(ValidationError, match="控制字符"):
            Text(multiline=multiline).deserialize(f"张{char}三")


def test_tab_cr_lf_only_in_multiline_text() -> None:
    for char in "\t\r\n":
        with pytest.raises(ValidationError):
            Text().deserialize(f"第一行{char}第二行")
        assert Text(multiline=True).deserialize(f"第一行{char}第二行") == f"第一行{char}第二行"


def test_ordinary_text_passes_and_the_position_is_reported() -> None:
    assert (
        Text().deserialize("苏州 Wang 记（集团）·服饰 有限公司")
        == "苏州 Wang 记（集团）·服饰 有限公司"
    )
    assert bad_character("ab\x00c") == (2, "U+0000")
    assert bad_character("正常文本") is None
    with pytest.raises(ValidationError, match="U\\+0000"):
        Email().deserialize("a\x00@example.com")
    with pytest.raises(ValidationError, match="U\\+0000"):
        Url().deserialize("https://example.com/\x00")
    with pytest.raises(ValidationError):
        text_value("事实\x00")
    text_value(12.5)  # a number passes through a Raw field untouched
    text_value("多行\n文本")


def test_json_nesting_is_bounded_and_deep_input_never_recurses() -> None:
    ok = "[" * inputs.MAX_JSON_DEPTH + "]" * inputs.MAX_JSON_DEPTH
    assert inputs.loads(ok.encode()) is not None
    too_deep = "[" * (inputs.MAX_JSON_DEPTH + 1) + "]" * (inputs.MAX_JSON_DEPTH + 1)
    for body in (too_deep, '{"a":' * 40 + "1" + "}" * 40, "[" * 100_000 + "]" * 100_000):
        with pytest.raises(inputs.BodyError) as caught:
            inputs.loads(body.encode())
        assert [(e.field, e.code) for e in caught.value.errors] == [("body", "too_deep")]


def test_json_text_is_checked_per_path_and_must_be_utf8() -> None:
    body = json.dumps({"signer_name": "张\x00三", "extra": ["ok", "b\x01"], "k\x00": 1})
    with pytest.raises(inputs.BodyError) as caught:
        inputs.loads(body.encode())
    assert sorted(e.field for e in caught.value.errors) == ["extra.1", "k\\u0000", "signer_name"]
    assert inputs.loads(json.dumps({"reason": "第一行\n第二行\t。"}).encode())
    with pytest.raises(inputs.BodyError) as caught:
        inputs.loads('{"name": "\xe9"}'.encode("latin-1"))
    assert caught.value.errors[0].code == "encoding"
    with pytest.raises(json.JSONDecodeError):
        inputs.loads(b"{not json")


def _modules(package) -> None:
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


#: Fields that take structured input loaded again by another (checked) schema.
LOADED_LATER = {("BatchSchema", "items")}


def _unchecked(schema: type[Schema]) -> list[str]:
    found = []

    def visit(name: str, field: fields.Field) -> None:
        if isinstance(field, fields.List):
            visit(name, field.inner)
        elif isinstance(field, fields.String) and not isinstance(field, Text | Email | Url):
            found.append(name)
        elif isinstance(field, fields.Raw) and type(field) is fields.Raw:
            if text_value not in field.validators:
                found.append(name)
        elif isinstance(field, fields.Dict) and (schema.__name__, name) not in LOADED_LATER:
            found.append(name)

    for name, field in schema._declared_fields.items():
        visit(name, field)
    return found


def test_every_input_schema_checks_its_text() -> None:
    """An input schema (one that refuses unknown fields) takes text only through
    ``credit.text`` fields, so a new field cannot forget the control-character rule."""
    _modules(credit)
    _modules(api)
    schemas = [
        s
        for s in _subclasses(Schema)
        if s.__module__.startswith(("api.", "credit."))
        and getattr(s.Meta, "unknown", None) == RAISE
    ]
    assert len(schemas) > 20  # the walk found them (pledges, violations, search args ...)
    unchecked = {f"{s.__module__}.{s.__name__}": _unchecked(s) for s in schemas}
    assert {k: v for k, v in unchecked.items() if v} == {}
