"""CSV import of registry exports: header aliases, per-row validation and a report.

Columns (English or Chinese header; order free; UTF-8 with or without BOM):

==========================  ==============  ==========================================
column                      Chinese header  content
==========================  ==============  ==========================================
uscc                        统一社会信用代码  18-character code (required)
name                        企业名称         registered name (required)
operator_type               经营者类型       platform / on_platform / self_operated or
                                            电子商务平台经营者 / 平台内经营者 / ... (required)
industry                    行业             code or label from the industry list (required)
registration_date           成立日期         YYYY-MM-DD
status                      登记状态         active / revoked / cancelled / moved_out or 存续 ...
legal_representative        法定代表人       name (masked on public pages)
legal_representative_kind   法定代表人类型   natural_person / organisation (自然人 / 法人)
district_code               区县代码         6-digit GB/T 2260 code inside the code's city
former_names                曾用名           several separated by ;
shops                       网店             entries "platform|shop name|url" separated by ;
==========================  ==============  ==========================================
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from marshmallow import ValidationError

from credit import uscc
from credit.enterprises.schemas import EnterpriseRecordSchema

HEADER_ALIASES: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "企业名称": "name",
    "名称": "name",
    "经营者类型": "operator_type",
    "行业": "industry",
    "成立日期": "registration_date",
    "登记状态": "status",
    "状态": "status",
    "法定代表人": "legal_representative",
    "经营者": "legal_representative",
    "负责人": "legal_representative",
    "法定代表人类型": "legal_representative_kind",
    "区县代码": "district_code",
    "曾用名": "former_names",
    "网店": "shops",
    "店铺": "shops",
}
COLUMNS = (
    "uscc",
    "name",
    "operator_type",
    "industry",
    "registration_date",
    "status",
    "legal_representative",
    "legal_representative_kind",
    "district_code",
    "former_names",
    "shops",
)
REQUIRED = ("uscc", "name", "operator_type", "industry")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


class HeaderError(ValueError):
    """The file's header row is unusable; nothing is imported."""


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace("；", ";").split(";") if p.strip()]


def _shops(value: str) -> list[dict[str, Any]]:
    shops = []
    for entry in _split(value):
        parts = [p.strip() for p in entry.split("|")]
        shops.append(
            {
                "platform": parts[0],
                "shop_name": parts[1] if len(parts) > 1 else "",
                "url": parts[2] if len(parts) > 2 and parts[2] else None,
            }
        )
    return shops


def _row_to_input(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, raw in row.items():
        value = (raw or "").strip()
        if key == "former_names":
            data[key] = _split(value)
        elif key == "shops":
            data[key] = _shops(value)
        elif value:
            data[key] = value
    return data


def open_csv(stream: io.BufferedIOBase | io.RawIOBase) -> TextIO:
    """Text view of a byte stream: UTF-8, an optional BOM removed."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def read_records(text: TextIO, errors: list[RowError]) -> Iterator[dict[str, Any]]:
    """Yield validated records; append a ``RowError`` per problem of each rejected row.

    A code that appears on more than one line (compared after normalisation: full-width
    forms, case and surrounding spaces do not make two codes different) is rejected on
    every line it appears on, naming them all: which row is right is the operator's call,
    and silently keeping the first or the last would publish data nobody chose. The file
    is read twice for that (first only the code column), so ``text`` is rewound; a stream
    that cannot seek is copied to a temporary file first.
    """
    if not text.seekable():
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as copy:
            shutil.copyfileobj(text, copy)
            copy.seek(0)
            yield from read_records(copy, errors)
        return
    origin = text.tell()
    duplicates = _duplicates(text)
    text.seek(origin)
    reader, names, shown = _open_reader(text)
    code_at = names.index("uscc")
    schema = EnterpriseRecordSchema()
    for start, values in _data_rows(reader):
        if len(values) != len(names):
            errors.append(
                RowError(
                    start,
                    "*",
                    f"列数为 {len(values)}，应为 {len(names)} (expected {len(names)} fields)",
                )
            )
            continue
        record = None
        try:
            record = schema.load(_row_to_input(dict(zip(names, values, strict=True))))
        except ValidationError as exc:
            for column, message in _flatten(exc.messages):
                errors.append(RowError(start, shown.get(column, column), message))
        lines = duplicates.get(uscc.normalize(values[code_at]))
        if lines:
            errors.append(RowError(start, shown["uscc"], _duplicate_message(lines)))
        elif record is not None:
            yield record


def _duplicate_message(lines: list[int]) -> str:
    listed = "、".join(str(n) for n in lines)
    listed_en = ", ".join(str(n) for n in lines)
    return (
        f"同一统一社会信用代码出现在第 {listed} 行，这些行均未导入；请只保留正确的一行后重新导入 "
        f"(the same code is on lines {listed_en}: none of them was imported; keep the right "
        "row and import again)"
    )


def _open_reader(text: TextIO) -> tuple[Any, list[str], dict[str, str]]:
    """A CSV reader past the header, the columns' names and each name's header as shown."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise HeaderError("文件为空 (the file is empty)") from None
    names: list[str] = []
    for h in header:
        h = h.strip()
        names.append(HEADER_ALIASES.get(h, h))
    unknown = [h for h, n in zip(header, names, strict=True) if n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"未知列 unknown columns: {', '.join(unknown)}")
        if missing:
            parts.append(f"缺少必填列 missing columns: {', '.join(missing)}")
        raise HeaderError("; ".join(parts))
    shown = dict(zip(names, (h.strip() for h in header), strict=True))
    return reader, names, shown


def _data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, its fields) for every row that is not blank."""
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if any(v.strip() for v in values):
            yield start, values


def _duplicates(text: TextIO) -> dict[str, list[int]]:
    """Normalised code -> the lines it is on, for every code on more than one line.

    Keeps one entry per code while reading (about 150 bytes each: 150 MB for a million
    rows), the same order as the demo generator's own uniqueness check."""
    reader, names, _ = _open_reader(text)
    code_at = names.index("uscc")
    first: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    for start, values in _data_rows(reader):
        if len(values) != len(names):
            continue
        code = uscc.normalize(values[code_at])
        if not code:
            continue
        seen = first.setdefault(code, start)
        if seen != start:
            repeated.setdefault(code, [seen]).append(start)
    return repeated


def _flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            top = prefix or str(key)
            yield from _flatten(value, top)
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, str):
                yield prefix or "_schema", m
            else:
                yield from _flatten(m, prefix)
    else:
        yield prefix or "_schema", str(messages)
