"""Open-data snapshots of the demo data (issue 20): the counts equal the API's totals, the
checksums verify, every row parses, nothing masked on the pages appears unmasked, only
public records appear, and the files are served with Range and ETag (through the test
client and the real gunicorn).

One snapshot of the demo data (plus a few records that must stay out) is built for the
module; the download tests build their own on a small record, as they run per client.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from credit import clock
from credit.exchange.spreadsheet import guard
from credit.masking import mask_person_name
from credit.opendata import snapshots
from credit.opendata.datasets import BY_NAME, DATASETS
from tests.conftest import reset_state
from tests.helpers import import_records, sample_records, without_after_commit_hooks
from tests.parties import (
    make_parties,
    make_pledge,
    make_violation,
    owner_identity,
    regulator_identity,
)

PRIVATE_PHONE = "13912345678"
PUBLIC_PHONE = "025-86661234"


def _root(app) -> Path:
    return Path(app.config["CREDIT_OPEN_DATA_DIR"])


def _path(url: str) -> str:
    return urlsplit(url).path


def _files(client, catalogue: dict) -> dict[str, bytes]:
    """Every file of the newest snapshot, downloaded through the API."""
    out = {}
    for dataset in catalogue["datasets"]:
        for dist in dataset["distributions"]:
            r = client.get(_path(dist["download_url"]))
            assert r.status_code == 200, dist["download_url"]
            out[dist["title"]] = r.get_data()
    return out


@pytest.fixture(scope="module")
def snapshot(app):
    """The demo data, a non-public and an ended violation, a draft pledge, a private and a
    public business contact; then the snapshot of it all."""
    from credit.enterprises import service as enterprises
    from credit.extensions import db
    from credit.uow import unit_of_work
    from credit.violations import service as violations
    from credit.violations.models import Violation

    reset_state(app)
    shutil.rmtree(_root(app), ignore_errors=True)
    runner = app.test_cli_runner()
    made = runner.invoke(args=["credit", "demo", "--enterprises", "150", "--seed", "7"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        parties = make_parties()
        minor = make_violation(parties, severity="minor")  # not published (minor)
        revoked = make_violation(parties, severity="general")
        ended = make_violation(parties, severity="serious")
        minor_id, revoked_id, ended_id = minor.id, revoked.id, ended.id
        with unit_of_work() as uow:
            violations.revoke_violation(
                regulator_identity(), uow, revoked_id, "复议撤销", revoked.version
            )
        # A window that ended yesterday (as the sweep would find it after years).
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(Violation)
                .where(Violation.id == ended_id)
                .values(publish_until=clock.today() - timedelta(days=1))
            )
        draft = make_pledge(parties.owner_uscc)  # a draft: never public
        for code, phone, shown in (
            (parties.owner_uscc, PRIVATE_PHONE, False),
            (parties.other_uscc, PUBLIC_PHONE, True),
        ):
            identity = owner_identity(code)
            version = enterprises.get_enterprise(identity, code).version
            with unit_of_work() as uow:
                enterprises.update_enterprise_profile(
                    identity,
                    uow,
                    code,
                    {"business_contact": {"phone": phone, "public": shown}},
                    version,
                )
        ids = {"draft": draft.id, "minor": minor_id, "ended": ended_id, "revoked": revoked_id}
        db.session.remove()
    built = runner.invoke(args=["credit", "open-data", "build"])
    assert built.exit_code == 0, built.output
    manifest = json.loads(built.output)
    client = app.test_client()
    catalogue = client.get("/api/v1/open-data").get_json()
    files = _files(client, catalogue)
    return {
        "manifest": manifest,
        "catalogue": catalogue,
        "files": files,
        "ids": ids,
        "parties": parties,
    }


def _jsonl(data: bytes) -> list[dict]:
    text = gzip.decompress(data).decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _csv(data: bytes) -> list[list[str]]:
    text = gzip.decompress(data).decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV starts with a BOM (Excel reads UTF-8)"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def _rows(snapshot, name: str) -> list[dict]:
    return _jsonl(snapshot["files"][f"{name}.jsonl.gz"])


def test_counts_equal_the_api_totals(app, snapshot) -> None:
    client = app.test_client()
    counts = {d["name"]: d["row_count"] for d in snapshot["catalogue"]["datasets"]}
    for name, path in (
        ("enterprises", "/api/v1/enterprises"),
        ("pledges", "/api/v1/pledges"),
        ("violations", "/api/v1/violations"),
    ):
        total = client.get(path).get_json()["total"]
        assert counts[name] == total > 0, name
    # Every firm is rated once the demo is delivered: one rating row per firm.
    assert counts["ratings"] == counts["enterprises"]
    assert {d["name"]: d["rows"] for d in snapshot["manifest"]["datasets"]} == counts


def test_checksums_and_sizes_verify(snapshot) -> None:
    manifest = {f["name"]: f for d in snapshot["manifest"]["datasets"] for f in d["files"]}
    for dataset in snapshot["catalogue"]["datasets"]:
        assert dataset["distributions"], dataset["name"]
        for dist in dataset["distributions"]:
            data = snapshot["files"][dist["title"]]
            assert dist["checksum"] == {
                "algorithm": "sha256",
                "value": hashlib.sha256(data).hexdigest(),
            }
            assert dist["byte_size"] == len(data) == manifest[dist["title"]]["byte_size"]
            assert dist["checksum"]["value"] == manifest[dist["title"]]["sha256"]
            assert dist["media_type"] == "application/gzip"
            assert dist["format"] in {"text/csv", "application/x-ndjson"}
            assert dist["row_count"] == dataset["row_count"]


def test_every_row_parses_and_csv_agrees_with_json_lines(snapshot) -> None:
    for dataset in DATASETS:
        files = snapshot["files"]
        rows = _jsonl(files[f"{dataset.name}.jsonl.gz"])
        table = _csv(files[f"{dataset.name}.csv.gz"])
        assert table[0] == dataset.field_names
        count = next(
            d["rows"] for d in snapshot["manifest"]["datasets"] if d["name"] == dataset.name
        )
        assert len(rows) == len(table) - 1 == count
        for row, cells in zip(rows, table[1:], strict=True):
            assert list(row) == dataset.field_names
            assert cells == [guard(snapshots._cell(row[n])) for n in dataset.field_names]


def test_catalogue_is_dcat_style(snapshot) -> None:
    cat = snapshot["catalogue"]
    for key in ("title", "title_en", "description", "description_en"):
        assert cat[key]
    assert cat["licence"]["url"].endswith("/about#terms")
    assert cat["publisher"]["name"] and cat["issued"] and cat["modified"]
    assert [d["name"] for d in cat["datasets"]] == [
        "enterprises",
        "pledges",
        "violations",
        "ratings",
    ]
    assert cat["snapshots"][0]["date"] == clock.today().isoformat()
    assert cat["snapshots"][0]["model_version"] == snapshot["manifest"]["model_version"]


def test_the_files_say_what_the_api_says(app, snapshot) -> None:
    """The same projection: rows equal the API's own items, field by field."""
    client = app.test_client()
    for name, path in (("violations", "/api/v1/violations"), ("pledges", "/api/v1/pledges")):
        by_id = {r["id"]: r for r in _rows(snapshot, name)}
        items = client.get(path, query_string={"size": 100}).get_json()["items"]
        for item in items:
            row = by_id[item["id"]]
            assert row == {k: item[k] for k in BY_NAME[name].field_names}, name
    ents = {r["uscc"]: r for r in _rows(snapshot, "enterprises")}
    for item in client.get("/api/v1/enterprises", query_string={"size": 100}).get_json()["items"]:
        assert ents[item["uscc"]] == {k: item[k] for k in BY_NAME["enterprises"].field_names}
    ratings = _rows(snapshot, "ratings")
    assert {r["model_version"] for r in ratings} and all(r["model_version"] for r in ratings)
    for row in ratings[:: max(1, len(ratings) // 10)]:
        api = client.get(f"/api/v1/enterprises/{row['uscc']}/rating").get_json()
        assert (row["grade"], row["score"], row["model_version"], row["tier"]) == (
            api["grade"],
            api["score"],
            api["model_version"],
            api["tier"],
        )


def test_no_masked_field_appears_unmasked(app, snapshot) -> None:
    from credit.enterprises.models import Enterprise, Shop
    from credit.extensions import db
    from credit.pledges.models import Pledge

    everything = "\n".join(
        gzip.decompress(data).decode("utf-8") for data in snapshot["files"].values()
    )
    with app.app_context():
        people = db.session.execute(
            sa.select(Enterprise.uscc, Enterprise.legal_representative).where(
                Enterprise.legal_representative_kind == "natural_person",
                Enterprise.legal_representative.is_not(None),
            )
        ).all()
        signers = db.session.scalars(sa.select(Pledge.signer_name)).all()
        names_of_firms = " ".join(
            db.session.scalars(sa.select(Enterprise.name)).all()
            + db.session.scalars(sa.select(Shop.shop_name)).all()
        )
    assert len(people) > 20 and signers
    ents = {r["uscc"]: r for r in _rows(snapshot, "enterprises")}
    for uscc, person in people:
        assert ents[uscc]["legal_representative"] == mask_person_name(person)
    full_names = {n for n in [p for _, p in people] + list(signers) if len(n) >= 2}
    for name in full_names:
        if name in names_of_firms:
            continue  # also a firm's or shop's own (public) name
        assert name not in everything, f"the unmasked name {name} is in the snapshot"
    for pledge in _rows(snapshot, "pledges"):
        assert "*" in pledge["signer_name"]
    assert PRIVATE_PHONE not in everything  # a contact the firm keeps private
    other = ents[snapshot["parties"].other_uscc]
    assert other["business_contact"]["phone"] == PUBLIC_PHONE  # one it publishes


def test_only_public_records_appear(snapshot) -> None:
    ids = snapshot["ids"]
    pledges = {r["id"] for r in _rows(snapshot, "pledges")}
    violations = {r["id"] for r in _rows(snapshot, "violations")}
    assert ids["draft"] not in pledges
    assert not {ids["minor"], ids["ended"], ids["revoked"]} & violations
    assert all(r["status"] != "draft" for r in _rows(snapshot, "pledges"))
    today = clock.today().isoformat()
    for v in _rows(snapshot, "violations"):
        assert v["public_from"] <= today <= v["publish_until"]
        assert v["status"] in {"published", "under_objection", "corrected"}


def test_the_page_explains_every_field_and_lists_the_checksums(app, snapshot) -> None:
    client = app.test_client()
    html = client.get("/data").get_data(as_text=True)
    for dataset in DATASETS:
        for f in dataset.fields:
            assert f"<code>{f.name}</code>" in html
    for dataset in snapshot["catalogue"]["datasets"]:
        for dist in dataset["distributions"]:
            assert dist["checksum"]["value"] in html
            assert dist["download_url"] in html
    english = client.get("/data", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Files of the newest snapshot" in english
    assert 'id="footer-open-data"' in client.get("/about").get_data(as_text=True)


def test_cli_lists_and_refuses_a_day_out_of_range(app, snapshot) -> None:
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["credit", "open-data", "list"])
    assert listed.exit_code == 0
    first = json.loads(listed.output.splitlines()[0])
    assert first["date"] == clock.today().isoformat()
    assert first["rows"] == {d["name"]: d["rows"] for d in snapshot["manifest"]["datasets"]}
    future = (clock.today() + timedelta(days=1)).isoformat()
    refused = runner.invoke(args=["credit", "open-data", "build", "--date", future])
    assert refused.exit_code != 0 and "date" in refused.output


# -- builds, pruning and downloads on a small record ---------------------------------------
def test_builds_replace_a_day_and_keep_the_newest(app_ctx, tmp_path) -> None:
    import_records(sample_records(5))
    today = clock.today()
    for days in (3, 2, 1, 0):
        snapshots.build_snapshot(tmp_path, today - timedelta(days=days), keep=7)
    assert snapshots.snapshot_days(tmp_path)[0] == today.isoformat()
    again = snapshots.build_snapshot(tmp_path, today, keep=2)  # rebuilt, then pruned to 2
    assert snapshots.snapshot_days(tmp_path) == [
        today.isoformat(),
        (today - timedelta(days=1)).isoformat(),
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert again["datasets"][0]["rows"] == 5
    again2 = snapshots.build_snapshot(tmp_path, today, keep=2)
    assert again2["datasets"] == again["datasets"]  # same rows, same bytes, same checksums


def _small_snapshot(app) -> dict:
    shutil.rmtree(_root(app), ignore_errors=True)
    with app.app_context():
        import_records(sample_records(8))
        snapshots.build_snapshot(_root(app), keep=7)


def test_download_range_etag_and_404(any_client, clean_app) -> None:
    _small_snapshot(clean_app)
    catalogue = any_client.get("/api/v1/open-data").get_json()
    dist = catalogue["datasets"][0]["distributions"][0]
    url = _path(dist["download_url"])
    full = any_client.get(url)
    assert full.status_code == 200
    assert full.headers["Content-Type"] == "application/gzip"
    assert full.headers["Accept-Ranges"] == "bytes"
    etag = full.headers["ETag"]
    assert etag == f'"{dist["checksum"]["value"]}"'
    body = full.get_data()
    assert hashlib.sha256(body).hexdigest() == dist["checksum"]["value"]

    part = any_client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.get_data() == body[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    tail = any_client.get(url, headers={"Range": "bytes=100-", "If-Range": etag})
    assert tail.status_code == 206 and tail.get_data() == body[100:]
    stale = any_client.get(url, headers={"Range": "bytes=100-", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.get_data() == body  # changed: the whole file

    unchanged = any_client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""

    day = catalogue["snapshots"][0]["date"]
    manifest = any_client.get(f"/api/v1/open-data/{day}/manifest.json").get_json()
    assert manifest["date"] == day

    for bad in (
        "/api/v1/open-data/2026-02-30/enterprises.csv.gz",
        "/api/v1/open-data/1999-01-01/enterprises.csv.gz",
        f"/api/v1/open-data/{day}/secret.csv.gz",
        f"/api/v1/open-data/{day}/..%2f..%2fsecret_key",
        f"/api/v1/open-data/{day}/.%2e",
        f"/api/v1/open-data/{day}/ENTERPRISES.CSV.GZ",
        "/api/v1/open-data/..%2f..%2f/secret_key",
    ):
        r = any_client.get(bad)
        assert r.status_code == 404, bad
        assert r.headers["Content-Type"].startswith("application/problem+json"), bad


def test_an_empty_catalogue_and_page(client, clean_app) -> None:
    shutil.rmtree(_root(clean_app), ignore_errors=True)
    cat = client.get("/api/v1/open-data").get_json()
    assert cat["datasets"] == [] and cat["snapshots"] == [] and cat["modified"] is None
    assert 'id="open-data-none"' in client.get("/data").get_data(as_text=True)


def test_the_worker_builds_todays_snapshot_when_missing(app_ctx, tmp_path) -> None:
    import threading
    import time

    from credit.extensions import db
    from credit.worker import Worker, WorkerSettings

    import_records(sample_records(4))
    engine = db.engine
    with without_after_commit_hooks(engine):
        settings = WorkerSettings(lease_seconds=3, poll_seconds=0.05, open_data_dir=str(tmp_path))
        worker = Worker(engine, settings, context=app_ctx.app_context)

        def run() -> None:
            with app_ctx.app_context():
                worker.run(install_signals=False)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while not snapshots.has_snapshot(tmp_path, clock.today()):
                assert time.monotonic() < deadline, "the worker never built the snapshot"
                time.sleep(0.1)
        finally:
            worker.stop.set()
            thread.join(30)
    manifest = snapshots.read_manifest(tmp_path, clock.today().isoformat())
    assert manifest["datasets"][0]["rows"] == 4


def test_a_snapshot_is_one_moment(app_ctx, tmp_path, monkeypatch) -> None:
    """A firm registered (and rated) while the snapshot is being written is in none of its
    files: the ratings, read after the registry, still match it row for row."""
    import dataclasses
    import threading

    from credit.extensions import db
    from credit.ratings.models import CurrentRating

    records = sample_records(6)
    import_records(records[:5])
    registry = BY_NAME["enterprises"]

    def register_late() -> None:
        with app_ctx.app_context():
            import_records(records[5:])
            db.session.remove()

    def rows_then_a_write(day):
        yield from registry.rows(day)
        writer = threading.Thread(target=register_late)
        writer.start()
        writer.join(30)

    patched = (dataclasses.replace(registry, rows=rows_then_a_write), *DATASETS[1:])
    monkeypatch.setattr(snapshots, "DATASETS", patched)
    manifest = snapshots.build_snapshot(tmp_path)
    rows = {d["name"]: d["rows"] for d in manifest["datasets"]}
    assert rows["enterprises"] == rows["ratings"] == 5
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CurrentRating)) == 6


def test_a_stopped_build_publishes_nothing(app_ctx, tmp_path) -> None:
    """The worker stopping mid-build abandons it: no snapshot, no temporary directory."""
    import threading

    import_records(sample_records(3))
    stop = threading.Event()
    stop.set()
    with pytest.raises(snapshots.BuildStopped):
        snapshots.build_snapshot(tmp_path, stop=stop)
    assert list(tmp_path.iterdir()) == []
