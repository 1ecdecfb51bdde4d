"""The CSV import reads codes like every other entry point (issue 15): full-width codes are
folded, codes that only pass when a ligature expands are refused, and a code on two lines
(after folding) rejects both lines instead of letting the last one win."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from credit import uscc
from credit.enterprises import importing
from credit.enterprises.models import Enterprise
from credit.errors import ValidationFailed
from credit.extensions import db
from tests.helpers import import_records, sample_records

HEADER = ["uscc", "name", "operator_type", "industry", "status"]
WIDE = {ord(c): ord(c) + 0xFEE0 for c in uscc.CHARSET + uscc.CHARSET.lower()}


def _code(body: str) -> str:
    return uscc.complete("91320583" + body)


def _csv(rows: list[tuple[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for code, name in rows:
        w.writerow([code, name, "on_platform", "food", "active"])
    return buf.getvalue()


def _import(app, tmp_path: Path, rows: list[tuple[str, str]]):
    path = tmp_path / "registry.csv"
    path.write_text(_csv(rows), encoding="utf-8")
    report = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(
        args=["credit", "import-enterprises", str(path), "--report", str(report), "--no-index"]
    )
    summary = json.loads(result.stdout.strip().splitlines()[0])
    rejected = list(csv.DictReader(report.open(encoding="utf-8")))
    return result, summary, rejected


def _stored() -> set[str]:
    return set(db.session.scalars(sa.select(Enterprise.uscc)))


def test_a_code_on_two_lines_rejects_both_and_names_them(app_ctx, tmp_path: Path) -> None:
    a, b, c = _code("00000001"), _code("00000002"), _code("00000003")
    rows = [
        (a, "昆山甲食品有限公司"),  # line 2
        (b, "昆山乙食品有限公司"),  # line 3
        (f" {a.lower().translate(WIDE)} ", "昆山甲食品有限公司（重复）"),  # line 4: same code
        (c, "昆山丙食品有限公司"),  # line 5
    ]
    result, summary, rejected = _import(app_ctx, tmp_path, rows)
    assert result.exit_code == 2
    assert summary == {"created": 2, "updated": 0, "unchanged": 0, "rejected_rows": 2}
    assert _stored() == {b, c}  # neither row of the duplicated code was imported
    by_line = {int(r["line"]): r for r in rejected}
    assert set(by_line) == {2, 4}
    for row in by_line.values():
        assert row["column"] == "uscc"
        assert "第 2、4 行" in row["reason"] and "lines 2, 4" in row["reason"]


def test_three_copies_and_two_pairs(app_ctx, tmp_path: Path) -> None:
    a, b, c = _code("00000011"), _code("00000012"), _code("00000013")
    rows = [(a, "甲有限公司"), (b, "乙有限公司"), (a, "甲有限公司"), (b, "乙有限公司")]
    rows += [(a.lower(), "甲有限公司"), (c, "丙有限公司")]
    _, summary, rejected = _import(app_ctx, tmp_path, rows)
    assert summary["created"] == 1 and summary["rejected_rows"] == 5
    reasons = {int(r["line"]): r["reason"] for r in rejected}
    assert all("第 2、4、6 行" in reasons[n] for n in (2, 4, 6))
    assert all("第 3、5 行" in reasons[n] for n in (3, 5))
    assert _stored() == {c}


def test_a_duplicate_with_other_faults_reports_both(app_ctx, tmp_path: Path) -> None:
    a = _code("00000021")
    path_rows = [(a, "甲有限公司"), (a, "乙")]  # the second name is too short as well
    _, _, rejected = _import(app_ctx, tmp_path, path_rows)
    columns = sorted((int(r["line"]), r["column"]) for r in rejected)
    assert columns == [(2, "uscc"), (3, "name"), (3, "uscc")]


def test_full_width_codes_are_imported_as_the_code(app_ctx, tmp_path: Path) -> None:
    a = _code("00000031")
    result, summary, _ = _import(app_ctx, tmp_path, [(a.translate(WIDE), "全角代码有限公司")])
    assert result.exit_code == 0, result.output
    assert summary["created"] == 1 and _stored() == {a}


@pytest.mark.parametrize("ligature, expansion", [("ﬀ", "FF"), ("ﬂ", "FL"), ("ﬄ", "FFL")])
def test_a_code_that_passes_only_when_a_ligature_expands_is_refused(
    app_ctx, tmp_path: Path, ligature: str, expansion: str
) -> None:
    code = _code((expansion + "00000041")[:8])
    raw = code.replace(expansion, ligature, 1)
    assert raw.upper() == code  # what the old importer stored
    result, summary, rejected = _import(app_ctx, tmp_path, [(raw, "连字有限公司")])
    assert result.exit_code == 2 and summary["created"] == 0
    reasons = [r["reason"] for r in rejected if r["column"] == "uscc"]
    assert any(f"实际为 {len(raw)} 位" in r for r in reasons)
    assert any(f"第 9 位 “{ligature}”" in r for r in reasons)
    assert _stored() == set()


def test_a_stream_that_cannot_seek_is_read_the_same_way(app_ctx) -> None:
    a, b = _code("00000051"), _code("00000052")
    text = _csv([(a, "甲有限公司"), (b, "乙有限公司"), (a.lower(), "甲有限公司")])

    class Pipe(io.StringIO):
        def seekable(self) -> bool:
            return False

    errors: list[importing.RowError] = []
    records = list(importing.read_records(Pipe(text), errors))
    assert [r["uscc"] for r in records] == [b]
    assert sorted(e.line for e in errors) == [2, 4]


def test_the_service_never_merges_duplicates_silently(app_ctx) -> None:
    record = sample_records(1, seed=7)[0]
    with pytest.raises(ValidationFailed) as exc:
        import_records([record, {**record, "name": record["name"] + "二"}])
    assert exc.value.errors[0].code == "duplicate"
    assert _stored() == set()
