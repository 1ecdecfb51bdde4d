"""The published scoring model versions: files shipped with the platform, plus the versions
operators publish into the database while the servers run.

Two layers, one catalog:

* **Files** (``credit/data/scoring`` or ``CREDIT_SCORING_MODELS_DIR``): ``index.json`` lists
  each version shipped with the code with the SHA-256 of its file; a file whose digest no
  longer matches was edited after publication and is refused (a published version is
  immutable: a change is a new version). Its ``current`` is the default current version.
* **The database** (tables ``scoring_model`` and ``scoring_catalog``):
  ``flask credit ratings publish-model FILE`` stores the document and its digest and may make
  it current. Every process and every host reads the same database, so a version published
  there is in use at once everywhere: each process reads the catalog's stamp once per
  transaction (one primary-key read) and reloads the versions only when the stamp changed.
  Publishing into a directory alone would reach one host, and only after a restart.

``catalog()`` answers with both layers; without a database session (start-up checks, pure
tools) it answers with the files alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.errors import NotFound
from credit.scoring.model import ModelError, ScoringModel

PACKAGED = Path(__file__).resolve().parents[1] / "data" / "scoring"


@dataclass(frozen=True)
class Catalog:
    directory: Path
    current: str
    models: dict[str, ScoringModel]
    #: The database stamp this catalog was built from (None: the files alone).
    stamp: str | None = None

    def get(self, version: str | None = None) -> ScoringModel:
        version = version or self.current
        try:
            return self.models[version]
        except KeyError:
            raise NotFound(
                f"评分模型版本 {version} 不存在或未发布 / scoring model {version} is not published"
            ) from None


def load(directory: Path) -> Catalog:
    """The versions shipped as files in ``directory`` (digests checked)."""
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


def _validated(raw: bytes, known: set[str]) -> ScoringModel:
    model = ScoringModel.from_dict(json.loads(raw))
    if model.version in known:
        raise ModelError(f"version {model.version} is already published and immutable")
    if not model.changelog:
        raise ModelError(f"version {model.version} needs a changelog")
    return model


def publish(
    directory: Path, source: Path, make_current: bool = True, today: date | None = None
) -> ScoringModel:
    """Add a new version to a models *directory* (validated; an existing version is never
    replaced). For building a catalog that ships with the code; running servers learn of it
    at their next start. ``publish_to_database`` is what reaches them at once."""
    raw = source.read_bytes()
    index_path = directory / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    model = _validated(raw, {e["version"] for e in index["published"]})
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
    with _lock:
        _files.pop(directory, None)
        _merged.pop(directory, None)
    forget_labels()
    return model


def publish_to_database(
    session: Session, raw: bytes, *, make_current: bool, published_by: str, now
) -> ScoringModel:
    """Store a new version in the database catalog (the caller's unit of work commits).

    The catalog row is locked first, so two publications never both take the same
    generation; every process picks the new stamp up at its next transaction."""
    from credit.ratings.models import CatalogState, PublishedModel

    state = session.scalar(sa.select(CatalogState).where(CatalogState.id == 1).with_for_update())
    model = _validated(raw, set(catalog(session).models))
    session.add(
        PublishedModel(
            version=model.version,
            document=raw.decode("utf-8"),
            sha256=hashlib.sha256(raw).hexdigest(),
            published_on=model.published_on,
            published_at=now,
            published_by=published_by,
        )
    )
    stamp = str(uuid.uuid4())
    if state is None:
        base = _files_catalog()
        session.add(
            CatalogState(
                id=1,
                current=model.version if make_current else base.current,
                generation=1,
                stamp=stamp,
                updated_at=now,
            )
        )
    else:
        state.generation += 1
        state.stamp = stamp
        state.updated_at = now
        if make_current:
            state.current = model.version
    session.flush()
    from credit.uow import transaction_memo

    transaction_memo(_STAMP_MEMO, session).clear()  # this transaction sees it too
    forget_labels()
    return model


# -- the catalog each process holds ------------------------------------------------------
_lock = threading.Lock()
_directory = PACKAGED
_files: dict[Path, Catalog] = {}
#: directory -> (database stamp, the files' catalog, the catalog merged from both)
_merged: dict[Path, tuple[str, Catalog, Catalog]] = {}
_STAMP_MEMO = "scoring_catalog_stamp"


def configure(directory: str | Path | None) -> None:
    """Choose the models directory (the packaged one when ``None``)."""
    global _directory
    _directory = Path(directory) if directory else PACKAGED


def current_directory() -> Path:
    return _directory


def _files_catalog() -> Catalog:
    with _lock:
        if _directory not in _files:
            _files[_directory] = load(_directory)
        return _files[_directory]


def _default_session() -> Session | None:
    from flask import has_app_context

    if not has_app_context():
        return None
    from credit.extensions import db

    return db.session


@functools.cache
def _state_statement() -> sa.Select:
    """Built once per process: every rating read asks for the catalog's state."""
    from credit.ratings.models import CatalogState

    return sa.select(CatalogState.stamp, CatalogState.current).where(CatalogState.id == 1)


def _state(session: Session) -> tuple[str, str] | None:
    """(stamp, current) of the database catalog, read once per transaction."""
    from credit.uow import transaction_memo

    memo = transaction_memo(_STAMP_MEMO, session)
    if "state" not in memo:
        row = session.execute(_state_statement()).first()
        memo["state"] = None if row is None else (row[0], row[1])
    return memo["state"]


def _merge(session: Session, base: Catalog, stamp: str, current: str) -> Catalog:
    from credit.ratings.models import PublishedModel

    models = dict(base.models)
    for version, document, digest in session.execute(
        sa.select(PublishedModel.version, PublishedModel.document, PublishedModel.sha256)
    ):
        raw = document.encode("utf-8")
        if hashlib.sha256(raw).hexdigest() != digest:
            raise ModelError(
                f"scoring model {version} was changed in the database after publication; "
                "publish a new version instead"
            )
        model = ScoringModel.from_dict(json.loads(raw))
        if model.version != version:
            raise ModelError(f"scoring model row {version} holds version {model.version}")
        models[version] = model
    if current not in models:
        raise ModelError(f"current model {current} is not published")
    return Catalog(base.directory, current, models, stamp)


#: How stale a catalog read for public labels may be (a grade's or tier's words on a search
#: result): the search index behind those results is refreshed each second too, so a model
#: publication in another process shows in labels within the same second, and a search
#: costs no database round trip for its labels.
LABELS_MAX_AGE = 1.0
#: (read at, models directory, catalog) of the last read for labels, per process.
_for_labels: tuple[float, Path, Catalog] | None = None


def catalog_for_labels() -> Catalog:
    """The catalog for words shown beside search results: this process's last read when
    it is under ``LABELS_MAX_AGE`` old, else read again (``catalog``). A publication in
    this process is seen at once; one in another process within ``LABELS_MAX_AGE``."""
    global _for_labels
    now = time.monotonic()
    with _lock:
        hit = _for_labels
    if hit is not None and hit[1] == _directory and now - hit[0] < LABELS_MAX_AGE:
        return hit[2]
    found = catalog()
    with _lock:
        _for_labels = (now, _directory, found)
    return found


def forget_labels() -> None:
    """Drop this process's catalog for labels (a publication here; tests that empty the
    database)."""
    global _for_labels
    with _lock:
        _for_labels = None


def catalog(session: Session | None = None) -> Catalog:
    """The catalog as of the caller's transaction: the files, plus the versions published in
    the database (``session``, or ``db.session`` inside an app context)."""
    base = _files_catalog()
    session = session if session is not None else _default_session()
    if session is None:
        return base
    state = _state(session)
    if state is None:
        return base
    stamp, current = state
    with _lock:
        hit = _merged.get(base.directory)
    if hit is not None and hit[0] == stamp and hit[1] is base:
        return hit[2]
    merged = _merge(session, base, stamp, current)
    with _lock:
        _merged[base.directory] = (stamp, base, merged)
    return merged
