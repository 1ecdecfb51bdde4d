"""The search indexer: a change-feed consumer that keeps the public indices in step with the
database, plus the rebuild (``reindex``) and the comparison (``check``).

At-least-once and idempotent: it indexes the *current* rows, versioned by the change-feed
position they reflect (``external_gte``), so replays and out-of-order deliveries are
harmless; a row that left public view (a withdrawn pledge, a repaired record, one whose
publicity ended) is deleted from the index. An enterprise's document carries its rating and
the counts of its public records, and pledge and violation documents carry the firm's name
and grade, so a change to one re-indexes the others it shows in.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import multiprocessing
import sqlite3
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from credit import clock, publicity
from credit.accounts.models import Authority
from credit.changes import Change, ChangeEvent, Consumer, ConsumerCursor
from credit.collector import few_collections as _few_collections
from credit.collector import restore as restore_collections
from credit.enterprises.models import Enterprise, Shop
from credit.idlists import in_ids
from credit.keyfirms.service import key_categories_of
from credit.owners import enterprises_touched
from credit.planner import unindexed_on_sqlite
from credit.pledges.models import Pledge, PledgeBreach, PledgeTemplate
from credit.ratings.models import CurrentRating
from credit.violations.models import (
    Commendation,
    Correction,
    SeriousListEntry,
    Violation,
)
from search.backend import BackendUnavailable, Document, IndexSpec, SearchBackend
from search.documents import (
    ENTERPRISES,
    FIRM_COLUMNS,
    PLEDGES,
    RATING_COLUMNS,
    SPECS,
    VIOLATIONS,
    EnterpriseStats,
    FirmRow,
    RatingFields,
    enterprise_document,
    is_indexed_pledge,
    pledge_document,
    violation_document,
)

log = logging.getLogger(__name__)

CONSUMER_NAME = "search-indexer"
#: Up to this many documents a write is made searchable at once (Elasticsearch: refresh):
#: a whole delivery batch, so a violation delivered beside a sweep step's events is found
#: when the batch returns rather than at the next periodic refresh (up to 1 s later).
#: Larger writes (rebuilds, bulk loads) are left to the refresh interval.
VISIBLE_AT_ONCE = 500
_CHUNK = 500
#: "Published", written so SQLite does not use the index on the few-valued status: without
#: statistics it would prefer it to the firm's (and, for a rebuild's batches, to the primary
#: key, reading and sorting every published pledge for each batch: credit.planner).
_PUBLISHED = unindexed_on_sqlite(Pledge.status) == "published"


def head(session: Session) -> int:
    """The newest change-feed position (what a document built now reflects at least)."""
    return session.scalar(sa.select(sa.func.max(ChangeEvent.id))) or 0


def _chunks(ids: Sequence[str], n: int = _CHUNK) -> Iterable[list[str]]:
    ids = list(ids)
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def _ratings(session: Session, enterprise_ids: Iterable[str]) -> dict[str, RatingFields]:
    """The current ratings of these firms, as the fields their documents show."""
    out: dict[str, RatingFields] = {}
    for chunk in _chunks(list(set(enterprise_ids))):
        for eid, *fields in session.execute(
            sa.select(CurrentRating.enterprise_id, *RATING_COLUMNS).where(
                in_ids(session, CurrentRating.enterprise_id, chunk)
            )
        ):
            out[eid] = RatingFields(*fields)
    return out


def _firm_rows(session: Session, ids: list[str]) -> list[FirmRow]:
    """These firms as rows (those that exist), in the database's order."""
    return [
        FirmRow(*row)
        for row in session.execute(
            sa.select(*FIRM_COLUMNS).where(in_ids(session, Enterprise.id, ids))
        )
    ]


def _firms(session: Session, ids: Iterable[str]) -> dict[str, FirmRow]:
    """The firms of a batch of records, read once for the batch."""
    return {f.id: f for chunk in _chunks(list(set(ids))) for f in _firm_rows(session, chunk)}


def enterprise_stats(session: Session, ids: Sequence[str]) -> dict[str, EnterpriseStats]:
    today = clock.today()
    stats = {i: EnterpriseStats() for i in ids}
    for chunk in _chunks(ids):
        for eid, categories in key_categories_of(chunk, today, session).items():
            stats[eid].key_categories = categories
        for eid, n in session.execute(
            sa.select(Pledge.enterprise_id, sa.func.count())
            .where(
                in_ids(session, Pledge.enterprise_id, chunk),
                _PUBLISHED,
                Pledge.valid_from <= today,
                Pledge.valid_until >= today,
            )
            .group_by(Pledge.enterprise_id)
        ):
            stats[eid].published_pledges = n
        public = sa.and_(
            in_ids(session, Violation.enterprise_id, chunk), publicity.public_clause(today)
        )
        for eid, n, disputed, serious in session.execute(
            sa.select(
                Violation.enterprise_id,
                sa.func.count(),
                sa.func.max(sa.case((Violation.objection_pending.is_(True), 1), else_=0)),
                sa.func.max(sa.case((Violation.severity == "serious", 1), else_=0)),
            )
            .where(public)
            .group_by(Violation.enterprise_id)
        ):
            stats[eid].active_violations = n
            if disputed:
                stats[eid].flags.append("under_objection")
            if serious:  # a public serious record: named in words beside the firm everywhere
                stats[eid].flags.append("serious_violation")
        for (eid,) in session.execute(
            sa.select(SeriousListEntry.enterprise_id)
            .distinct()
            .where(
                in_ids(session, SeriousListEntry.enterprise_id, chunk),
                SeriousListEntry.removed_at.is_(None),
                SeriousListEntry.listed_on <= today,
                SeriousListEntry.remove_on > today,
            )
        ):
            stats[eid].flags.append("serious_list")
        for (eid,) in session.execute(
            sa.select(Commendation.enterprise_id)
            .distinct()
            .where(
                in_ids(session, Commendation.enterprise_id, chunk),
                Commendation.granted_on <= today,
                Commendation.valid_until >= today,
            )
        ):
            stats[eid].flags.append("commended")
    return stats


def _write(
    backend: SearchBackend,
    spec: IndexSpec,
    docs: list[Document],
    gone: list[str],
    version: int,
    target: str | None,
) -> None:
    if docs:
        backend.write(
            spec, docs, visible=target is None and len(docs) <= VISIBLE_AT_ONCE, target=target
        )
    if gone and target is None:
        backend.delete(spec, [(i, version) for i in gone])


def index_enterprises(
    session: Session,
    backend: SearchBackend,
    ids: Sequence[str],
    version: int | None = None,
    target: str | None = None,
) -> int:
    """Index the current state of these enterprises; delete those that no longer exist."""
    version = head(session) if version is None else version
    done = 0
    for chunk in _chunks(ids):
        rows = _firm_rows(session, chunk)
        shops: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        for eid, name, platform in session.execute(
            sa.select(Shop.enterprise_id, Shop.shop_name, Shop.platform)
            .where(in_ids(session, Shop.enterprise_id, chunk))
            .order_by(Shop.enterprise_id, Shop.position)
        ):
            shops[eid].append((name, platform))
        ratings = _ratings(session, chunk)
        stats = enterprise_stats(session, chunk)
        docs = [
            enterprise_document(e, ratings.get(e.id), stats[e.id], version, shops[e.id])
            for e in rows
        ]
        found = {e.id for e in rows}
        _write(backend, ENTERPRISES, docs, [i for i in chunk if i not in found], version, target)
        done += len(docs)
    return done


def _breached_clauses(session: Session, pledge_ids: list[str]) -> dict[str, list[str]]:
    """Pledge id -> its breached clauses (``Pledge.breached_clauses``) for these pledges,
    in one statement: with their breaches loaded as objects (``selectin``, an ``IN`` of
    500 ids that psycopg parses for placeholders), building a pledge's document took 42 µs
    of CPU, now 34 (PostgreSQL, a million firms)."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    if pledge_ids:
        for pid, clause in session.execute(
            sa.select(PledgeBreach.pledge_id, PledgeBreach.clause_code).where(
                in_ids(session, PledgeBreach.pledge_id, pledge_ids),
                PledgeBreach.in_force,
            )
        ):
            found[pid].add(clause)
    return {pid: sorted(clauses) for pid, clauses in found.items()}


def index_pledges(
    session: Session,
    backend: SearchBackend,
    ids: Sequence[str],
    version: int | None = None,
    target: str | None = None,
) -> int:
    """Index these pledges if they are public; delete them from the index otherwise."""
    version = head(session) if version is None else version
    today = clock.today()
    done = 0
    templates = {t.id: t for t in session.scalars(sa.select(PledgeTemplate))}
    for chunk in _chunks(ids):
        rows = session.scalars(
            sa.select(Pledge)
            .where(in_ids(session, Pledge.id, chunk))
            .options(
                lazyload(Pledge.enterprise),
                lazyload(Pledge.template),
                lazyload(Pledge.breaches),  # only their clauses, read below
            )
        ).all()
        public = [p for p in rows if is_indexed_pledge(p)]
        firms = _firms(session, (p.enterprise_id for p in public))
        ratings = _ratings(session, (p.enterprise_id for p in public))
        breached = _breached_clauses(session, [p.id for p in public])
        docs = [
            pledge_document(
                p,
                ratings.get(p.enterprise_id),
                today,
                version,
                firms[p.enterprise_id],
                templates[p.template_id],
                breached.get(p.id, []),
            )
            for p in public
        ]
        keep = {p.id for p in public}
        _write(backend, PLEDGES, docs, [i for i in chunk if i not in keep], version, target)
        done += len(docs)
    return done


def _corrected(session: Session, violation_ids: list[str]) -> set[str]:
    """The ones of these violations that have corrections (their status: ``corrected``),
    in one statement rather than their corrections loaded as objects (a violation's
    document: 39 -> 35 µs of CPU)."""
    if not violation_ids:
        return set()
    return set(
        session.scalars(
            sa.select(Correction.violation_id)
            .where(in_ids(session, Correction.violation_id, violation_ids))
            .distinct()
        )
    )


def index_violations(
    session: Session,
    backend: SearchBackend,
    ids: Sequence[str],
    version: int | None = None,
    target: str | None = None,
) -> int:
    """Index these violations while they are public; delete them from the index otherwise."""
    version = head(session) if version is None else version
    today = clock.today()
    done = 0
    authorities = dict(session.execute(sa.select(Authority.id, Authority.name)).all())
    for chunk in _chunks(ids):
        rows = session.scalars(
            sa.select(Violation)
            .where(in_ids(session, Violation.id, chunk))
            .options(
                lazyload(Violation.enterprise),
                lazyload(Violation.authority),
                lazyload(Violation.clauses),  # not in the document: not loaded
                lazyload(Violation.corrections),  # only whether there are any, read below
            )
        ).all()
        public = [v for v in rows if publicity.is_public(v, today)]
        firms = _firms(session, (v.enterprise_id for v in public))
        ratings = _ratings(session, (v.enterprise_id for v in public))
        corrected = _corrected(session, [v.id for v in public])
        docs = [
            violation_document(
                v,
                ratings.get(v.enterprise_id),
                today,
                version,
                firms[v.enterprise_id],
                authorities[v.authority_id],
                v.id in corrected,
            )
            for v in public
        ]
        keep = {v.id for v in public}
        _write(backend, VIOLATIONS, docs, [i for i in chunk if i not in keep], version, target)
        done += len(docs)
    return done


@dataclass
class Affected:
    enterprises: set[str] = field(default_factory=set)
    pledges: set[str] = field(default_factory=set)
    violations: set[str] = field(default_factory=set)


def affected(session: Session, changes: Sequence[Change]) -> Affected:
    """Which documents a batch of changes touches."""
    out = Affected()
    for c in changes:
        if c.entity_type == "pledge":
            out.pledges.add(c.entity_id)
        elif c.entity_type == "violation":
            out.violations.add(c.entity_id)
    out.enterprises.update(enterprises_touched(session, changes))
    # A firm's own change or new rating shows in each of its record documents too.
    firms = [c.entity_id for c in changes if c.entity_type in {"enterprise", "rating"}]
    out.enterprises.update(firms)
    for chunk in _chunks(list(set(firms))):
        out.pledges.update(
            session.scalars(
                sa.select(Pledge.id).where(in_ids(session, Pledge.enterprise_id, chunk), _PUBLISHED)
            )
        )
        out.violations.update(
            session.scalars(
                sa.select(Violation.id).where(
                    in_ids(session, Violation.enterprise_id, chunk),
                    Violation.published.is_(True),
                    Violation.status == "active",
                )
            )
        )
    return out


def make_consumer(backend: SearchBackend, batch_size: int = 1000) -> Consumer:
    ready = {"indices": False}

    def handle(session: Session, changes: Sequence[Change]) -> None:
        if not ready["indices"]:
            for spec in SPECS.values():
                backend.ensure_index(spec)  # the index may be new, or was dropped
            ready["indices"] = True
        version = changes[-1].id
        todo = affected(session, changes)
        try:
            index_enterprises(session, backend, sorted(todo.enterprises), version)
            index_pledges(session, backend, sorted(todo.pledges), version)
            index_violations(session, backend, sorted(todo.violations), version)
        except Exception:
            ready["indices"] = False
            raise

    # The search service down (or its embedded file locked) is no fault of an event: the
    # indexer retries from its cursor, nothing is set aside.
    return Consumer(
        CONSUMER_NAME, handle, batch_size, transient=(BackendUnavailable, sqlite3.OperationalError)
    )


_SOURCES: dict[str, tuple[Callable, Callable]] = {
    "enterprises": (lambda: sa.select(Enterprise.id), index_enterprises),
    # _PUBLISHED: with the status index SQLite read and sorted every published pledge for
    # each batch of a rebuild (0.5 s a batch at 1.5 million), not the next ids.
    "pledges": (lambda: sa.select(Pledge.id).where(_PUBLISHED), index_pledges),
    "violations": (
        lambda: sa.select(Violation.id).where(
            Violation.published.is_(True), Violation.status == "active"
        ),
        index_violations,
    ),
}


def _public_ids(session: Session, name: str, batch_size: int) -> Iterable[list[str]]:
    select, _ = _SOURCES[name]
    model_id = select().selected_columns[0]
    last = ""
    while True:
        ids = session.scalars(
            select().where(model_id > last).order_by(model_id).limit(batch_size)
        ).all()
        if not ids:
            return
        yield list(ids)
        last = ids[-1]


def public_counts(session: Session) -> dict[str, int]:
    """How many rows each rebuild reads (for a progress bar)."""
    out = {}
    for name, (select, _) in _SOURCES.items():
        out[name] = session.scalar(sa.select(sa.func.count()).select_from(select().subquery())) or 0
    return out


def rewind(session: Session, position: int) -> None:
    """Make the indexer deliver again every event after ``position`` (it is idempotent)."""
    session.execute(
        sa.update(ConsumerCursor)
        .where(ConsumerCursor.name == CONSUMER_NAME, ConsumerCursor.position > position)
        .values(position=position)
    )
    session.commit()


def build_documents(
    session: Session, name: str, ids: Sequence[str], version: int
) -> list[Document]:
    """The documents the database says index ``name`` should hold for these ids (the
    public ones among them), without writing anything."""
    probe = _Collect()
    _SOURCES[name][1](session, probe, ids, version, "probe")
    return probe.docs


_worker: dict = {}

#: Turns a batch of documents into what the backend's ``load`` adds
#: (``SearchBackend.load_rows``).
LoadRows = Callable[[IndexSpec, list[Document]], Any]


def _init_worker(url: str, now: datetime, rows: LoadRows) -> None:
    from credit.database import standalone_engine
    from search.pinyin import spelled

    clock.set_clock(lambda: now)  # every document of a rebuild is built for one instant
    _worker["session"] = Session(standalone_engine(url))
    _worker["rows"] = rows
    spelled("")  # its table loaded now, before the collector is told to leave it be
    _few_collections()


def _build_in_worker(name: str, ids: list[str], version: int) -> tuple[int, Any]:
    """(documents, the backend's rows of them): the rows are what crosses back to the
    writer, compact (text) where documents were pickled dataclasses of dicts."""
    session = _worker["session"]
    try:
        docs = build_documents(session, name, ids, version)
        return len(docs), _worker["rows"](SPECS[name], docs)
    finally:
        session.rollback()
        session.expunge_all()


def _batches(
    session: Session, name: str, version: int, batch_size: int, rows: LoadRows, pool
) -> Iterator[tuple[int, int, Any]]:
    """(ids read, documents, the backend's rows of them) per batch of public ids, built
    here or in ``pool``'s workers (at most two batches ahead per worker, in order)."""
    batches = _public_ids(session, name, batch_size)
    if pool is None:
        for ids in batches:
            docs = build_documents(session, name, ids, version)
            session.expunge_all()
            yield len(ids), len(docs), rows(SPECS[name], docs)
        return
    pending: deque = deque()
    for ids in batches:
        pending.append((len(ids), pool.apply_async(_build_in_worker, (name, ids, version))))
        if len(pending) >= 2 * pool._processes:
            n, job = pending.popleft()
            yield n, *job.get()
    while pending:
        n, job = pending.popleft()
        yield n, *job.get()


class _Sender:
    """Loads batches into a generation being rebuilt, up to ``backend.load_streams`` of
    them at once, in threads (the requests wait on the backend, not on Python). A load's
    error is raised by a later call or on leaving the block, which waits for every load
    still running first (the rebuild's own error, if it failed, wins)."""

    def __init__(self, backend: SearchBackend, spec: IndexSpec, target: str) -> None:
        self.load = functools.partial(backend.load, spec, target)
        self.streams = max(1, backend.load_streams)
        self.pool = (
            concurrent.futures.ThreadPoolExecutor(self.streams, thread_name_prefix="load")
            if self.streams > 1
            else None
        )
        self.running: deque[concurrent.futures.Future] = deque()

    def __call__(self, rows: Any) -> None:
        if self.pool is None:
            self.load(rows)
            return
        while len(self.running) >= self.streams:
            self.running.popleft().result()
        self.running.append(self.pool.submit(self.load, rows))

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        if self.pool is None:
            return
        self.pool.shutdown(wait=True, cancel_futures=failed is not None)
        while self.running and failed is None:
            self.running.popleft().result()


def reindex(
    session: Session,
    backend: SearchBackend,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    specs: Sequence[str] | None = None,
    workers: int = 1,
) -> dict[str, int]:
    """Rebuild indices from the database into new generations and swap them in.

    Searches use the old generation until the swap, so there is no gap in service. Writes
    that happen meanwhile go to the old generation; the indexer is rewound to the
    position the rebuild started from, so it replays them onto the new one.

    With ``workers`` > 1, worker processes read the rows, build the documents and turn
    them into the backend's rows (``load_rows``) while this process only adds them.
    """
    rows = backend.load_rows()
    thresholds, froze = _few_collections()
    pool = None
    if workers > 1:
        url = session.get_bind().url.render_as_string(hide_password=False)
        pool = multiprocessing.get_context("spawn").Pool(
            workers, initializer=_init_worker, initargs=(url, clock.now(), rows)
        )
    done: dict[str, int] = {}
    starts: list[int] = []
    loaded: list[tuple[str, str, int, int]] = []
    try:
        for name in specs or list(SPECS):
            spec = SPECS[name]
            backend.ensure_index(spec)
            start = head(session)
            starts.append(start)
            session.commit()
            target = backend.begin_rebuild(spec)
            count = 0
            with _Sender(backend, spec, target) as send:
                for n, built, batch in _batches(session, name, start, batch_size, rows, pool):
                    if built:
                        send(batch)
                    count += built
                    if progress:
                        progress(n)
            # Settling (Elasticsearch's merge) runs while the next index loads; the swaps
            # come after the last load.
            backend.settle(spec, target)
            loaded.append((name, target, start, count))
        for name, target, start, count in loaded:
            backend.finish_rebuild(SPECS[name], target)
            rewind(session, start)
            done[name] = count
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        restore_collections(thresholds, froze)
    if specs is None and starts:
        # Every index now reflects the feed up to min(starts): an indexer that was further
        # behind need not deliver those events again.
        session.execute(
            sa.update(ConsumerCursor)
            .where(ConsumerCursor.name == CONSUMER_NAME, ConsumerCursor.position < min(starts))
            .values(position=min(starts))
        )
        session.commit()
    return done


@dataclass
class CheckReport:
    index: str
    expected: int
    indexed: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    repaired: bool = False


def check(
    session: Session,
    backend: SearchBackend,
    repair: bool = True,
    specs: Sequence[str] | None = None,
) -> list[CheckReport]:
    """Compare each index with the documents the database says it should hold (ids and
    content); with ``repair``, index what is missing or stale and delete what is extra."""
    reports = []
    for name in specs or list(SPECS):
        spec = SPECS[name]
        backend.ensure_index(spec)
        version = head(session)
        indexed = backend.versions(spec)
        index = _SOURCES[name][1]
        expected: set[str] = set()
        stale: list[str] = []
        for ids in _public_ids(session, name, 2000):
            docs = build_documents(session, name, ids, version)
            live = backend.get_many(spec, [d.id for d in docs if d.id in indexed])
            for d in docs:
                expected.add(d.id)
                if d.id in live and live[d.id].source != d.source:
                    stale.append(d.id)
            session.expunge_all()
        report = CheckReport(
            name,
            len(expected),
            len(indexed),
            sorted(expected - set(indexed)),
            sorted(set(indexed) - expected),
            sorted(stale),
        )
        if repair and (report.missing or report.extra or report.stale):
            index(session, backend, report.missing + report.stale, head(session))
            if report.extra:
                backend.delete(spec, [(i, head(session)) for i in report.extra])
            report.repaired = True
        reports.append(report)
    return reports


class _Collect:
    """A stand-in target that keeps the documents the indexer would write (``check``)."""

    name = "collect"

    def __init__(self) -> None:
        self.docs: list[Document] = []

    def write(
        self,
        spec: IndexSpec,
        docs: list[Document],
        visible: bool = False,
        target: str | None = None,
    ):
        self.docs.extend(docs)
