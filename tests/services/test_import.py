"""CSV import: encodings, header aliases, per-row report, idempotence, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from credit import uscc
from credit.changes import ChangeEvent
from credit.enterprises.models import Enterprise
from credit.extensions import db
from tests.helpers import sample_records

HEADER = [
    "uscc",
    "name",
    "operator_type",
    "industry",
    "registration_date",
    "status",
    "legal_representative",
    "district_code",
    "former_names",
    "shops",
]


def _code(n: int, city: str = "320583") -> str:
    return uscc.complete(f"91{city}{n:08d}")


def _row(code: str, name: str, **kw: str) -> list[str]:
    base = {
        "uscc": code,
        "name": name,
        "operator_type": "on_platform",
        "industry": "food",
        "registration_date": "2020-05-01",
        "status": "active",
        "legal_representative": "王小明",
        "district_code": "",
        "former_names": "",
        "shops": "taobao|小明食品店|https://taobao.example.com/1",
    }
    base.update(kw)
    return [base[h] for h in HEADER]


def _write(
    path: Path, rows: list[list[str]], bom: bool = False, header: list[str] = HEADER
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["credit", *args])


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("bom", [False, True])
def test_import_good_file(app_ctx, tmp_path: Path, bom: bool) -> None:
    path = _write(
        tmp_path / "a.csv",
        [
            _row(_code(1), "昆山小明食品有限公司"),
            _row(
                _code(2), "昆山大明食品有限公司", former_names="昆山旧名有限公司;昆山更旧有限公司"
            ),
        ],
        bom=bom,
    )
    result = _run(app_ctx, "import-enterprises", str(path))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[0])
    assert summary == {"created": 2, "updated": 0, "unchanged": 0, "rejected_rows": 0}
    e = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == _code(2)))
    assert e.former_names == ["昆山旧名有限公司", "昆山更旧有限公司"]
    assert e.city_code == "320500" and e.entity_type == "enterprise"
    assert e.shops[0].platform == "taobao" and e.shops[0].shop_name == "小明食品店"


def test_chinese_headers_and_labels(app_ctx) -> None:
    # The committed sample uses a code whose checks we compute here to keep it honest.
    text = (Path(__file__).parents[1] / "data" / "registry_export.csv").read_text("utf-8")
    code = uscc.complete("91320102MA1XXXXX")
    path = Path(app_ctx.instance_path) / "cn.csv"
    path.write_text(text.replace("91320102MA1XXXXXX0", code), encoding="utf-8")
    result = _run(app_ctx, "import-enterprises", str(path))
    assert result.exit_code == 0, result.output
    e = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
    assert e.operator_type == "on_platform" and e.industry == "general"
    assert e.status == "active" and e.district_code == "320102"
    assert [s.platform for s in e.shops] == ["tmall", "jd"]


def test_bad_rows_are_reported_and_good_rows_imported(app_ctx, tmp_path: Path) -> None:
    good = _code(3)
    rows = [
        _row(good, "昆山好食品有限公司"),
        _row(good[:-1] + ("0" if good[-1] != "0" else "1"), "校验错误有限公司"),
        _row(_code(4), "行业错误有限公司", industry="weapons"),
        _row(_code(5), "日期错误有限公司", registration_date="2020-13-45"),
        _row(_code(6), "平台错误有限公司", shops="nowhere|某店|"),
        _row(uscc.complete("9111000060003734"), "外省有限公司"),
        _row(_code(7), "区县错误有限公司", district_code="320102"),
    ]
    report = tmp_path / "report.csv"
    result = _run(
        app_ctx,
        "import-enterprises",
        str(_write(tmp_path / "b.csv", rows)),
        "--report",
        str(report),
    )
    assert result.exit_code == 2
    summary = json.loads(result.stdout.strip().splitlines()[0])
    assert summary["created"] == 1 and summary["rejected_rows"] == 6
    lines = list(csv.DictReader(report.open(encoding="utf-8")))
    by_line = {int(r["line"]): r for r in lines}
    assert set(by_line) == {3, 4, 5, 6, 7, 8}
    assert by_line[3]["column"] == "uscc" and "18" in by_line[3]["reason"]
    assert by_line[4]["column"] == "industry"
    assert by_line[5]["column"] == "registration_date"
    assert by_line[6]["column"] == "shops"
    assert by_line[7]["column"] == "uscc" and "江苏" in by_line[7]["reason"]
    assert by_line[8]["column"] == "district_code"
    assert _count(Enterprise) == 1


def test_header_errors_import_nothing(app_ctx, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "h.csv", [_row(_code(8), "某某有限公司")], header=["uscc", "名称X", *HEADER[2:]]
    )
    result = _run(app_ctx, "import-enterprises", str(path))
    assert result.exit_code != 0
    assert "名称X" in result.output and "name" in result.output
    assert _count(Enterprise) == 0


def test_reimport_is_idempotent_and_updates(app_ctx, tmp_path: Path) -> None:
    rows = [_row(_code(10), "昆山一号食品有限公司"), _row(_code(11), "昆山二号食品有限公司")]
    path = _write(tmp_path / "c.csv", rows)
    assert _run(app_ctx, "import-enterprises", str(path)).exit_code == 0
    events = _count(ChangeEvent)
    again = _run(app_ctx, "import-enterprises", str(path))
    assert json.loads(again.stdout.strip().splitlines()[0])["unchanged"] == 2
    assert _count(ChangeEvent) == events  # nothing changed, nothing emitted
    rows[1] = _row(_code(11), "昆山二号食品有限公司", status="cancelled", shops="jd|二号京东店|")
    changed = _run(app_ctx, "import-enterprises", str(_write(tmp_path / "d.csv", rows)))
    assert json.loads(changed.stdout.strip().splitlines()[0])["updated"] == 1
    e = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == _code(11)))
    assert e.status == "cancelled" and e.version == 2
    assert [(s.platform, s.shop_name) for s in e.shops] == [("jd", "二号京东店")]
    # One event for the firm changed (its new rating, which now reads the new status, is
    # a rating event of its own).
    firm_events = sa.select(sa.func.count()).where(ChangeEvent.entity_type == "enterprise")
    assert db.session.scalar(firm_events.where(ChangeEvent.entity_id == e.id)) == 2


def test_crash_midway_leaves_nothing_half_written(app_ctx, monkeypatch) -> None:
    from credit.enterprises import service
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work

    records = sample_records(30)
    calls = {"n": 0}
    original = service._import_chunk

    def crash_on_second_chunk(uow, chunk, stats) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated crash)")
        original(uow, chunk, stats)

    monkeypatch.setattr(service, "_import_chunk", crash_on_second_chunk)
    with pytest.raises(OSError), unit_of_work() as uow:
        service.import_enterprises(SYSTEM, uow, records, chunk_size=10)
    db.session.remove()
    assert _count(Enterprise) == 0
    assert _count(ChangeEvent) == 0


def test_import_requires_operator_identity(app_ctx) -> None:
    from credit.enterprises import service
    from credit.errors import PermissionDenied
    from credit.identity import ANONYMOUS
    from credit.uow import unit_of_work

    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        service.import_enterprises(ANONYMOUS, uow, sample_records(1))
