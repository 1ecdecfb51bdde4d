"""Events from the change feed: which changes become which webhook events, for which
endpoints, with public data only, and each at most once per endpoint."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from credit import changes, clock
from credit.extensions import db
from credit.uow import unit_of_work
from tests.parties import make_parties, make_pledge, make_violation, regulator_identity
from tests.webhooks.helpers import deliveries, make_endpoint, types_of


def test_a_violation_is_published_then_revoked(app_ctx) -> None:
    from credit.violations import service as violations

    parties = make_parties()
    endpoint, _ = make_endpoint(event_types=["violation.published", "violation.revoked"])
    v = make_violation(parties)
    assert types_of(endpoint.id) == ["violation.published"]
    sent = deliveries(endpoint.id)[0]
    assert sent.event_id.startswith("msg_") and sent.status == "pending"
    body = sent.payload
    assert body["type"] == "violation.published"
    data = body["data"]
    assert data["id"] == v.id and data["decision_number"] == v.decision_number
    assert data["enterprise"]["uscc"] == parties.owner_uscc
    assert data["link"] == f"http://localhost/api/v1/violations/{v.id}"
    assert data["enterprise"]["link"] == f"http://localhost/api/v1/enterprises/{parties.owner_uscc}"

    with unit_of_work() as uow:
        violations.revoke_violation(regulator_identity(), uow, v.id, "复议撤销原决定", v.version)
    assert types_of(endpoint.id) == ["violation.published", "violation.revoked"]
    revoked = deliveries(endpoint.id)[1].payload["data"]
    # The record has left the public pages: the event names it, nothing more.
    assert revoked["status"] == "revoked" and "facts" not in revoked
    assert "decision_number" not in revoked


def test_events_are_queued_once_however_often_the_feed_is_replayed(app_ctx) -> None:
    parties = make_parties()
    endpoint, _ = make_endpoint(event_types=["violation.published"])
    make_violation(parties)
    first = [(d.event_id, d.id) for d in deliveries(endpoint.id)]
    assert len(first) == 1
    # Rewind the consumer to the start: every change is delivered again.
    db.session.execute(
        sa.update(changes.ConsumerCursor)
        .where(changes.ConsumerCursor.name == "webhooks")
        .values(position=0)
    )
    db.session.commit()
    changes.run_all(db.session, raise_errors=True)
    assert [(d.event_id, d.id) for d in deliveries(endpoint.id)] == first


def test_filters_and_types_choose_the_endpoints(app_ctx) -> None:
    parties = make_parties()
    everything, _ = make_endpoint()
    mine, _ = make_endpoint(filters={"usccs": [parties.owner_uscc]})
    other_firm, _ = make_endpoint(filters={"usccs": [parties.other_uscc]})
    other_city, _ = make_endpoint(
        filters={"cities": ["321300" if parties.owner_city != "321300" else "320100"]}
    )
    pledges_only, _ = make_endpoint(event_types=["pledge.published"])
    make_violation(parties)
    assert "violation.published" in types_of(everything.id)
    assert "violation.published" in types_of(mine.id)
    assert types_of(other_firm.id) == []
    assert types_of(other_city.id) == []
    assert types_of(pledges_only.id) == []


def test_pledges_published_and_withdrawn(app_ctx) -> None:
    from credit.pledges import service as pledges
    from tests.parties import owner_identity

    parties = make_parties()
    endpoint, _ = make_endpoint(event_types=["pledge.published", "pledge.withdrawn"])
    pledge = make_pledge(parties.owner_uscc, publish=True)
    assert types_of(endpoint.id) == ["pledge.published"]
    data = deliveries(endpoint.id)[0].payload["data"]
    # The signer is a natural person: masked as on the public profile.
    assert data["signer"] != pledge.signer_name and "*" in data["signer"]
    assert pledge.signer_name not in str(deliveries(endpoint.id)[0].payload)
    with unit_of_work() as uow:
        pledges.withdraw_pledge(
            owner_identity(parties.owner_uscc), uow, pledge.id, "业务调整", pledge.version
        )
    assert types_of(endpoint.id) == ["pledge.published", "pledge.withdrawn"]


def test_grade_changes_and_the_serious_list(app_ctx) -> None:
    from credit.violations import registry

    parties = make_parties()
    endpoint, _ = make_endpoint(
        event_types=["grade.changed", "serious_list.entered", "serious_list.left"]
    )
    make_violation(parties, severity="serious")
    grade = [d for d in deliveries(endpoint.id) if d.event_type == "grade.changed"]
    assert len(grade) == 1, types_of(endpoint.id)
    data = grade[0].payload["data"]
    assert data["grade"] != data["previous_grade"]
    assert data["link"].endswith(f"/enterprises/{parties.owner_uscc}/rating")

    regulator = regulator_identity()
    with unit_of_work() as uow:
        entry = registry.list_on_serious_list(
            regulator,
            uow,
            {
                "uscc": parties.owner_uscc,
                "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
                "reason": "一年内两次受到较重行政处罚",
                "listed_on": clock.today(),
                "remove_on": clock.today() + timedelta(days=365),
            },
        )
    assert "serious_list.entered" in types_of(endpoint.id)
    with unit_of_work() as uow:
        registry.remove_from_serious_list(
            regulator,
            uow,
            entry.id,
            {"ground": "error", "removed_on": clock.today(), "reason": "列入对象错误"},
        )
    assert "serious_list.left" in types_of(endpoint.id)


def test_an_endpoint_is_not_sent_the_history(app_ctx) -> None:
    """Changes committed before an endpoint existed are not its events."""
    parties = make_parties()
    make_violation(parties)
    late, _ = make_endpoint()
    db.session.execute(
        sa.update(changes.ConsumerCursor)
        .where(changes.ConsumerCursor.name == "webhooks")
        .values(position=0)
    )
    db.session.commit()
    changes.run_all(db.session, raise_errors=True)
    assert types_of(late.id) == []


def _listing(uscc: str, listed_on, remove_on):
    from credit.violations import registry

    with unit_of_work() as uow:
        return registry.list_on_serious_list(
            regulator_identity(),
            uow,
            {
                "uscc": uscc,
                "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
                "reason": "一年内两次受到较重行政处罚",
                "listed_on": listed_on,
                "remove_on": remove_on,
            },
        )


def test_time_brings_a_listing_into_force_and_ends_it(app_ctx, frozen_clock) -> None:
    """A listing recorded for a later day is entered on that day, and one whose period
    runs out leaves the list then: the sweep records both moments, once."""
    from credit.sweeps import sweep

    parties = make_parties()
    endpoint, _ = make_endpoint(event_types=["serious_list.entered", "serious_list.left"])
    today = clock.today()
    _listing(parties.owner_uscc, today + timedelta(days=3), today + timedelta(days=30))
    assert types_of(endpoint.id) == []
    sweep()
    assert types_of(endpoint.id) == []  # not in force yet
    frozen_clock.advance(timedelta(days=4).total_seconds())
    sweep()
    assert types_of(endpoint.id) == ["serious_list.entered"]
    frozen_clock.advance(timedelta(days=30).total_seconds())
    sweep()
    sweep()  # idempotent: the moment is recorded once
    assert types_of(endpoint.id) == ["serious_list.entered", "serious_list.left"]
    left = deliveries(endpoint.id)[1].payload["data"]
    assert left["left_on"] == (today + timedelta(days=30)).isoformat()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                changes.ChangeEvent.entity_type == "serious_list",
                changes.ChangeEvent.entity_version.in_([3, 4]),
            )
        )
        == 2
    )
