"""CSV upload of key-enterprise listings: header aliases, per-line errors, duplicates.

Columns (English or Chinese header; order free; UTF-8 with or without BOM):

==============  ============  ================================================
column          Chinese       content
==============  ============  ================================================
uscc            统一社会信用代码  18-character code (required)
category        类别          code or Chinese name of a category (required)
reason          列入理由       why the firm is listed (required)
listed_from     起始日期       YYYY-MM-DD (required)
listed_until    截止日期       YYYY-MM-DD, empty for open-ended
==============  ============  ================================================

The same code in the same category on two lines is refused on every line it is on (which
one is right is the department's call), like the registry import
(``credit/enterprises/importing.py``), whose reader helpers this reuses.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, TextIO

from marshmallow import ValidationError

from credit import uscc
from credit.enterprises.importing import HeaderError, RowError, _data_rows, _flatten, open_csv
from credit.keyfirms.schemas import ListingInputSchema
from credit.keyfirms.vocab import categories

__all__ = ["COLUMNS", "HeaderError", "RowError", "open_csv", "read_rows"]

HEADER_ALIASES: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "类别": "category",
    "类型": "category",
    "列入理由": "reason",
    "理由": "reason",
    "起始日期": "listed_from",
    "列入日期": "listed_from",
    "截止日期": "listed_until",
    "期限": "listed_until",
}
COLUMNS = ("uscc", "category", "reason", "listed_from", "listed_until")
REQUIRED = ("uscc", "category", "reason", "listed_from")


def _category(value: str) -> str:
    for code, c in categories().items():
        if value in {code, c.zh, c.en}:
            return code
    return value


def _header(reader: Any) -> tuple[list[str], dict[str, str]]:
    try:
        header = next(reader)
    except StopIteration:
        raise HeaderError("文件为空 (the file is empty)") from None
    if header:  # a BOM left by a text path (the API's JSON body) is not part of a name
        header[0] = header[0].removeprefix("\ufeff")
    names = [HEADER_ALIASES.get(h.strip(), h.strip()) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n not in COLUMNS]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing or len(set(names)) != len(names):
        parts = []
        if unknown:
            parts.append(f"未知列 unknown columns: {', '.join(unknown)}")
        if missing:
            parts.append(f"缺少必填列 missing columns: {', '.join(missing)}")
        if len(set(names)) != len(names):
            parts.append("列重复 a column appears twice")
        raise HeaderError("; ".join(parts))
    return names, dict(zip(names, (h.strip() for h in header), strict=True))


def read_rows(text: TextIO, errors: list[RowError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line, loaded record) for every good row; append a ``RowError`` per problem.
    The whole file is read before anything is yielded (it is one department's list: a few
    thousand lines at most), so duplicates are known for every line."""
    reader = csv.reader(text)
    names, shown = _header(reader)
    schema = ListingInputSchema()
    loaded: list[tuple[int, dict[str, Any]]] = []
    lines_of: dict[tuple[str, str], list[int]] = {}
    for start, values in _data_rows(reader):
        if len(values) != len(names):
            errors.append(
                RowError(
                    start, "*", f"列数为 {len(values)}，应为 {len(names)} (expected {len(names)})"
                )
            )
            continue
        raw = {n: v.strip() for n, v in zip(names, values, strict=True) if v.strip()}
        if "category" in raw:
            raw["category"] = _category(raw["category"])
        key = (uscc.normalize(raw.get("uscc", "")), raw.get("category", ""))
        lines_of.setdefault(key, []).append(start)
        try:
            loaded.append((start, schema.load(raw)))
        except ValidationError as exc:
            for column, message in _flatten(exc.messages):
                errors.append(RowError(start, shown.get(column, column), message))
    repeated = {line: lines for lines in lines_of.values() if len(lines) > 1 for line in lines}
    for line in sorted(repeated):
        listed = "、".join(str(n) for n in repeated[line])
        errors.append(
            RowError(
                line,
                shown["uscc"],
                f"同一企业同一类别出现在第 {listed} 行，均未导入 (the same firm and category "
                f"is on lines {', '.join(str(n) for n in repeated[line])})",
            )
        )
    for start, record in loaded:
        if start not in repeated:
            yield start, record
