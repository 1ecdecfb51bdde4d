"""Daily open-data snapshots of the public record: build, list, find a file, prune.

A snapshot is a directory ``<root>/<YYYY-MM-DD>/`` holding, for each dataset of
``credit.opendata.datasets``, ``<dataset>.csv.gz`` (UTF-8 with a BOM inside, CRLF, every
cell guarded against spreadsheet formulas by ``credit.exchange.spreadsheet.csv_lines``)
and ``<dataset>.jsonl.gz`` (one JSON object a line), and a ``manifest.json``: when it was
issued, the scoring model version in force, and for each file its row count, byte size
and SHA-256. Lists and objects (a firm's shops, a pledge's clauses) are JSON text in a CSV
cell and JSON values in JSON Lines.

**Consistent.** Every dataset is read in one read-only transaction (REPEATABLE READ on
PostgreSQL; a deferred ``BEGIN`` on SQLite, whose WAL gives the reader one snapshot), so
the counts of the four files describe one moment.

**Atomic.** Files are written into a hidden temporary directory beside the snapshots and
renamed into place when complete: a reader sees a whole snapshot or none. Rebuilding a day
replaces its directory the same way.

**Bounded.** Rows stream from keyset pages straight into gzip; nothing holds a dataset in
memory. Only the newest ``keep`` snapshots are kept.

Gzip headers carry no name or time, so the same rows give the same bytes (and checksum).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from threading import Event
from typing import Any, BinaryIO

from credit import clock
from credit.errors import FieldError, NotFound, ValidationFailed
from credit.exchange.spreadsheet import csv_lines
from credit.extensions import db
from credit.identity import Identity
from credit.opendata.datasets import DATASETS, Dataset
from credit.permissions import can_read_public, require
from credit.ratings.catalog import catalog

MANIFEST = "manifest.json"
#: The two files of each dataset: suffix, media type served, format (the type inside).
FORMATS: tuple[tuple[str, str, str], ...] = (
    ("csv.gz", "application/gzip", "text/csv"),
    ("jsonl.gz", "application/gzip", "application/x-ndjson"),
)
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
FILE_NAME = re.compile(r"^[a-z]+\.(?:csv|jsonl)\.gz$|^manifest\.json$", re.ASCII)
_CHUNK = 1 << 16
#: Age after which a leftover temporary directory of a build is removed.
_STALE_SECONDS = 24 * 3600


def file_names() -> set[str]:
    """Every file name a snapshot may hold."""
    names = {MANIFEST}
    for dataset in DATASETS:
        names.update(f"{dataset.name}.{suffix}" for suffix, _, _ in FORMATS)
    return names


# -- writing -------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A CSV cell: empty for null, true/false, JSON text for a list or an object."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class _Gzip:
    """A gzip file without name or time in its header (the same rows, the same bytes)."""

    def __init__(self, path: Path) -> None:
        self.raw: BinaryIO = path.open("wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)

    def write(self, text: str) -> None:
        self.gz.write(text.encode("utf-8"))

    def close(self) -> None:
        self.gz.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return {"byte_size": path.stat().st_size, "sha256": digest.hexdigest()}


class BuildStopped(Exception):
    """The build was asked to stop (the worker is shutting down); nothing was published."""


def _write_dataset(
    dataset: Dataset, today: date, into: Path, stop: Event | None = None
) -> dict[str, Any]:
    """Both files of ``dataset`` (its rows as public on ``today``), in one pass; a set
    ``stop`` ends it at the next row."""
    names = dataset.field_names
    csv_out = _Gzip(into / f"{dataset.name}.csv.gz")
    json_out = _Gzip(into / f"{dataset.name}.jsonl.gz")
    rows = 0
    try:

        def cells() -> Iterator[list[str]]:
            nonlocal rows
            for row in dataset.rows(today):
                if stop is not None and stop.is_set():
                    raise BuildStopped(dataset.name)
                rows += 1
                json_out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
                yield [_cell(row[n]) for n in names]

        for line in csv_lines(names, cells()):
            csv_out.write(line)
    finally:
        csv_out.close()
        json_out.close()
    files = []
    for suffix, media_type, fmt in FORMATS:
        name = f"{dataset.name}.{suffix}"
        files.append(
            {"name": name, "media_type": media_type, "format": fmt, **_describe(into / name)}
        )
    return {"name": dataset.name, "rows": rows, "files": files}


@contextmanager
def _one_read_transaction() -> Iterator[None]:
    """Run the reads inside one read-only transaction (one consistent view), and end it."""
    session = db.session
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        conn = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    else:
        session.connection().exec_driver_sql("BEGIN")
    try:
        yield
    finally:
        session.rollback()


def valid_day(day: date, keep: int) -> date:
    """The day a snapshot is filed under: today (China time) or one of the ``keep - 1``
    days before, whose snapshot is kept (a day further back would be pruned at once)."""
    today = clock.today()
    if not today - timedelta(days=max(keep, 1) - 1) <= day <= today:
        raise ValidationFailed(
            "快照日期应为今天或保留期内的日期 / the date must be today or a kept day",
            [
                FieldError(
                    "date",
                    f"应在 {today - timedelta(days=max(keep, 1) - 1)} 至 {today} 之间 / "
                    "between the oldest kept day and today",
                    "out_of_range",
                )
            ],
        )
    return day


def build_snapshot(
    root: Path, day: date | None = None, keep: int = 7, stop: Event | None = None
) -> dict[str, Any]:
    """Write the snapshot of the public record now, filed under ``day`` (default today,
    China time), replace that day's snapshot if there was one, prune to ``keep``, and
    return its manifest. A set ``stop`` abandons it (:class:`BuildStopped`), leaving
    the snapshots as they were."""
    day = valid_day(day or clock.today(), keep)
    root.mkdir(parents=True, exist_ok=True)
    work = root / f".tmp-{day.isoformat()}-{uuid.uuid4().hex}"
    work.mkdir()
    try:
        with _one_read_transaction():
            issued = clock.now()
            model_version = catalog().current
            # The record as it is now (the API's view), whatever day it is filed under.
            datasets = [_write_dataset(d, clock.today(), work, stop) for d in DATASETS]
        manifest = {
            "date": day.isoformat(),
            "issued": issued.isoformat(timespec="seconds"),
            "model_version": model_version,
            "datasets": datasets,
        }
        with (work / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        _put_in_place(work, root / day.isoformat())
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    prune(root, keep)
    return manifest


def _put_in_place(work: Path, target: Path) -> None:
    """Rename the finished directory to ``target``; an existing one is moved aside first
    and then removed (a reader that opened one of its files keeps reading it)."""
    try:
        os.rename(work, target)
        return
    except OSError:
        if not target.exists():
            raise
    old = target.with_name(f".old-{target.name}-{uuid.uuid4().hex}")
    os.rename(target, old)
    os.rename(work, target)
    shutil.rmtree(old, ignore_errors=True)


def prune(root: Path, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` snapshots; returns the days removed."""
    days = snapshot_days(root)
    removed = days[max(keep, 1) :]
    for day in removed:
        shutil.rmtree(root / day, ignore_errors=True)
    # A build cut short (the worker stopped mid-way) leaves its temporary directory.
    stale = time.time() - _STALE_SECONDS
    for p in root.iterdir():
        if p.name.startswith((".tmp-", ".old-")) and p.is_dir() and p.stat().st_mtime < stale:
            shutil.rmtree(p, ignore_errors=True)
    return removed


# -- reading -------------------------------------------------------------------------------
def snapshot_days(root: Path) -> list[str]:
    """The days with a complete snapshot (a manifest), newest first."""
    if not root.is_dir():
        return []
    days = [p.name for p in root.iterdir() if DAY.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(days, reverse=True)


def has_snapshot(root: Path, day: date) -> bool:
    return (root / day.isoformat() / MANIFEST).is_file()


def read_manifest(root: Path, day: str) -> dict[str, Any]:
    if not DAY.match(day):
        raise NotFound("没有这一天的开放数据快照 / no snapshot of that day")
    try:
        with (root / day / MANIFEST).open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise NotFound(f"没有 {day} 的开放数据快照 / no snapshot of {day}") from None


def manifests(root: Path) -> list[dict[str, Any]]:
    """The manifests of the kept snapshots, newest first (one pruned meanwhile is skipped)."""
    out = []
    for day in snapshot_days(root):
        try:
            out.append(read_manifest(root, day))
        except NotFound:
            continue
    return out


@dataclass(frozen=True)
class SnapshotFile:
    path: Path
    media_type: str
    sha256: str | None
    byte_size: int


def find_file(identity: Identity, root: Path, day: str, name: str) -> SnapshotFile:
    """One file of a snapshot, strictly by the names a snapshot holds (a day of the form
    YYYY-MM-DD that has a snapshot, a file name the manifest lists): anything else,
    including any path trickery, is not found."""
    require(can_read_public(identity))
    if not DAY.match(day) or not FILE_NAME.match(name) or name not in file_names():
        raise NotFound("没有这个文件 / no such file")
    manifest = read_manifest(root, day)
    path = root / day / name
    if name == MANIFEST:
        return SnapshotFile(path, "application/json", None, path.stat().st_size)
    for dataset in manifest["datasets"]:
        for f in dataset["files"]:
            if f["name"] == name and path.is_file():
                return SnapshotFile(path, f["media_type"], f["sha256"], f["byte_size"])
    raise NotFound(f"{day} 的快照中没有 {name} / no {name} in the snapshot of {day}")
