"""Rows of the national penalty format (双公示) read into the platform's records.

A regulator's case system exports its administrative penalties as CSV (UTF-8, with or
without BOM, or GB18030 as many real exports are), XLSX or JSON, with the standard columns
(``credit.exchange.penalties.COLUMNS``; older names such as CF_CFLB1 or CF_XZJG too, case
ignored, the Chinese column names as well). Each row becomes a violation recorded by the
uploading authority exactly as ``POST /api/v1/violations`` would record it, with the same
checks; the mapping of the format's words onto the platform's categories, penalty types
and severities is data (``credit/data/penalty_exchange.json``).

Idempotent by decision number (决定书文号) per authority: a row whose record exists is
``unchanged`` when it says the same, ``updated`` when only correctable fields differ (each
change appended as a correction, as the correction endpoint does), and ``refused`` when it
names another firm, date or severity (revoke and record again). Every row is its own unit
of work: a refused row changes nothing, and the good rows of a file are kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from credit import uscc as uscc_mod
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.errors import DomainError, FieldError, ValidationFailed
from credit.exchange.penalties import COLUMNS
from credit.extensions import db
from credit.identity import Identity, IdentityKind
from credit.permissions import require
from credit.uow import unit_of_work
from credit.violations import registry
from credit.violations import service as violations
from credit.violations.models import Violation
from credit.violations.schemas import ViolationInputSchema
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES

#: Most rows one upload may hold.
ROW_LIMIT = 10_000
#: Longest cell read (a long 违法事实 is a few thousand characters).
CELL_LIMIT = 8_000

CSV, JSON, XLSX = (
    "text/csv",
    "application/json",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
MEDIA_TYPES = (CSV, JSON, XLSX)

#: Columns a row cannot do without.
REQUIRED = ("CF_XDR_SHXYM", "CF_WSH", "CF_JDRQ", "CF_CFLB", "CF_SY", "CF_YJ", "CF_CFJG")

#: Which column a field of the violation input comes from (to name it in an error).
SOURCE_COLUMN = {
    "uscc": "CF_XDR_SHXYM",
    "category": "CF_WFXW",
    "severity": "CF_SXYZCD",
    "decision_number": "CF_WSH",
    "legal_basis": "CF_YJ",
    "facts": "CF_SY",
    "penalty_type": "CF_CFLB",
    "penalty_amount": "CF_NR_FK",
    "decision_date": "CF_JDRQ",
}

CORRECTION_REASON = "按行政处罚双公示数据导入更正 / corrected by a penalty-format import"


@cache
def rules() -> dict[str, Any]:
    """The mapping table (``credit/data/penalty_exchange.json``)."""
    text = resources.files("credit").joinpath("data/penalty_exchange.json").read_text("utf-8")
    return json.loads(text)


@cache
def _header_names() -> dict[str, str]:
    """Every accepted header (upper-cased code, alias or Chinese name) -> its column."""
    names = {c.code: c.code for c in COLUMNS}
    names.update({c.name: c.code for c in COLUMNS})
    names.update({k.upper(): v for k, v in rules()["column_aliases"].items()})
    return names


OUTCOMES = ("created", "updated", "unchanged", "refused")


@dataclass
class RowResult:
    row: int
    outcome: str  # created | unchanged | updated | refused
    decision_number: str = ""
    violation_id: str | None = None
    errors: list[FieldError] = field(default_factory=list)


def outcome_counts(results: list[RowResult]) -> dict[str, int]:
    """How many rows had each outcome (every outcome named, 0 when none)."""
    return {o: sum(1 for r in results if r.outcome == o) for o in OUTCOMES}


@dataclass
class Upload:
    """The rows of a file, each with its number in the file (the header is row 1 of a
    CSV or sheet; a JSON list counts from 1), and the columns nobody reads."""

    rows: list[tuple[int, dict[str, str]]]
    ignored_columns: list[str]


def _refuse(message: str, field_name: str = "file", code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field_name, message, code)])


def _text(value: Any) -> str:
    """A cell as text: dates as YYYY-MM-DD, numbers without float noise."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value).strip()[:CELL_LIMIT]


def _columns(headers: Iterable[Any]) -> tuple[list[str | None], list[str]]:
    known, ignored, out = _header_names(), [], []
    for h in headers:
        name = _text(h).lstrip("\ufeff").strip()
        code = known.get(name.upper()) or known.get(name)
        out.append(code)
        if code is None and name:
            ignored.append(name)
    return out, ignored


def _rows_of(header: list[Any], body: Iterable[Iterable[Any]], first: int) -> Upload:
    columns, ignored = _columns(header)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValidationFailed(
            "缺少必需的列 / required columns are missing",
            [FieldError(c, f"缺少列 {c} / column missing", "missing_column") for c in missing],
        )
    rows = []
    for n, cells in enumerate(body, start=first):
        row: dict[str, str] = {}
        for code, cell in zip(columns, cells, strict=False):
            if code is None:
                continue
            value = _text(cell)
            if code == "CF_CFLB" and row.get(code) and value:
                row[code] = f"{row[code]};{value}"  # CF_CFLB1 and CF_CFLB2 together
            elif value or code not in row:
                row[code] = value
        if any(row.values()):
            rows.append((n, row))
            if len(rows) > ROW_LIMIT:
                raise _refuse(
                    f"一次最多导入 {ROW_LIMIT} 行 / at most {ROW_LIMIT} rows",
                    "file",
                    "too_many_rows",
                )
    return Upload(rows, ignored)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise _refuse(
                "文件编码无法识别（应为 UTF-8 或 GB18030）/ not UTF-8 or GB18030"
            ) from None


def read_upload(data: bytes, media_type: str) -> Upload:
    """The rows of an uploaded file of ``media_type`` (one of ``MEDIA_TYPES``)."""
    if not data.strip():
        raise _refuse("文件为空 / the file is empty", "file", "empty")
    if media_type == CSV:
        text = _decode(data)
        try:
            table = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise _refuse(f"CSV 格式有误 / malformed CSV: {exc}") from None
        return _rows_of(table[0], table[1:], 2)
    if media_type == JSON:
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):
            raise _refuse("不是有效的 JSON / not valid JSON") from None
        items = parsed.get("items") if isinstance(parsed, dict) else parsed
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _refuse("JSON 应为对象数组，或含 items 数组的对象 / a list of objects expected")
        header = list(dict.fromkeys(k for item in items for k in item))
        return _rows_of(header, ([item.get(k) for k in header] for item in items), 1)
    if media_type == XLSX:
        return _read_xlsx(data)
    raise _refuse(f"不支持的文件类型 / unsupported media type: {media_type}", "file", "media_type")


def _read_xlsx(data: bytes) -> Upload:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _refuse("不是有效的 XLSX 文件 / not a valid XLSX file") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_row=ROW_LIMIT + 2)
        header = next(rows, None)
        if header is None:
            raise _refuse("工作表为空 / the sheet is empty", "file", "empty")
        return _rows_of(list(header), rows, 2)
    finally:
        book.close()


# -- a row as a violation ------------------------------------------------------------


def _match(text: str, table: Iterable[tuple[str, list[str]]]) -> str | None:
    for key, words in table:
        if any(w in text for w in words):
            return key
    return None


def category_of(row: dict[str, str]) -> str:
    """违法行为类型 as the platform's category: its name, else its words, else the legal
    basis's words; 其他 (other) when nothing says."""
    said = row.get("CF_WFXW", "")
    for code, (zh, en) in CATEGORIES.items():
        if said in (zh, en, code):
            return code
    table = list(rules()["categories"].items())
    return _match(said, table) or _match(row.get("CF_YJ", ""), table) or "other"


def _penalty_kinds(said: str) -> list[str]:
    names = {zh: code for code, (zh, _en) in PENALTY_TYPES.items()}
    kinds = []
    for part in said.replace("；", ";").replace("、", ";").replace(",", ";").split(";"):
        part = part.strip()
        kind = names.get(part) or (part if part in PENALTY_TYPES else None)
        kind = kind or _match(part, rules()["penalty_types"])
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds or ["other"]


def _wan(text: str) -> Decimal | None:
    """An amount in 万元 as 元; None when empty or zero."""
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "")) * 10_000
    except InvalidOperation:
        raise ValueError(text) from None
    return value.quantize(Decimal("0.01")) if value else None


def _date(text: str) -> str:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text  # the schema says what is wrong with it


_SCHEMA = ViolationInputSchema()


def to_input(row: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The body ``POST /api/v1/violations`` would take for this row, and what is wrong
    with the row (errors name the row's columns)."""
    errors: list[FieldError] = []
    kinds = _penalty_kinds(row.get("CF_CFLB", ""))
    try:
        fine, confiscated = _wan(row.get("CF_NR_FK", "")), _wan(row.get("CF_NR_WFFF", ""))
    except ValueError as exc:
        errors.append(FieldError("CF_NR_FK", f"金额无效 / not an amount: {exc}", "invalid"))
        fine = confiscated = None
    # The record holds one penalty: the one with a sum when the row has one, else the
    # gravest it names (the table's order).
    if fine is not None and confiscated is not None:
        errors.append(
            FieldError(
                "CF_NR_WFFF",
                "平台每条记录只载一种处罚金额：请分行或经接口录入 / the platform records one "
                "penalty sum per record: split the row or record it through the API",
                "two_sums",
            )
        )
    if "fine" in kinds and fine is not None:
        kind, amount = "fine", fine
    elif "confiscation" in kinds and confiscated is not None:
        kind, amount = "confiscation", confiscated
    else:
        kind = kinds[0]
        amount = fine if kind == "fine" else confiscated if kind == "confiscation" else None
        stray = (
            "CF_NR_FK" if fine is not None else "CF_NR_WFFF" if confiscated is not None else None
        )
        if stray and amount is None:
            name = PENALTY_TYPES[kind][0]
            errors.append(
                FieldError(
                    stray,
                    f"处罚类别“{name}”不带金额（行政处罚法第九条）/ a {PENALTY_TYPES[kind][1]} "
                    "carries no sum",
                    "penalty_amount",
                )
            )
    severity_said = row.get("CF_SXYZCD", "")
    names = rules()["severity_names"]
    if severity_said and severity_said not in names:
        errors.append(
            FieldError(
                "CF_SXYZCD", "应为 轻微、一般 或 严重 / minor, general or serious", "invalid"
            )
        )
    by_kind = rules()["severity_by_penalty_type"]
    gravest = max(
        (by_kind.get(k, "general") for k in kinds),
        key=["minor", "general", "serious"].index,
    )
    body: dict[str, Any] = {
        "uscc": row.get("CF_XDR_SHXYM", ""),
        "category": category_of(row),
        "severity": names.get(severity_said, gravest),
        "decision_number": row.get("CF_WSH", ""),
        "legal_basis": row.get("CF_YJ", ""),
        "facts": row.get("CF_SY", ""),
        "penalty_type": kind,
        "penalty_amount": None if amount is None else str(amount),
        "decision_date": _date(row.get("CF_JDRQ", "")),
    }
    try:
        data = _SCHEMA.load(body)
    except ValidationError as exc:
        data = {}
        for name, messages in exc.normalized_messages().items():
            flat = messages if isinstance(messages, list) else [str(messages)]
            column = SOURCE_COLUMN.get(name, name)
            errors.extend(FieldError(column, str(m), "invalid") for m in flat)
    return data, errors


#: What a stored record says, for comparing with a row (no ORM objects: most rows of a
#: file uploaded again are unchanged, and loading each record with its relations cost
#: several queries a row).
_HELD = (
    sa.select(
        Violation.id,
        Enterprise.uscc,
        Violation.decision_date,
        Violation.severity,
        Violation.facts,
        Violation.legal_basis,
        Violation.category,
        Violation.penalty_type,
        Violation.penalty_amount,
    )
    .join(Enterprise, Violation.enterprise_id == Enterprise.id)
    .where(
        Violation.authority_id == sa.bindparam("authority_id"),
        Violation.decision_number == sa.bindparam("number"),
    )
)


def _same(held: sa.Row, data: dict[str, Any]) -> tuple[list[FieldError], list[str]]:
    """(fields that cannot change under one decision number, correctable fields that
    differ) between a stored record and a row's input."""
    fixed = [
        f
        for f, stored in (
            ("uscc", held.uscc),
            ("decision_date", held.decision_date),
            ("severity", held.severity),
        )
        if stored != data[f]
    ]
    refused = [
        FieldError(
            SOURCE_COLUMN[f],
            "与已录入的同一文号记录不同；请撤销原记录后重新录入 / differs from the record "
            "already held under this decision number: revoke it and record again",
            "immutable",
        )
        for f in fixed
    ]
    amount = data.get("penalty_amount")
    differs = [
        f
        for f in ("facts", "legal_basis", "category", "penalty_type")
        if getattr(held, f) != data[f]
    ]
    if (held.penalty_amount is None) != (amount is None) or (
        amount is not None and Decimal(held.penalty_amount) != Decimal(amount)
    ):
        differs.append("penalty_amount")
    return refused, differs


def _correct(
    identity: Identity, violation_id: str, data: dict[str, Any], fields_: list[str]
) -> None:
    """Apply the corrections in an order that keeps the record consistent at each step
    (a new penalty type may need its amount first, or the other way round)."""
    orders = [fields_]
    if "penalty_type" in fields_ and "penalty_amount" in fields_:
        swapped = list(fields_)
        i, j = swapped.index("penalty_type"), swapped.index("penalty_amount")
        swapped[i], swapped[j] = swapped[j], swapped[i]
        orders.append(swapped)
    last: DomainError | None = None
    for order in orders:
        try:
            with unit_of_work() as uow:
                for f in order:
                    current = db.session.get(Violation, violation_id)
                    registry.correct_violation(
                        identity,
                        uow,
                        violation_id,
                        f,
                        data.get(f),
                        CORRECTION_REASON,
                        current.version,
                    )
            return
        except DomainError as exc:
            last = exc
    assert last is not None
    raise last


def import_rows(
    identity: Identity,
    rows: list[tuple[int, dict[str, str]]],
    progress: Callable[[int], None] | None = None,
) -> list[RowResult]:
    """Record the rows as the caller's authority's records (see the module's docstring).
    ``progress`` is told after each row."""
    require(
        identity.kind == IdentityKind.REGULATOR
        and identity.authority_id is not None
        and "violations:write" in identity.scopes,
        "只有监管机关可以导入行政处罚信息",
    )
    authority = db.session.get(Authority, identity.authority_id)
    require(authority is not None, "只有监管机关可以导入行政处罚信息")
    own = (authority.name, authority.uscc)
    db.session.rollback()
    out = []
    for i, (n, row) in enumerate(rows, start=1):
        out.append(_import_row(identity, own, n, row))
        if i % 100 == 0:
            db.session.rollback()
            db.session.expunge_all()  # a long file keeps no more than a step loaded
        if progress:
            progress(1)
    db.session.rollback()
    return out


def _deciding_authority(row: dict[str, str], name: str, code: str | None) -> list[FieldError]:
    """The row's deciding authority must be the uploader: its name (CF_CFJG), and its
    unified social credit code (CF_CFJGDM) where the row gives one and the platform knows
    the uploader's."""
    if row.get("CF_CFJG", "") != name:
        return [
            FieldError(
                "CF_CFJG",
                f"处罚机关不是本机关（{name}）/ not the uploading authority",
                "other_authority",
            )
        ]
    given = row.get("CF_CFJGDM", "").strip()
    if not given:
        return []
    checked = uscc_mod.check(given)
    if not checked.valid:
        return [FieldError("CF_CFJGDM", "不是有效的统一社会信用代码 / not a valid code", "invalid")]
    if code is not None and checked.code != code:
        return [
            FieldError(
                "CF_CFJGDM",
                f"不是本机关的统一社会信用代码（{code}）/ not the uploading authority's code",
                "other_authority",
            )
        ]
    return []


def _import_row(
    identity: Identity, own: tuple[str, str | None], n: int, row: dict[str, str]
) -> RowResult:
    number = row.get("CF_WSH", "")
    deciding = _deciding_authority(row, *own)
    if deciding:
        return RowResult(n, "refused", number, errors=deciding)
    data, errors = to_input(row)
    if errors:
        return RowResult(n, "refused", number, errors=errors)
    existing = db.session.execute(
        _HELD, {"authority_id": identity.authority_id, "number": data["decision_number"]}
    ).first()
    try:
        if existing is None:
            with unit_of_work() as uow:
                v = violations.record_violation(identity, uow, data)
            return RowResult(n, "created", number, v.id)
        refused, differs = _same(existing, data)
        if refused:
            return RowResult(n, "refused", number, existing.id, refused)
        if not differs:
            return RowResult(n, "unchanged", number, existing.id)
        _correct(identity, existing.id, data, differs)
        return RowResult(n, "updated", number, existing.id)
    except DomainError as exc:
        db.session.rollback()
        found = [
            FieldError(SOURCE_COLUMN.get(e.field, e.field), e.message, e.code) for e in exc.errors
        ] or [FieldError("row", exc.detail, type(exc).__name__)]
        return RowResult(n, "refused", number, errors=found)
