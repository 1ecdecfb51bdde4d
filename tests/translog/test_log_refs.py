"""Every public record and rating the API returns names its latest entry in the public log
(``log_index``), and that entry names the same record."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise
from credit.extensions import db
from credit.translog import service
from credit.translog.records import LogRecord
from credit.uow import unit_of_work
from credit.violations import registry
from tests.parties import make_parties, make_pledge, make_violation, regulator_identity


def _entry(client, index: int) -> dict:
    got = client.get(f"/api/v1/log/entries/{index}")
    assert got.status_code == 200
    return got.get_json()


def _names(client, item: dict, kind: str, record_id: str) -> None:
    assert isinstance(item["log_index"], int), item
    entry = _entry(client, item["log_index"])
    assert (entry["kind"], entry["record_id"]) == (kind, record_id)
    assert entry["latest_index"] == item["log_index"]  # the record's latest entry


def _commend(uscc: str):
    today = clock.today()
    with unit_of_work() as uow:
        return registry.commend(
            regulator_identity("commendations:write"),
            uow,
            {
                "uscc": uscc,
                "title": "江苏省电子商务示范企业",
                "legal_basis": "苏商务〔2026〕1号",
                "granted_on": today - timedelta(days=3),
                "valid_until": today + timedelta(days=300),
            },
        )


def test_published_records_and_the_rating_carry_the_index_of_their_entry(app_ctx, client):
    parties = make_parties()
    uscc = parties.owner_uscc
    pledge = make_pledge(uscc, publish=True)
    violation = make_violation(parties)
    commendation = _commend(uscc)

    one = client.get(f"/api/v1/violations/{violation.id}").get_json()
    _names(client, one, "violation", violation.id)
    listed = client.get("/api/v1/violations").get_json()["items"]
    assert [v["log_index"] for v in listed if v["id"] == violation.id] == [one["log_index"]]
    mine = client.get(f"/api/v1/enterprises/{uscc}/violations").get_json()["items"]
    assert [v["log_index"] for v in mine] == [one["log_index"]]

    got = client.get(f"/api/v1/pledges/{pledge.id}").get_json()
    _names(client, got, "pledge", pledge.id)
    for url in ("/api/v1/pledges", f"/api/v1/enterprises/{uscc}/pledges"):
        items = client.get(url).get_json()["items"]
        assert [p["log_index"] for p in items if p["id"] == pledge.id] == [got["log_index"]]

    standing = client.get(f"/api/v1/enterprises/{uscc}/standing").get_json()
    (granted,) = standing["commendations"]
    _names(client, granted, "commendation", commendation.id)

    ent_id = db.session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == uscc))
    rating = client.get(f"/api/v1/enterprises/{uscc}/rating").get_json()
    _names(client, rating, "rating", ent_id)
    # The entry commits to the rating shown (its content is served while public).
    assert _entry(client, rating["log_index"])["content"]["grade"] == rating["grade"]
    # A replay is not the published rating: it names no entry.
    replay = client.get(
        f"/api/v1/enterprises/{uscc}/rating", query_string={"view": "recorded"}
    ).get_json()
    assert replay["log_index"] is None


def test_a_record_not_logged_yet_has_a_null_index(app_ctx, client):
    parties = make_parties()
    violation = make_violation(parties)
    # Its entries' records gone, as before the log's consumer has run.
    db.session.execute(sa.delete(LogRecord).where(LogRecord.record_id == violation.id))
    db.session.commit()
    assert client.get(f"/api/v1/violations/{violation.id}").get_json()["log_index"] is None


def test_the_profile_names_the_entries_of_its_records(app_ctx, client):
    from credit.identity import ANONYMOUS
    from credit.reports.service import build_profile

    parties = make_parties()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    violation = make_violation(parties)
    profile = build_profile(ANONYMOUS, parties.owner_uscc)
    indexes = service.log_indexes(db.session, "violation", [violation.id])
    assert [v["log_index"] for v in profile["violations"]] == [indexes[violation.id]]
    indexes = service.log_indexes(db.session, "pledge", [pledge.id])
    assert [p["log_index"] for p in profile["pledges"]] == [indexes[pledge.id]]
    assert isinstance(profile["rating"]["log_index"], int)
    # The profile page links each record to its entry; the report does not (its snapshot
    # is the record, its proof is elsewhere).
    page = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    for item in profile["violations"] + profile["pledges"]:
        assert f'href="/api/v1/log/entries/{item["log_index"]}"' in page
