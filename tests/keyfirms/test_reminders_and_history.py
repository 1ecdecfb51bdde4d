"""Reminders are not repeated within the quiet period (CREDIT_KEY_REMINDER_QUIET_DAYS),
per firm and requirement; the list's history a page at a time, newest first; the listings
whose period has not started, removable like any other. In-process: pure domain rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from credit import clock
from credit.changes import ChangeEvent
from credit.extensions import db
from credit.keyfirms import service as keyfirms
from credit.keyfirms.models import KeyReminder
from credit.uow import unit_of_work
from tests.keyfirms.helpers import add


@pytest.fixture
def later():
    """Move the clock forward by some days, then put it back."""

    def move(days: int) -> None:
        moment = clock.now() + timedelta(days=days)
        clock.set_clock(lambda: moment)

    yield move
    clock.set_clock(None)


def remind(department, quiet_days: int = 7):
    due = clock.today() + timedelta(days=14)
    with unit_of_work() as uow:
        return keyfirms.send_reminders(department, uow, {"due_on": due}, quiet_days=quiet_days)


def reminder_events() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ChangeEvent)
        .where(ChangeEvent.entity_type == "key_reminder")
    )


def test_a_second_run_within_the_quiet_period_skips_the_firm(parties, department, later):
    add(department, parties.owner_uscc)
    first = remind(department)
    assert (len(first.sent), len(first.skipped)) == (1, 0)
    second = remind(department)
    assert (len(second.sent), len(second.skipped)) == (0, 1)
    skipped = second.skipped[0]
    assert skipped.enterprise.uscc == parties.owner_uscc
    assert skipped.category == "platform_operator"
    assert skipped.last_sent == first.sent[0].created_at
    assert reminder_events() == 1  # nothing recorded for the channels either

    later(6)  # still inside 7 days
    assert len(remind(department).sent) == 0
    later(7)  # a week after: reminded again
    again = remind(department)
    assert (len(again.sent), len(again.skipped)) == (1, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyReminder)) == 2


def test_no_quiet_period_reminds_every_time(parties, department):
    add(department, parties.owner_uscc)
    assert len(remind(department, quiet_days=0).sent) == 1
    assert len(remind(department, quiet_days=0).sent) == 1


def test_one_reminder_per_requirement_not_per_category(parties, department):
    # Two categories asking for the same pledge type: one requirement, one reminder.
    add(department, parties.owner_uscc, category="platform_operator")
    add(department, parties.owner_uscc, category="cross_border_leader")
    first = remind(department)
    assert len(first.sent) == 1
    # A category asking for another set of types is a new requirement: reminded of it
    # although the firm was reminded of the other today.
    add(department, parties.owner_uscc, category="live_commerce_base")
    second = remind(department)
    assert [r.category for r in second.sent] == ["live_commerce_base"]
    assert sorted(second.sent[0].required_pledge_types) == [
        "industry_self_discipline",
        "voluntary_public",
    ]
    assert len(second.skipped) == 1


def test_history_a_page_at_a_time_newest_first(parties, department, later):
    listing = add(department, parties.owner_uscc, category="platform_operator")
    later(1)
    add(department, parties.owner_uscc, category="cross_border_leader")
    later(2)
    with unit_of_work() as uow:
        keyfirms.remove_listing(department, uow, listing.id, "不再符合条件")
    first = keyfirms.listing_history_page(department, page=1, size=2)
    assert (first.total, first.pages) == (3, 2)
    assert [(c.event.action, c.event.category) for c in first.items] == [
        ("removed", "platform_operator"),
        ("added", "cross_border_leader"),
    ]
    assert first.items[0].event.reason == "不再符合条件"
    assert first.items[0].event.actor == department.subject
    assert first.items[0].enterprise.uscc == parties.owner_uscc
    second = keyfirms.listing_history_page(department, page=2, size=2)
    assert [(c.event.action, c.event.category) for c in second.items] == [
        ("added", "platform_operator")
    ]


def test_a_listing_not_started_is_shown_apart_and_can_be_removed(parties, department):
    start = clock.today() + timedelta(days=10)
    future = add(department, parties.owner_uscc, listed_from=start)
    add(department, parties.owner_uscc, category="cross_border_leader")  # in force today
    assert [x.id for x in keyfirms.scheduled_listings(department)] == [future.id]
    rows, _ = keyfirms.department_coverage(department)
    assert [r.listing.category for r in rows] == ["cross_border_leader"]
    with unit_of_work() as uow:
        keyfirms.remove_listing(department, uow, future.id, "列入有误，尚未生效即撤销")
    assert keyfirms.scheduled_listings(department) == []
    assert keyfirms.scheduled_listings(department, day=start) == []
    history = keyfirms.listing_history(department, parties.owner_uscc)
    assert history[0].action == "removed" and history[0].listing_id == future.id
