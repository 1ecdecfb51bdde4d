"""Scoring models published into the database (issue 15): every process sees a new version
at its next transaction, a published version is immutable, and a tampered row is refused."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.errors import ValidationFailed
from credit.extensions import db
from credit.identity import SYSTEM
from credit.ratings import catalog
from credit.ratings import service as ratings
from credit.ratings.models import CatalogState, PublishedModel
from credit.scoring.model import ModelError
from credit.uow import unit_of_work


def _document(version: str) -> bytes:
    shipped = catalog.load(catalog.PACKAGED)
    entry = json.loads((catalog.PACKAGED / "index.json").read_text(encoding="utf-8"))
    name = next(e["file"] for e in entry["published"] if e["version"] == shipped.current)
    doc = json.loads((catalog.PACKAGED / name).read_text(encoding="utf-8"))
    doc.update(version=version, changelog=["测试版本 / a test version"])
    return json.dumps(doc, ensure_ascii=False).encode()


def test_a_version_published_in_one_session_is_seen_by_another(app_ctx) -> None:
    other = Session(db.engine)  # another process would hold its own connection
    try:
        before = catalog.catalog(other)
        other.rollback()  # its transaction ends, as a request's does
        with unit_of_work() as uow:
            ratings.publish_model(SYSTEM, uow, _document("2099.2"))
        after = catalog.catalog(other)
        assert "2099.2" not in before.models
        assert after.current == "2099.2" and "2099.2" in after.models
        assert set(before.models) < set(after.models)
    finally:
        other.close()
    listed = {m["version"]: m["current"] for m in ratings.list_models(SYSTEM)}
    assert listed["2099.2"] is True


def test_a_published_version_is_immutable(app_ctx) -> None:
    with unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, _document("2099.3"), make_current=False)
    assert catalog.catalog().current != "2099.3"
    with pytest.raises(ValidationFailed) as refused, unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, _document("2099.3"))
    assert "already published" in refused.value.errors[0].message
    with pytest.raises(ValidationFailed), unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, b'{"version": "x"}')


def test_a_row_edited_after_publication_is_refused(app_ctx) -> None:
    with unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, _document("2099.4"), make_current=False)
    doc = db.session.get(PublishedModel, "2099.4").document.replace('"base": ', '"base":  ')
    with unit_of_work() as uow:
        uow.session.execute(
            sa.update(PublishedModel).where(PublishedModel.version == "2099.4").values(document=doc)
        )
        # as a hand edit would, with the stamp moved so every process reloads
        uow.session.execute(sa.update(CatalogState).values(stamp="edited-by-hand"))
    db.session.rollback()
    with pytest.raises(ModelError, match="changed in the database"):
        catalog.catalog()


def test_labels_see_a_publication_here_at_once_and_elsewhere_within_a_second(
    app_ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words beside search results come from a catalog each process reads at most once
    a second (``catalog_for_labels``): a search costs no database round trip for them. A
    publication in this process is seen at once; one in another process (here: the
    catalog row changed behind this process's back) once ``LABELS_MAX_AGE`` has passed."""
    before = catalog.catalog_for_labels()
    with unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, _document("2099.5"))
    assert catalog.catalog_for_labels().current == "2099.5"  # published here: at once
    with unit_of_work() as uow:
        ratings.publish_model(SYSTEM, uow, _document("2099.6"), make_current=False)
    monkeypatch.setattr(catalog, "LABELS_MAX_AGE", 3600.0)  # "within": however slow the run
    seen = catalog.catalog_for_labels()
    with db.engine.begin() as conn:  # another process makes 2099.6 current
        conn.execute(sa.update(CatalogState).values(current="2099.6", stamp="elsewhere"))
    db.session.rollback()
    assert catalog.catalog_for_labels() is seen  # within the second: this process's read
    monkeypatch.setattr(catalog, "LABELS_MAX_AGE", 0.0)
    assert catalog.catalog_for_labels().current == "2099.6"  # past it: read again
    assert before.current != "2099.6"
