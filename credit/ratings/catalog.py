"""The published scoring model versions, read from files the operators publish.

``index.json`` lists each published version with the SHA-256 of its file; a file whose
digest no longer matches was edited after publication and is refused (a published version
is immutable: a change is a new version). ``current`` names the version new ratings use.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from credit.errors import NotFound
from credit.scoring.model import ModelError, ScoringModel

PACKAGED = Path(__file__).resolve().parents[1] / "data" / "scoring"


@dataclass(frozen=True)
class Catalog:
    directory: Path
    current: str
    models: dict[str, ScoringModel]

    def get(self, version: str | None = None) -> ScoringModel:
        version = version or self.current
        try:
            return self.models[version]
        except KeyError:
            raise NotFound(
                f"评分模型版本 {version} 不存在或未发布 / scoring model {version} is not published"
            ) from None


def load(directory: Path) -> Catalog:
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    models: dict[str, ScoringModel] = {}
    for entry in index["published"]:
        raw = (directory / entry["file"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            raise ModelError(
                f"scoring model {entry['version']}: {entry['file']} was changed "
                "after publication; publish a new version instead"
            )
        model = ScoringModel.from_dict(json.loads(raw))
        if model.version != entry["version"]:
            raise ModelError(
                f"{entry['file']} holds version {model.version}, index says {entry['version']}"
            )
        models[model.version] = model
    if index["current"] not in models:
        raise ModelError(f"current model {index['current']} is not published")
    return Catalog(directory, index["current"], models)


def publish(
    directory: Path, source: Path, make_current: bool = True, today: date | None = None
) -> ScoringModel:
    """Add a new version to the catalog (validated; an existing version is never
    replaced)."""
    raw = source.read_bytes()
    model = ScoringModel.from_dict(json.loads(raw))
    index_path = directory / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    if any(e["version"] == model.version for e in index["published"]):
        raise ModelError(f"version {model.version} is already published and immutable")
    if not model.changelog:
        raise ModelError(f"version {model.version} needs a changelog")
    name = f"{model.version}.json"
    (directory / name).write_bytes(raw)
    index["published"].append(
        {
            "version": model.version,
            "file": name,
            "published_on": (today or model.published_on).isoformat(),
            "sha256": hashlib.sha256(raw).hexdigest(),
        }
    )
    if make_current:
        index["current"] = model.version
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(index_path)
    _cache.clear()
    return model


_cache: dict[Path, Catalog] = {}
_lock = threading.Lock()
_directory = PACKAGED


def configure(directory: str | Path | None) -> None:
    """Choose the models directory (the packaged one when ``None``)."""
    global _directory
    _directory = Path(directory) if directory else PACKAGED


def current_directory() -> Path:
    return _directory


def catalog() -> Catalog:
    with _lock:
        if _directory not in _cache:
            _cache[_directory] = load(_directory)
        return _cache[_directory]
