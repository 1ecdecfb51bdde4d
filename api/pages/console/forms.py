"""Form handling for the consoles: read a posted form into the shape a service or input
schema expects, and turn validation errors (marshmallow's or a service's
``ValidationFailed``) into messages per field for the template."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import request
from marshmallow import Schema
from marshmallow import ValidationError as MaValidationError

from credit.errors import (
    Conflict,
    DomainError,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)

Errors = dict[str, list[str]]


_FRIENDLY = {
    "Missing data for required field.": "此项必填 (required)",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD (not a valid date)",
    "Not a valid number.": "应为数字 (not a valid number)",
    "Not a valid decimal.": "应为数字 (not a valid number)",
    "Not a valid boolean.": "请选择 (choose one)",
}


_PATTERNS = [
    (
        re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
        "长度应为 {0}–{1} 个字符 (length must be {0}–{1})",
    ),
    (
        re.compile(r"^Shorter than minimum length (\d+)\.$"),
        "至少 {0} 个字符或 {0} 项 (at least {0})",
    ),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "最多 {0} 个字符或 {0} 项 (at most {0})"),
    (re.compile(r"^Must be one of: .*$"), "请选择一项 (choose one of the options)"),
]


def friendly(text: str) -> str:
    """marshmallow's English messages in both languages, as the API's own are."""
    if text in _FRIENDLY:
        return _FRIENDLY[text]
    for pattern, template in _PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return text


#: Field names as the error summary shows them (the link goes to the field itself).
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "template_id": ("模板", "template"),
    "template": ("承诺书模板", "pledge template"),
    "repair_for": ("修复针对的记录", "record to repair"),
    "clauses": ("承诺条款", "clauses"),
    "extra_commitments": ("补充承诺", "further commitments"),
    "valid_from": ("有效期起", "valid from"),
    "valid_until": ("有效期至", "valid until"),
    "signer_name": ("签署人姓名", "signer's name"),
    "signer_title": ("签署人职务", "signer's title"),
    "consent_to_publish": ("同意公开", "consent to publish"),
    "reason": ("理由", "reason"),
    "reasons": ("异议理由", "reasons"),
    "attachments": ("证明材料", "documents"),
    "pledge_id": ("信用修复承诺", "repair pledge"),
    "statement": ("整改情况说明", "statement"),
    "violation": ("记录", "record"),
    "uscc": ("统一社会信用代码", "USCC"),
    "category": ("违法类别", "category"),
    "severity": ("失信等级", "severity"),
    "decision_number": ("决定书文号", "decision number"),
    "decision_date": ("决定日期", "decision date"),
    "conduct_date": ("违法行为发生之日", "day of the conduct"),
    "breach_reason": ("认定理由", "reason for the clauses"),
    "ground": ("移出依据", "ground"),
    "removed_on": ("移出日期", "removal date"),
    "facts": ("违法事实", "facts"),
    "legal_basis": ("法律依据", "legal basis"),
    "penalty_type": ("处罚种类", "penalty"),
    "penalty_amount": ("罚款金额", "fine"),
    "breached": ("违反的承诺条款", "clauses breached"),
    "field": ("更正的字段", "field"),
    "new_value": ("新值", "new value"),
    "new_category": ("新的违法类别", "new category"),
    "new_penalty_type": ("新的处罚种类", "new penalty type"),
    "accepted": ("决定", "decision"),
    "title": ("激励名称", "title"),
    "granted_on": ("授予日期", "granted on"),
}


def values(text_fields: Iterable[str] = (), list_fields: Iterable[str] = ()) -> dict[str, Any]:
    """What the user typed, as typed (to show the form again)."""
    out: dict[str, Any] = {name: request.form.get(name, "") for name in text_fields}
    out.update({name: request.form.getlist(name) for name in list_fields})
    return out


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _top(field: str) -> str:
    return str(field).split(".")[0] or "_"


def _flatten(messages: Any, field: str, out: Errors) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(value, field if isinstance(key, int) else (field or str(key)), out)
    elif isinstance(messages, list):
        for m in messages:
            _flatten(m, field, out)
    else:
        out.setdefault(_top(field or "_"), []).append(friendly(str(messages)))


def from_marshmallow(exc: MaValidationError) -> Errors:
    out: Errors = {}
    _flatten(exc.normalized_messages(), "", out)
    return out


def from_domain(exc: ValidationFailed) -> Errors:
    out: Errors = {}
    for e in exc.errors:
        out.setdefault(_top(e.field), []).append(e.message)
    if not out:
        out["_"] = [exc.detail]
    return out


#: The two kinds of "what the user typed is wrong": the input schema's and the service's.
INVALID = (MaValidationError, ValidationFailed)


def errors_of(exc: MaValidationError | ValidationFailed) -> Errors:
    """Per-field messages of either kind of validation error."""
    return from_marshmallow(exc) if isinstance(exc, MaValidationError) else from_domain(exc)


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Validate with the API's own input schema; empty optional strings count as absent.

    marshmallow skips whole-form checks (e.g. "until before from") while a field is wrong;
    they are run again without the wrong fields, so every problem is reported at once."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    try:
        return schema.load(cleaned)
    except MaValidationError as exc:
        messages = exc.normalized_messages()
        rest = {k: v for k, v in cleaned.items() if k not in messages}
        try:
            type(schema)(partial=True).load(rest)
        except MaValidationError as more:
            for key, value in more.normalized_messages().items():
                messages.setdefault(key, value)
        raise MaValidationError(messages) from None


# -- refusals: the request was understood but may not be done now --------------------------
#: What a console page catches besides bad input: the user may not do this (403), the
#: record's state forbids it (409), or someone changed it meanwhile (412/428). The page is
#: shown again with the reason, what to do next and everything typed; never a bare error page.
REFUSED = (PermissionDenied, Conflict, PreconditionFailed, PreconditionRequired)

#: The general next step per kind of refusal (a view may give a more precise one).
NEXT_STEP: dict[type[DomainError], tuple[str, str]] = {
    PermissionDenied: (
        "此操作不在您的权限范围内；如确需办理，请联系有权限的机关或本单位管理员。",
        "This is outside what your account may do; ask the competent authority or your "
        "administrator.",
    ),
    Conflict: (
        "记录的当前状态已不允许此操作；请查看本页显示的最新状态。",
        "The record's current state no longer allows this; see its current state on this page.",
    ),
    PreconditionFailed: (
        "有人在您打开页面后修改了这条记录；本页已显示最新内容，您填写的内容仍保留，核对后可重新提交。",
        "Someone changed this record after you opened the page; the page now shows the "
        "current version and keeps what you typed: check it and submit again.",
    ),
    PreconditionRequired: (
        "页面已过期；本页已重新载入，您填写的内容仍保留，请重新提交。",
        "The page was out of date; it is reloaded with what you typed kept: submit again.",
    ),
}


def status_of(exc: DomainError) -> int:
    """The HTTP status the API gives the same refusal (api/errors.py maps it once)."""
    from api.errors import status_of as api_status

    return api_status(exc)


def refusal(exc: DomainError, next_step: tuple[str, str] | None = None) -> tuple[Errors, int]:
    """A refusal as form errors (``_refused``: the reason; ``_next``: what to do next, as
    ``zh (en)``) and the status to answer with."""
    zh, en = next_step or next(
        (NEXT_STEP[c] for c in type(exc).__mro__ if c in NEXT_STEP), NEXT_STEP[Conflict]
    )
    errors: Errors = {"_refused": [exc.detail, *(e.message for e in exc.errors)]}
    errors["_refused"] = list(dict.fromkeys(errors["_refused"]))
    errors["_next"] = [f"{zh} ({en})"]
    return errors, status_of(exc)
