"""The key-enterprise list and its pledge coverage, in-process: who may keep the list,
history, the coverage state for every pledge situation, CSV upload all-or-nothing,
reminders as stored rows and change events, the firm's view."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.errors import Conflict, PermissionDenied, ValidationFailed
from credit.extensions import db
from credit.identity import SYSTEM
from credit.keyfirms import service as keyfirms
from credit.keyfirms.models import KeyListing, KeyListingEvent, KeyReminder
from credit.pledges import service as pledges
from credit.uow import unit_of_work
from tests.keyfirms.helpers import add, make_department, state_of
from tests.parties import make_pledge, make_violation, owner_identity, regulator_identity


def test_department_adds_and_removes_with_history(parties, department) -> None:
    listing = add(department, parties.owner_uscc)
    assert state_of(parties.owner_uscc) == "none"
    with pytest.raises(Conflict):
        add(department, parties.owner_uscc)
    with unit_of_work() as uow:
        keyfirms.remove_listing(department, uow, listing.id, "企业已注销网店")
    assert state_of(parties.owner_uscc) == "not listed"
    history = keyfirms.listing_history(department, parties.owner_uscc)
    assert [(h.action, h.reason) for h in history] == [
        ("removed", "企业已注销网店"),
        ("added", "年交易额居全市前列"),
    ]
    row = db.session.get(KeyListing, listing.id)
    assert row.removal_reason == "企业已注销网店" and row.removed_by == department.subject
    events = db.session.scalars(
        sa.select(ChangeEvent.entity_id).where(ChangeEvent.entity_type == "key_listing")
    ).all()
    assert events == [listing.id, listing.id]
    # Removed, it may be listed again in the same category.
    add(department, parties.owner_uscc)
    assert state_of(parties.owner_uscc) == "none"


def test_only_a_commerce_department_with_the_scope_writes(parties, department) -> None:
    market = make_department(parties.owner_city, code="SCJG", kind="market_regulation")
    with pytest.raises(PermissionDenied):
        add(market, parties.owner_uscc)
    unscoped = department.__class__(
        department.kind,
        department.subject,
        authority_id=department.authority_id,
        scopes=frozenset({"enterprises:read"}),
        jurisdiction=department.jurisdiction,
    )
    with pytest.raises(PermissionDenied):
        add(unscoped, parties.owner_uscc)
    with pytest.raises(PermissionDenied):
        add(owner_identity(parties.owner_uscc), parties.owner_uscc)
    # A firm outside its jurisdiction is a field error, not a silent listing.
    with pytest.raises(ValidationFailed) as exc:
        add(department, parties.other_uscc)
    assert [e.field for e in exc.value.errors] == ["uscc"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyListing)) == 0


def test_listing_period_decides_whether_the_firm_is_listed(parties, department) -> None:
    today = clock.today()
    add(department, parties.owner_uscc, listed_from=today + timedelta(days=3))
    assert state_of(parties.owner_uscc) == "not listed"
    assert state_of(parties.owner_uscc, today + timedelta(days=3)) == "none"


def test_coverage_follows_the_pledge(parties, department) -> None:
    add(department, parties.owner_uscc)
    owner = owner_identity(parties.owner_uscc)
    pledge = make_pledge(parties.owner_uscc, publish=True)
    assert state_of(parties.owner_uscc) == "in_force"
    ends = pledge.valid_until
    assert state_of(parties.owner_uscc, ends - timedelta(days=30)) == "expiring"
    assert state_of(parties.owner_uscc, ends - timedelta(days=31)) == "in_force"
    assert state_of(parties.owner_uscc, ends + timedelta(days=1)) == "expired"
    with unit_of_work() as uow:
        pledges.withdraw_pledge(owner, uow, pledge.id, "业务调整，停止网店经营", pledge.version)
    assert state_of(parties.owner_uscc) == "withdrawn"


def test_a_pledge_of_another_kind_does_not_cover(parties, department) -> None:
    add(department, parties.owner_uscc)
    make_violation(parties, days_ago=120)  # a repair pledge is made for a record
    make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    assert state_of(parties.owner_uscc) == "none"


def test_a_public_breach_shows_and_a_revoked_one_does_not(parties, department) -> None:
    from credit.violations import service as violations

    add(department, parties.owner_uscc)
    pledge = make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, days_ago=0, breached=[{"pledge_id": pledge.id, "clause": "C03"}])
    assert state_of(parties.owner_uscc) == "breached"
    regulator = regulator_identity()
    with unit_of_work() as uow:
        violations.revoke_violation(regulator, uow, v.id, "复议撤销原决定", v.version)
    assert state_of(parties.owner_uscc) == "in_force"


def _csv(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def test_csv_upload_adds_every_row(parties, department) -> None:
    from tests.helpers import import_records, sample_records

    extra = [r for r in sample_records(60, seed=77) if r["city_code"] == parties.owner_city][:2]
    import_records(extra)
    text = _csv(
        "统一社会信用代码,类别,列入理由,起始日期,截止日期",
        f"{parties.owner_uscc},电子商务平台经营者,全省重点平台,{clock.today()},",
        f"{extra[0]['uscc']},老字号企业,江苏老字号,{clock.today()},"
        f"{clock.today() + timedelta(days=365)}",
        f"{extra[1]['uscc']},live_commerce_base,直播基地,{clock.today()},",
    )
    with unit_of_work() as uow:
        report = keyfirms.upload_listings(department, uow, text, "list.csv")
    assert len(report.added) == 3
    sources = set(db.session.scalars(sa.select(KeyListingEvent.source)))
    assert sources == {"api csv:list.csv"}


def test_csv_upload_is_all_or_nothing_with_line_errors(parties, department) -> None:
    add(department, parties.owner_uscc, category="time_honoured_brand")
    text = _csv(
        "uscc,category,reason,listed_from",
        f"{parties.owner_uscc},platform_operator,全省重点平台,{clock.today()}",  # 2: fine
        f"{parties.owner_uscc},no_such_category,理由,{clock.today()}",  # 3: category
        f"{parties.other_uscc},platform_operator,理由,{clock.today()}",  # 4: jurisdiction
        f"{parties.owner_uscc},time_honoured_brand,理由,{clock.today()}",  # 5: already listed
        f"{parties.owner_uscc},platform_operator,again,{clock.today()}",  # 6: duplicate of 2
        "91320000MA1XXXXXXX,platform_operator,理由,2026-13-01",  # 7: code and date
    )
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        keyfirms.upload_listings(department, uow, text, "bad.csv")
    fields = {e.field for e in exc.value.errors}
    assert {
        "line 2: uscc",
        "line 3: category",
        "line 4: uscc",
        "line 5: category",
        "line 6: uscc",
        "line 7: uscc",
        "line 7: listed_from",
    } <= fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyListing)) == 1


def test_csv_with_a_bad_header_is_refused(parties, department) -> None:
    with pytest.raises(ValidationFailed) as exc, unit_of_work() as uow:
        keyfirms.upload_listings(department, uow, _csv("uscc,colour", "x,y"), "h.csv")
    assert [e.field for e in exc.value.errors] == ["file"]


def test_reminders_go_to_uncovered_firms_and_are_events(parties, department) -> None:
    from tests.helpers import import_records, sample_records

    covered = next(r for r in sample_records(60, seed=78) if r["city_code"] == parties.owner_city)
    import_records([covered])
    add(department, parties.owner_uscc)
    add(department, covered["uscc"])
    make_pledge(covered["uscc"], publish=True)
    due = clock.today() + timedelta(days=14)
    with unit_of_work() as uow:
        sent = keyfirms.send_reminders(department, uow, {"due_on": due}).sent
    assert [r.enterprise_id for r in sent] == [owner_identity(parties.owner_uscc).enterprise_id]
    events = db.session.scalars(
        sa.select(ChangeEvent.entity_id).where(ChangeEvent.entity_type == "key_reminder")
    ).all()
    assert events == [sent[0].id]
    asked = keyfirms.what_is_asked(owner_identity(parties.owner_uscc))
    assert [r.listing.category for r in asked.rows] == ["platform_operator"]
    assert [(r.due_on, r.state) for r in asked.reminders] == [(due, "none")]
    assert "voluntary_public" in asked.reminders[0].required_pledge_types
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyReminder)) == 1


def test_figures_by_city_category_and_industry(parties, department) -> None:
    add(department, parties.owner_uscc, category="platform_operator")
    add(department, parties.owner_uscc, category="cross_border_leader")
    make_pledge(parties.owner_uscc, publish=True)
    page, figures = keyfirms.list_key_enterprises(SYSTEM)
    assert len(page.items) == 2
    assert (figures.total, figures.covered, figures.rate) == (2, 2, 1.0)
    assert figures.by_city == {parties.owner_city: [2, 2]}
    assert figures.by_category == {"platform_operator": [1, 1], "cross_border_leader": [1, 1]}
    assert sum(v[0] for v in figures.by_industry.values()) == 2
    _, only_none = keyfirms.list_key_enterprises(SYSTEM, {"coverage": "none"})
    assert only_none.total == 0
    rows, mine = keyfirms.department_coverage(department)
    assert mine.total == 2 and len(rows) == 2
    assert keyfirms.key_categories(rows[0].enterprise.id) == [
        "cross_border_leader",
        "platform_operator",
    ]


def test_the_sweep_records_a_listing_whose_period_starts(parties, department) -> None:
    from credit import clock as clock_mod
    from credit.keyfirms.service import key_categories, record_due_listings

    start = clock.today() + timedelta(days=3)
    listing = add(department, parties.owner_uscc, listed_from=start)
    with unit_of_work() as uow:
        assert record_due_listings(SYSTEM, uow) == 0
    later = clock.now() + timedelta(days=3)
    clock_mod.set_clock(lambda: later)
    try:
        assert key_categories(listing.enterprise_id) == ["platform_operator"]
        with unit_of_work() as uow:
            assert record_due_listings(SYSTEM, uow) == 1
        with unit_of_work() as uow:
            assert record_due_listings(SYSTEM, uow) == 0  # idempotent
    finally:
        clock_mod.set_clock(None)
    events = db.session.scalars(
        sa.select(ChangeEvent.entity_id).where(ChangeEvent.entity_type == "key_listing")
    ).all()
    assert events == [listing.id, listing.id]
