"""Ratings as the public, the firm and regulators read them; batch rescoring.

The stored rating is what the platform publishes. ``as_of`` and ``model`` replay a rating
from the facts on record under any published model at any past date (the records' own
dates decide what counted then); a replay is computed, never stored. The public sees
records by name only while they are public; the firm itself, regulators covering it and
operators see everything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit import clock, dates, publicity
from credit.changes import TRANSIENT, describe_error
from credit.collector import few_collections
from credit.collector import restore as restore_collections
from credit.enterprises.models import Enterprise
from credit.enterprises.service import get_enterprise
from credit.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from credit.extensions import db
from credit.identity import Identity
from credit.pagination import Page
from credit.permissions import (
    can_manage_registry,
    can_read_enterprise_private,
    can_read_public,
    require,
)
from credit.ratings import catalog as catalog_module
from credit.ratings import guidance, texts
from credit.ratings.batch import read_and_score, run_parallel, write_unless_changed
from credit.ratings.catalog import catalog
from credit.ratings.facts import (
    DEFAULT_VIEW,
    VIEWS,
    RecordBasis,
    Selection,
    firm_facts,
    view_facts,
)
from credit.ratings.models import CurrentRating, RatingRecord
from credit.ratings.store import Stats, lock_ratings, rescore
from credit.scoring.engine import Contribution, rate
from credit.scoring.model import ModelError, ScoringModel
from credit.scoring.outlook import outlook
from credit.steps import Steps
from credit.translog import service as translog
from credit.uow import UnitOfWork, run_after_commit_hooks, transaction_memo, unit_of_work
from credit.violations.models import Objection, RepairApplication, SeriousListEntry, Violation

log = logging.getLogger(__name__)


@dataclass
class RatingView:
    uscc: str
    name: str
    grade: str
    tier: str
    score: int
    model_version: str
    as_of: date
    computed_at: datetime | None
    next_change: date | None
    inputs_digest: str
    hard_rules: list[str]
    factors: list[dict[str, Any]]
    families: list[dict[str, Any]] = field(default_factory=list)
    stored: bool = True
    trigger: str | None = None
    #: the grade and tier in words, as the rating's model version gives them (三等九级)
    grade_text: str = ""
    grade_text_en: str = ""
    tier_text: str = ""
    tier_text_en: str = ""
    #: published (the stored rating) | legal | recorded (a replay; see VIEW_NOTES)
    view: str = "published"
    #: For a replay: each record with the date the view counted it from, and why.
    records: list[dict[str, Any]] = field(default_factory=list)
    #: The caps (hard rules) in force today, in words with what lifts each
    #: (``guidance.describe_caps``); filled for the published rating and explanations.
    caps: list[dict[str, Any]] = field(default_factory=list)
    #: The latest public-log entry of the firm's rating (the published rating only; None
    #: for a replay, an earlier rating or one not logged yet).
    log_index: int | None = None

    @property
    def view_note(self) -> str:
        return VIEW_NOTES[self.view][0]

    @property
    def view_note_en(self) -> str:
        return VIEW_NOTES[self.view][1]

    @property
    def raised(self) -> list[dict[str, Any]]:
        return [f for f in self.factors if f["points"] > 0 and f["code"] != "BASE"]

    @property
    def lowered(self) -> list[dict[str, Any]]:
        return [f for f in self.factors if f["points"] < 0]


VIEW_NOTES = {
    "published": (
        "平台发布的评价（计算时所知的事实）",
        "the rating the platform published (the facts known when it was computed)",
    ),
    "legal": (
        "按规则当日应适用的情况：违法记录自决定日期起计，承诺自生效之日起计，名单按列入与移出"
        "决定日期计，不论平台何时录入",
        "what the rules say applied that day: records count from their decision date, pledges "
        "from the day they came into force, listings from their listing and removal decisions, "
        "whenever the platform recorded them",
    ),
    "recorded": (
        "当日平台已知并公示的情况：只计当日已录入的记录，自录入或公示之时起计，取当时的内容",
        "what was known and public that day: only what the platform had recorded by then, "
        "counted from when it was recorded or published, as it stood then",
    ),
}


#: The reads of a firm's rating a profile makes on every view, built once per process:
#: building a statement and computing its cache key cost more than running it.
_FIRM = sa.bindparam("enterprise_id")
_TODAY = sa.bindparam("today", type_=sa.Date)
#: The violations public today and the serious-list entries in force today: one statement.
_PUBLIC_RECORDS = sa.union_all(
    sa.select(Violation.id).where(
        Violation.enterprise_id == _FIRM, publicity.public_clause(_TODAY)
    ),
    sa.select(SeriousListEntry.id).where(
        SeriousListEntry.enterprise_id == _FIRM,
        SeriousListEntry.removed_at.is_(None),
        SeriousListEntry.listed_on <= _TODAY,
        SeriousListEntry.remove_on > _TODAY,
    ),
)
#: The newest stored result with the current rating's model and next change date beside it.
_LATEST_RATING = (
    sa.select(RatingRecord, CurrentRating.model_version, CurrentRating.next_change)
    .outerjoin(CurrentRating, CurrentRating.enterprise_id == RatingRecord.enterprise_id)
    .where(RatingRecord.enterprise_id == _FIRM)
    .order_by(RatingRecord.id.desc())
    .limit(1)
)
_RATING_POINTS = (
    sa.select(
        RatingRecord.id,
        RatingRecord.as_of,
        RatingRecord.score,
        RatingRecord.grade,
        RatingRecord.tier,
        RatingRecord.model_version,
    )
    .where(RatingRecord.enterprise_id == _FIRM)
    .order_by(RatingRecord.id)
)


def _visible(identity: Identity, ent: Enterprise) -> set[str] | None:
    """Records the viewer may see named: None (all) for the firm, its regulators and
    operators; otherwise the violations and listings public today."""
    if can_read_enterprise_private(identity, ent):
        return None
    today = clock.today()
    # A profile asks for the rating and its history: work it out once per transaction.
    known = transaction_memo("public_rating_records")
    if (ent.id, today) in known:
        return known[ent.id, today]
    on = {"enterprise_id": ent.id, "today": today}
    out = set(db.session.scalars(_PUBLIC_RECORDS, on))
    known[ent.id, today] = out
    return set(out)


def _view(
    ent: Enterprise,
    model: ScoringModel,
    contributions: list[Contribution],
    *,
    score: int,
    grade: str,
    tier: str,
    as_of: date,
    computed_at: datetime | None,
    next_change: date | None,
    digest: str,
    hard_rules: list[str],
    visible: set[str] | None,
    stored: bool,
    trigger: str | None = None,
) -> RatingView:
    return RatingView(
        uscc=ent.uscc,
        name=ent.name,
        grade=grade,
        tier=tier,
        score=score,
        model_version=model.version,
        as_of=as_of,
        computed_at=computed_at,
        next_change=next_change,
        inputs_digest=digest,
        hard_rules=hard_rules,
        factors=[texts.describe(c, model, visible) for c in contributions],
        families=texts.family_totals(contributions),
        stored=stored,
        trigger=trigger,
        grade_text=model.grade_words[grade][0],
        grade_text_en=model.grade_words[grade][1],
        tier_text=model.tier_words[tier][0],
        tier_text_en=model.tier_words[tier][1],
    )


def _record_view(ent: Enterprise, rec: RatingRecord, visible: set[str] | None) -> RatingView:
    model = catalog().get(rec.model_version)
    return _view(
        ent,
        model,
        [Contribution.from_row(r) for r in rec.contributions],
        score=rec.score,
        grade=rec.grade,
        tier=rec.tier,
        as_of=rec.as_of,
        computed_at=rec.computed_at,
        next_change=rec.next_change,
        digest=rec.inputs_digest,
        hard_rules=list(rec.hard_rules),
        visible=visible,
        stored=True,
        trigger=rec.trigger,
    )


def _records(basis: list[RecordBasis], visible: set[str] | None) -> list[dict[str, Any]]:
    """The records of a replay with their dates; a record the viewer may not see named
    keeps only its kind and how it was counted."""
    out = []
    for b in basis:
        row: dict[str, Any] = {
            "kind": b.kind,
            "ref": b.ref,
            "legal_date": b.legal_date,
            "recorded_on": b.recorded_on,
            "basis": b.basis,
            "counted_from": b.counted_from,
            "known": b.known,
        }
        if visible is not None and b.kind in ("violation", "serious_list") and b.ref not in visible:
            row.update(ref=None, legal_date=None, recorded_on=None)
        out.append(row)
    return out


def _view_facts(ent: Enterprise, as_of: date, view: str):
    if view == "published":  # the facts as the stored ratings read them
        return firm_facts(db.session, ent.id), []
    return view_facts(db.session, ent.id, as_of, view)


def _replay(
    ent: Enterprise,
    as_of: date,
    model: ScoringModel,
    visible: set[str] | None,
    view: str = DEFAULT_VIEW,
) -> RatingView:
    facts, basis = _view_facts(ent, as_of, view)
    r = rate(facts, as_of, model)
    out = _view(
        ent,
        model,
        list(r.contributions),
        score=r.score,
        grade=r.grade,
        tier=r.tier,
        as_of=as_of,
        computed_at=None,
        next_change=r.next_change,
        digest=r.inputs_digest,
        hard_rules=list(r.hard_rules),
        visible=visible,
        stored=False,
    )
    out.view, out.records = view, _records(basis, visible)
    return out


def _check_view(view: str | None) -> str:
    if view is None:
        return DEFAULT_VIEW
    if view not in VIEWS:
        raise ValidationFailed(
            "重放视角无效",
            [FieldError("view", f"应为 {' / '.join(VIEWS)} / one of {VIEWS}", "invalid", "query")],
        )
    return view


def _check_as_of(as_of: date | None) -> date:
    """``as_of`` inside ``dates.REPLAY`` (the API's schema checks it too; other callers
    reach the service directly)."""
    today = clock.today()
    if as_of is None:
        return today
    message = dates.REPLAY.problem(as_of, today)
    if message is not None:
        raise ValidationFailed(
            "评价日期超出范围", [FieldError("as_of", message, "out_of_range", "query")]
        )
    return as_of


def _model(version: str | None) -> ScoringModel:
    try:
        return catalog().get(version)
    except NotFound:
        raise ValidationFailed(
            "评分模型版本不存在",
            [
                FieldError(
                    "model",
                    f"未发布的模型版本 {version} / unknown model version; published: "
                    f"{', '.join(sorted(catalog().models))}",
                    "unknown",
                    "query",
                )
            ],
        ) from None


def get_rating(
    identity: Identity,
    code: str,
    as_of: date | None = None,
    model_version: str | None = None,
    view: str | None = None,
    *,
    with_log_index: bool = True,
) -> RatingView:
    """The published rating, or a replay at ``as_of`` under ``model_version`` in ``view``
    (``legal``, the default, or ``recorded``: see ``VIEW_NOTES``). ``with_log_index=False``
    leaves ``log_index`` unset for a caller that asks the log about it with other records."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    visible = _visible(identity, ent)
    if as_of is not None or model_version is not None or view is not None:
        return _replay(ent, _check_as_of(as_of), _model(model_version), visible, _check_view(view))
    latest = db.session.execute(_LATEST_RATING, {"enterprise_id": ent.id}).first()
    if latest is None:  # not rated yet (the consumer is behind): rate it on the spot
        view = _replay(ent, clock.today(), catalog().get(), visible, "published")
    else:
        rec, current_model, current_next = latest
        view = _record_view(ent, rec, visible)
        # A re-rating that only time moved confirms the current rating without a history
        # row: its next change date is the current one.
        if current_model == rec.model_version:
            view.next_change = current_next
        if with_log_index:
            view.log_index = translog.log_indexes(db.session, "rating", [ent.id]).get(ent.id)
    view.caps = _caps_today(ent, view, visible)
    return view


def _caps_today(ent: Enterprise, view: RatingView, visible: set[str] | None) -> list[dict]:
    """The caps in force on the published rating's facts, in words (only when it names a
    hard rule: most firms have none, and then nothing more is read)."""
    if not view.hard_rules:
        return []
    model = catalog().get(view.model_version)
    facts = firm_facts(db.session, ent.id)
    day = clock.today()
    cases = _cases(ent) if visible is None else None
    return guidance.describe_caps(facts, day, model, rate(facts, day, model), visible, cases)


def _cases(ent: Enterprise) -> dict[str, guidance.RecordCase]:
    """The firm's pending repairs and objections and its records excluded from repair (for
    the firm itself, its regulators and operators)."""
    rows = db.session.execute(
        sa.select(Violation.id, Violation.repair_excluded).where(
            Violation.enterprise_id == ent.id, Violation.status == "active"
        )
    ).all()
    pending: dict[str, dict[str, Any]] = {vid: {"repair_excluded": ex} for vid, ex in rows}
    for model, key in (
        (RepairApplication, "repair_pending_since"),
        (Objection, "objection_pending_since"),
    ):
        for case in db.session.scalars(
            sa.select(model).where(model.violation_id.in_(list(pending)), model.status == "pending")
        ):
            pending[case.violation_id][key] = case.filed_on
    return {vid: guidance.RecordCase(**fields) for vid, fields in pending.items()}


def rating_history(identity: Identity, code: str, page: int = 1, size: int = 20) -> Page:
    """Every published result, newest first."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    visible = _visible(identity, ent)
    where = RatingRecord.enterprise_id == ent.id
    total = db.session.scalar(sa.select(sa.func.count()).where(where)) or 0
    rows = db.session.scalars(
        sa.select(RatingRecord)
        .where(where)
        .order_by(RatingRecord.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page([_record_view(ent, r, visible) for r in rows], total, page, size)


class RatingPoint(NamedTuple):
    """One stored result as a chart and the seal read it."""

    id: int
    as_of: date
    score: int
    grade: str
    tier: str
    model_version: str


def rating_points(enterprise_id: str) -> tuple[RatingPoint, ...]:
    """Every stored result of the firm, oldest first: the chart and the seal both read
    them, once per transaction (a flush forgets them)."""
    known = transaction_memo("rating_points", until_flush=True)
    if enterprise_id not in known:
        rows = db.session.execute(_RATING_POINTS, {"enterprise_id": enterprise_id})
        known[enterprise_id] = tuple(RatingPoint(*r) for r in rows)
    return known[enterprise_id]


def rating_trend(identity: Identity, code: str, points: int = 24) -> list[RatingPoint]:
    """The rating over time for charts, oldest first: one point per day (that day's last
    result) and no point for a re-rating that changed neither score nor grade, so many
    recomputes in a day draw one point, not a row of identical ones. The full list of
    results stays in ``rating_history``."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    last_of_day: dict[date, RatingPoint] = {}
    for point in rating_points(ent.id):
        last_of_day[point.as_of] = point
    kept: list[RatingPoint] = []
    for day in sorted(last_of_day):
        point = last_of_day[day]
        if not kept or (point.score, point.grade) != (kept[-1].score, kept[-1].grade):
            kept.append(point)
    return kept[-max(points, 1) :]


def explain_rating(
    identity: Identity,
    code: str,
    as_of: date | None = None,
    model_version: str | None = None,
    view: str | None = None,
) -> dict[str, Any]:
    """Each signal's part, the caps in words (what lifts each), the path to the grade above
    computed with the caps, the dated milestones ahead and every action that exists for the
    firm with its dates (scored where it moves the score); in ``view`` (default ``legal``).
    Pending repairs and objections show to the firm, its regulators and operators only."""
    require(can_read_public(identity))
    ent = get_enterprise(identity, code)
    visible = _visible(identity, ent)
    day = _check_as_of(as_of)
    model = _model(model_version)
    chosen = _check_view(view)
    facts, basis = _view_facts(ent, day, chosen)
    r = rate(facts, day, model)
    view = _view(
        ent,
        model,
        list(r.contributions),
        score=r.score,
        grade=r.grade,
        tier=r.tier,
        as_of=day,
        computed_at=None,
        next_change=r.next_change,
        digest=r.inputs_digest,
        hard_rules=list(r.hard_rules),
        visible=visible,
        stored=False,
    )
    view.view, view.records = chosen, _records(basis, visible)
    cases = _cases(ent) if visible is None else None
    view.caps = guidance.describe_caps(facts, day, model, r, visible, cases)
    up = guidance.next_grade(facts, day, model, r, view.caps)
    floor = {
        "grade": r.grade,
        "min_score": model.floor_of(r.grade),
        "points_margin": r.score - model.floor_of(r.grade),
    }
    return {
        "rating": view,
        "next_grade": up,
        "grade_floor": floor,
        "capped_by": [c.code for c in r.contributions if c.family == "hard_rule"],
        "caps": view.caps,
        "outlook": [
            {
                "date": p.day,
                "score": p.score,
                "grade": p.grade,
                "milestones": [texts.describe_milestone(m, visible) for m in p.milestones],
            }
            for p in outlook(facts, day, model)
        ],
        "actions": guidance.firm_actions(facts, day, model, visible, cases),
        "model": {
            "version": model.version,
            "title": model.title,
            "title_en": model.title_en,
            "published_on": model.published_on,
        },
    }


def list_models(identity: Identity) -> list[dict[str, Any]]:
    """The published model versions with their changelogs (public rules)."""
    require(can_read_public(identity))
    cat = catalog()
    return [
        {
            "version": m.version,
            "title": m.title,
            "title_en": m.title_en,
            "published_on": m.published_on,
            "current": m.version == cat.current,
            "changelog": list(m.changelog),
        }
        for m in sorted(cat.models.values(), key=lambda m: m.published_on)
    ]


def publish_model(
    identity: Identity, uow: UnitOfWork, document: bytes, make_current: bool = True
) -> ScoringModel:
    """Publish a new model version into the database catalog: validated, immutable (its
    SHA-256 is stored and checked on every load), and in use in every running process at its
    next transaction. Firms are re-rated with it by ``rescore_enterprises`` (or as their
    records change, since every rating uses the current model)."""
    require(can_manage_registry(identity))
    try:
        return catalog_module.publish_to_database(
            uow.session,
            document,
            make_current=make_current,
            published_by=identity.subject,
            now=clock.now(),
        )
    except (ModelError, ValueError) as exc:
        raise ValidationFailed(
            "评分模型无效 / invalid scoring model", [FieldError("file", str(exc), "invalid")]
        ) from None


def rescore_enterprises(
    identity: Identity,
    *,
    codes: list[str] | None = None,
    model_version: str | None = None,
    chunk: int = 5000,
    workers: int | None = None,
    catch_up: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Stats:
    """Re-rate the given enterprises (or all) now; used when a model version is published
    and for repairs. ``workers`` processes read and score (default: one per core for a
    large registry); this process writes, one unit of work per chunk, serialised with the
    ratings consumer. ``catch_up``: run the change-feed consumers afterwards (the search
    indexer picks up the changed grades), else leave them to the change-feed worker."""
    require(can_manage_registry(identity))
    model = _model(model_version)
    today = clock.today()
    session = db.session
    if codes is not None:
        found = dict(
            session.execute(
                sa.select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(codes))
            ).all()
        )
        missing = sorted(set(codes) - set(found))
        if missing:
            raise NotFound(f"未登记的经营者：{', '.join(missing)}")
        ids = list(found.values())
        total = Stats()
        for i in range(0, len(ids), chunk):
            with unit_of_work(session, run_hooks=False):
                lock_ratings(session)
                total.add(
                    rescore(
                        session,
                        Selection(ids=ids[i : i + chunk]),
                        model=model,
                        as_of=today,
                        trigger="rescore",
                    )
                )
            if progress:
                progress(len(ids[i : i + chunk]))
    else:
        ranges = list(_ranges(chunk))
        session.rollback()
        if workers is None:
            workers = min(os.cpu_count() or 1, 4) if len(ranges) > 4 else 1
        thresholds, froze = few_collections()  # the writer unpickles a million results
        try:
            total = _rescore_ranges(session, ranges, workers, model, today, progress)
        finally:
            restore_collections(thresholds, froze)
    if catch_up:
        run_after_commit_hooks(session)
    return total


def _rescore_ranges(
    session: Session,
    ranges: list[tuple[str | None, str | None]],
    workers: int,
    model: ScoringModel,
    today: date,
    progress: Callable[[int], None] | None,
) -> Stats:
    if workers > 1:
        return run_parallel(
            session,
            ranges,
            workers=workers,
            model_version=model.version,
            as_of=today,
            trigger="rescore",
            progress=progress,
        )
    total = Stats()
    for after, upto in ranges:
        head, results, load_s, score_s = read_and_score(session, after, upto, model, today)
        stats = write_unless_changed(session, head, results, "rescore", (after, upto))
        stats.rated, stats.load_s, stats.score_s = len(results), load_s, score_s
        total.add(stats)
        if progress:
            progress(len(results))
    return total


def _ranges(chunk: int) -> Iterator[tuple[str | None, str | None]]:
    """The registry as consecutive id ranges ``(after, upto]`` of ``chunk`` enterprises."""
    after: str | None = None
    while True:
        stmt = sa.select(Enterprise.id).order_by(Enterprise.id).offset(chunk - 1).limit(1)
        if after is not None:
            stmt = stmt.where(Enterprise.id > after)
        end = db.session.scalar(stmt)
        yield after, end
        if end is None:
            return
        after = end


#: Failures of a sweep that are no firm's data: the database unavailable, a concurrent
#: sweep (the worker's next sweep retries those).
_NOT_THE_DATA = (*TRANSIENT, PreconditionFailed, Conflict)


def sweep_stale_ratings(identity: Identity, steps: Steps | None = None) -> int:
    """Re-rate enterprises whose rating time alone has changed (decay, a record leaving
    publicity, a pledge ending) and any not rated yet, one transaction per step of
    ``steps`` (default: 2,000 firms a step, no pause), until it stops.
    Idempotent. Returns how many were re-rated: a new result (a history row), or the
    current one confirmed."""
    require(can_manage_registry(identity))
    steps = steps or Steps(chunk=2000, pause=0.0)
    session = db.session
    today = clock.today()
    stale = list(
        session.scalars(
            sa.select(CurrentRating.enterprise_id).where(CurrentRating.next_change <= today)
        )
    )
    unrated = list(
        session.scalars(
            sa.select(Enterprise.id)
            .where(~sa.exists().where(CurrentRating.enterprise_id == Enterprise.id))
            .limit(100_000)
        )
    )
    ids = stale + unrated
    done = 0
    start = 0
    while start < len(ids) and (size := steps.size()):
        part = ids[start : start + size]
        start += len(part)
        try:
            done += _sweep(session, part)
        except _NOT_THE_DATA:
            raise
        except Exception:
            # One firm's bad data must not keep every other firm's rating stale: rate the
            # chunk firm by firm, skipping (and naming) those that fail.
            for eid in part:
                try:
                    done += _sweep(session, [eid])
                except _NOT_THE_DATA:
                    raise
                except Exception as exc:
                    ent = session.get(Enterprise, eid)
                    log.error(
                        "sweep: cannot rate firm %s %s: %s",
                        ent.uscc if ent else eid,
                        ent.name if ent else "",
                        describe_error(exc),
                    )
        steps.took(len(part))
    if done:
        run_after_commit_hooks(session)
    return done


def _sweep(session: Session, ids: list[str]) -> int:
    with unit_of_work(session, run_hooks=False):
        lock_ratings(session)
        stats = rescore(session, Selection(ids=ids), trigger="sweep")
        return stats.written + stats.confirmed  # re-rated: a new result, or confirmed
