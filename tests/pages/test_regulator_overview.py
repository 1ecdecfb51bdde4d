"""The regulator's overview (issue 17 item 10): the dashboard's figures against records
arranged here, limited to the jurisdiction; the records list's paging, search and filters;
the CSV export's bytes; the preview before a violation is published."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.pages.console_parties import page, post, sign_in

NEW = "/console/regulator/violations/new"
ROW = re.compile(r'<tr><td><a href="/console/regulator/violations/([0-9a-f-]{36})">')


def _other_authority(cp) -> None:
    """An authority over firm B's city (``SZ``): its records are outside IN's jurisdiction."""
    from credit.accounts import service as accounts
    from credit.enterprises.service import get_enterprise
    from credit.identity import SYSTEM
    from credit.uow import unit_of_work

    city = get_enterprise(SYSTEM, cp.other_uscc).city_code
    with unit_of_work() as uow:
        accounts.create_authority(SYSTEM, uow, code="SZ", name="乙市监管局", jurisdiction=[city])


def _record(authority: str, code: str, category: str, severity: str, days_ago: int, number: str):
    from credit import clock
    from credit.uow import unit_of_work
    from credit.violations import service as violations
    from tests.parties import regulator_identity

    data = {
        "uscc": code,
        "category": category,
        "severity": severity,
        "decision_number": number,
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": clock.today() - timedelta(days=days_ago),
    }
    with unit_of_work() as uow:
        return violations.record_violation(regulator_identity(code=authority), uow, data)


def _ids(html: str) -> list[str]:
    return ROW.findall(html)


# -- the dashboard --------------------------------------------------------------------------
INSIDE = [
    ("fake_orders", "general", 3),
    ("fake_orders", "serious", 40),
    ("pricing", "general", 70),
    ("counterfeit", "minor", 400),  # older than the 12 months: counted, not in a month
]
OUTSIDE = [("pricing", "serious", 5), ("tying", "general", 10)]


def test_dashboard_counts_the_jurisdiction_by_category_severity_and_month(client, cp, clean_app):
    from credit import clock
    from credit.uow import unit_of_work
    from credit.violations import overview
    from credit.violations import service as violations
    from tests.parties import regulator_identity

    with clean_app.app_context():
        _other_authority(cp)
        for i, (category, severity, days) in enumerate(INSIDE):
            _record("IN", cp.owner_uscc, category, severity, days, f"苏市监罚〔2026〕61{i}号")
        for i, (category, severity, days) in enumerate(OUTSIDE):
            _record("SZ", cp.other_uscc, category, severity, days, f"乙市监罚〔2026〕62{i}号")
        wrong = _record("IN", cp.owner_uscc, "tying", "general", 1, "苏市监罚〔2026〕699号")
        with unit_of_work() as uow:  # a revoked record was wrong: not counted
            violations.revoke_violation(
                regulator_identity(code="IN"), uow, wrong.id, "复议撤销", wrong.version
            )
        today = clock.today()
        mine = overview.jurisdiction_overview(regulator_identity(code="IN"))
        theirs = overview.jurisdiction_overview(regulator_identity(code="SZ"))
    assert mine.total == len(INSIDE)
    assert dict(mine.by_category) == Counter(c for c, _, _ in INSIDE)
    assert dict(mine.by_severity) == Counter(s for _, s, _ in INSIDE)
    months = [m for m, _ in mine.by_month]
    assert len(months) == 12 and months[-1] == today.strftime("%Y-%m") == sorted(months)[-1]
    expected = Counter(
        m for _, _, d in INSIDE if (m := (today - timedelta(days=d)).strftime("%Y-%m")) in months
    )
    assert dict(mine.by_month) == {m: expected.get(m, 0) for m in months}
    assert sum(n for _, n in mine.by_month) < mine.total  # the 400-day-old one is older
    assert dict(theirs.by_category) == Counter(c for c, _, _ in OUTSIDE)

    sign_in(client, "reg-in")
    home = page(client, "/console/regulator")
    assert 'href="/console/regulator/overview"' in home and 'id="nav-overview"' in home
    html = page(client, "/console/regulator/overview")
    assert f'id="overview-total">{len(INSIDE)}<' in html
    assert "售假/假冒伪劣" in html and "价格违法" in html
    assert "违规搭售" not in html  # the other city's category, and the revoked record's
    assert today.strftime("%Y-%m") in html and "北京时间" in html


def test_queue_counts_and_overdue_follow_the_working_day_limits(
    client, cp, clean_app, frozen_clock
):
    from credit.uow import unit_of_work
    from credit.violations import overview, workflow
    from tests.parties import make_pledge, owner_identity, regulator_identity

    with clean_app.app_context():
        _other_authority(cp)
        owner = owner_identity(cp.owner_uscc)
        v1 = _record("IN", cp.owner_uscc, "fake_orders", "general", 5, "苏市监罚〔2026〕71号")
        v2 = _record("IN", cp.owner_uscc, "fake_orders", "general", 120, "苏市监罚〔2026〕72号")
        v3 = _record("SZ", cp.other_uscc, "pricing", "general", 5, "乙市监罚〔2026〕73号")
        repair_pledge = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        with unit_of_work() as uow:
            workflow.file_objection(owner, uow, v1.id, "事实认定有误", [])
            workflow.apply_for_repair(owner, uow, v2.id, repair_pledge.id, "已整改")
            workflow.file_objection(owner_identity(cp.other_uscc), uow, v3.id, "有误", [])

    def counts(code: str) -> dict:
        with clean_app.app_context():
            reviewer = regulator_identity("violations:review", "repairs:review", code=code)
            shown = {
                q.kind: (q.pending, q.overdue)
                for q in overview.jurisdiction_overview(reviewer).queues
            }
            # The same answer as the queue pages, which compute each case's due date.
            for kind in ("objections", "repairs"):
                cases = workflow.authority_queue(reviewer, kind)
                assert shown[kind] == (len(cases), sum(c.overdue for c in cases))
            return shown

    assert counts("IN") == {"objections": (1, 0), "repairs": (1, 0)}
    assert counts("SZ") == {"objections": (1, 0), "repairs": (0, 0)}
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/overview")
    assert re.search(
        r'id="queue-objections">.*?class="pending">1<.*?class="overdue">0<', html, re.S
    )
    frozen_clock.advance(21 * 86400)  # three weeks later both limits have passed
    assert counts("IN") == {"objections": (1, 1), "repairs": (1, 1)}
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/overview")
    assert re.search(r'id="queue-repairs">.*?class="overdue"><span class="tag bad">1<', html, re.S)


# -- the records list -----------------------------------------------------------------------
CATS = ("fake_orders", "pricing", "tying")


def _arrange_list(cp, n: int = 21) -> dict:
    from credit.enterprises.service import get_enterprise
    from credit.identity import SYSTEM

    _other_authority(cp)
    made = [
        _record("IN", cp.owner_uscc, CATS[i % 3], "general", i, f"苏市监罚〔2026〕{800 + i}号")
        for i in range(n)
    ]
    outside = _record("SZ", cp.other_uscc, "pricing", "general", 1, "乙市监罚〔2026〕900号")
    return {
        "made": made,
        "name": get_enterprise(SYSTEM, cp.owner_uscc).name,
        "other_name": get_enterprise(SYSTEM, cp.other_uscc).name,
        "outside": outside.decision_number,
    }


def test_records_list_pages_searches_and_filters_inside_the_jurisdiction(client, cp, clean_app):
    from credit import clock

    with clean_app.app_context():
        arranged = _arrange_list(cp)
        made = [(v.id, v.category, v.decision_number, v.decision_date) for v in arranged["made"]]
        today = clock.today()
    sign_in(client, "reg-in")
    first = page(client, "/console/regulator/records")
    assert len(_ids(first)) == 20 and f"共 {len(made)} 条" in first
    assert 'href="/console/regulator/records?page=2"' in first
    second = page(client, "/console/regulator/records?page=2")
    assert len(_ids(second)) == len(made) - 20
    assert set(_ids(first)) | set(_ids(second)) == {m[0] for m in made}
    assert arranged["outside"] not in first + second and arranged["other_name"] not in first

    html = page(client, "/console/regulator/records?category=pricing")
    assert sorted(_ids(html)) == sorted(m[0] for m in made if m[1] == "pricing")
    assert '<option value="pricing" selected>' in html  # the filter shown as set
    assert "records.csv?category=pricing" in html  # the export keeps it
    number = made[5][2]
    assert _ids(page(client, f"/console/regulator/records?q={number[-5:]}")) == [made[5][0]]
    assert len(_ids(page(client, f"/console/regulator/records?q={arranged['name'][2:4]}"))) == 20
    assert f"共 {len(made)} 条" in page(client, f"/console/regulator/records?q={cp.owner_uscc}")
    assert _ids(page(client, f"/console/regulator/records?q={cp.other_uscc}")) == []
    start, end = today - timedelta(days=4), today - timedelta(days=2)
    html = page(client, f"/console/regulator/records?decided_from={start}&decided_to={end}")
    assert sorted(_ids(html)) == sorted(m[0] for m in made if start <= m[3] <= end)
    both = f"category=tying&decided_from={start - timedelta(days=30)}&page=1"
    html = page(client, f"/console/regulator/records?{both}")
    assert sorted(_ids(html)) == sorted(m[0] for m in made if m[1] == "tying")
    # Bad filters are said beside their fields, never a 500.
    html = page(client, "/console/regulator/records?decided_from=2026-13-01&category=x", 400)
    assert 'id="decided_from-error"' in html and 'id="category-error"' in html
    html = page(client, f"/console/regulator/records?decided_from={end}&decided_to={start}", 400)
    assert 'id="decided_to-error"' in html


# -- the CSV export -------------------------------------------------------------------------
def test_csv_export_bom_header_quoting_formula_guard_beijing_time(
    client, cp, clean_app, frozen_clock
):
    from credit import clock

    # 17:30 UTC is 01:30 the next day in Beijing: the recorded time must say the latter.
    frozen_clock.now = (datetime.now(UTC) - timedelta(days=1)).replace(hour=17, minute=30)
    with clean_app.app_context():
        arranged = _arrange_list(cp, n=3)
        formula = '=HYPERLINK("http://x.example","点")'
        risky = _record("IN", cp.owner_uscc, "pricing", "serious", 0, formula)
        plus = _record("IN", cp.owner_uscc, "pricing", "general", 0, "+86,苏市监罚")
        recorded = risky.recorded_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")
        count, plus_number = len(arranged["made"]) + 2, plus.decision_number
    assert recorded.endswith("01:30")
    sign_in(client, "reg-in")
    r = client.get("/console/regulator/records.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="violations-')
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "决定书文号" and rows[0][-1] == "录入时间（北京时间）"
    assert len(rows) == 1 + count
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["'" + formula][-1] == recorded  # guarded, quoted, Beijing time
    assert by_number["'" + formula][5] == "严重"
    assert "'+86,苏市监罚" in by_number and formula not in by_number
    assert arranged["outside"] not in body.decode("utf-8-sig")
    assert plus_number not in by_number  # only ever with its guard
    # English header, and the filters of the list.
    r = client.get("/console/regulator/records.csv?lang=en&severity=serious")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "Decision number" and rows[0][-1] == "Recorded (Beijing time)"
    assert [row[0] for row in rows[1:]] == ["'" + formula] and rows[1][5] == "serious"


# -- the preview before publishing ----------------------------------------------------------
def _form(cp, pledge_id: str) -> dict:
    from credit import clock

    today = clock.today().isoformat()
    return {
        "uscc": cp.owner_uscc,
        "category": "fake_orders",
        "conduct_date": today,
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕5501号",
        "decision_date": today,
        "facts": "组织虚假交易 37 笔、编造用户评价",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "penalty_type": "fine",
        "penalty_amount": "30000",
        "breached": [f"{pledge_id}:C03"],
    }


def _records(clean_app) -> int:
    from credit.extensions import db
    from credit.violations.models import Violation

    with clean_app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Violation))


def _facts_list(html: str) -> str:
    """The first fact list of the record partial (the decision), tags and spaces as sent."""
    return re.search(r'id="decision-h".*?(<dl class="facts">.*?</dl>)', html, re.S).group(1)


def test_preview_writes_nothing_back_keeps_input_confirm_writes_once(client, cp, clean_app):
    from tests.parties import csrf_of, make_pledge

    with clean_app.app_context():
        pledge_id = make_pledge(cp.owner_uscc, publish=True).id
    form = _form(cp, pledge_id)
    step_two = (
        f"{NEW}?uscc={cp.owner_uscc}&category=fake_orders&conduct_date={form['decision_date']}"
    )
    sign_in(client, "reg-in")
    preview = post(client, NEW, form, status=200, csrf_from=step_two).get_data(as_text=True)
    assert _records(clean_app) == 0  # the preview writes nothing
    assert "确认公示" in preview and "返回修改" in preview and 'id="preview-note"' in preview
    assert form["facts"] in preview and form["decision_number"] in preview
    assert "30000" in preview and "C03" in preview  # the clause, in words, as public
    token = re.search(r'name="preview_token" value="([^"]+)"', preview).group(1)

    # Back to edit: the form again, everything typed kept.
    sent = {**form, "csrf": csrf_of(preview), "preview_token": token}
    back = client.post(NEW, data={**sent, "step": "back"})
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and 'id="record-violation"' in html
    assert f'value="{form["decision_number"]}"' in html and f">{form['facts']}</textarea>" in html
    assert f'id="breach-{pledge_id}-C03" checked' in html
    assert '<option value="general" selected>' in html and 'value="30000"' in html
    assert _records(clean_app) == 0

    # A confirm whose values differ from the preview's is shown the preview again.
    changed = client.post(NEW, data={**sent, "facts": "另一事实", "step": "confirm"})
    assert changed.status_code == 409 and 'id="preview-stale"' in changed.get_data(as_text=True)
    assert _records(clean_app) == 0

    # Confirm writes one record; the same confirm again (double click, resend) none.
    done = client.post(NEW, data={**sent, "step": "confirm"})
    assert done.status_code == 302 and _records(clean_app) == 1
    again = client.post(NEW, data={**sent, "step": "confirm"})
    assert again.status_code == 302 and again.headers["Location"] == done.headers["Location"]
    assert _records(clean_app) == 1
    assert "重复提交未再次录入" in page(client, again.headers["Location"])

    # What the preview showed is what the public page shows.
    vid = done.headers["Location"].rsplit("/", 1)[-1]
    public = page(client, f"/violations/{vid}")
    assert _facts_list(preview) == _facts_list(public)
