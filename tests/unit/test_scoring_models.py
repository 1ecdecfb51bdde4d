"""Model versions as data: published files are immutable, new versions are validated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from credit.ratings import catalog
from credit.scoring.model import ModelError, ScoringModel


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(catalog.PACKAGED, target)
    return target


def test_every_published_version_loads_and_matches_its_digest() -> None:
    cat = catalog.load(catalog.PACKAGED)
    assert cat.current in cat.models
    for model in cat.models.values():
        assert model.changelog, f"{model.version} has no changelog"
        assert set(model.reasons) >= model.codes()


def test_an_edited_published_file_is_refused(tmp_path: Path) -> None:
    models = _copy(tmp_path)
    path = models / "2026.1.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"base": 650', '"base": 700'), encoding="utf-8"
    )
    with pytest.raises(ModelError, match="changed after publication"):
        catalog.load(models)


def _variant(tmp_path: Path, **changes) -> Path:
    doc = json.loads((catalog.PACKAGED / "2026.1.json").read_text(encoding="utf-8"))
    doc.update(
        {
            "version": "2027.1",
            "published_on": "2027-01-01",
            "changelog": ["提高表彰权重 / commendations weigh more"],
        }
    )
    for key, value in changes.items():
        doc[key] = value
    path = tmp_path / "new.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_publishing_a_new_version(tmp_path: Path) -> None:
    models = _copy(tmp_path)
    before = set(catalog.load(models).models)
    model = catalog.publish(models, _variant(tmp_path))
    cat = catalog.load(models)
    assert cat.current == model.version == "2027.1"
    assert set(cat.models) == before | {"2027.1"}
    with pytest.raises(ModelError, match="already published"):
        catalog.publish(models, _variant(tmp_path))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base": 900}, "exceeds 1000"),
        ({"grades": [{"grade": "AAA", "min_score": 0}]}, "grades must be"),
        ({"changelog": []}, "changelog"),
        ({"reasons": {"BASE": {"zh": "基础分", "en": "Base"}}}, "reason texts missing"),
    ],
)
def test_invalid_versions_are_refused(tmp_path: Path, changes, message) -> None:
    models = _copy(tmp_path)
    current = catalog.load(models).current
    with pytest.raises(ModelError, match=message):
        catalog.publish(models, _variant(tmp_path, **changes))
    assert catalog.load(models).current == current  # nothing was written


def test_a_model_with_a_missing_field_names_it() -> None:
    with pytest.raises(ModelError, match="signals"):
        ScoringModel.from_dict({"version": "x"})
