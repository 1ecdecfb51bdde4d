"""Publicity and repair rules, read from ``credit/data/publicity_rules.json`` and validated at
load: a file that is incomplete, uncited or inconsistent stops the process at its first
use instead of producing a wrong date.

Two layers (the README's "Publicity and repair rules" explains the choice):

- **versions**: the national credit-repair windows (NDRC Order 58 until 2026-03-31, Order
  36 from 2026-04-01) by severity, the version in force on the decision date applying;
- **regimes**: what an authority of each kind follows on top of them. Market regulators
  (``SAMR``) publish their penalties under SAMR Order 45: periods run from publication, a
  warning alone is not published, 通报批评 and lower fines end after 3 months, everything
  after at most 3 years, some penalties may never be repaired early, and their deadlines
  are SAMR's. Every other authority (``NDRC``) follows the national measures alone.

:func:`window` turns a record's facts into its dates; periods are counted by
``credit.periods`` (Civil Code Arts. 201-202) and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from credit import periods
from credit.scoring.calendar import add_months, next_day
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES

__all__ = ["SEVERITIES", "Window", "add_months", "rule_for", "versions", "window"]

DATA = Path(__file__).resolve().parents[1] / "data" / "publicity_rules.json"
SEVERITIES = ("minor", "general", "serious")
REGIMES = ("NDRC", "SAMR")
START_EVENTS = ("decision", "publication")


class RulesError(ValueError):
    """The rules file is wrong: the message names the row."""


class WindowRefused(ValueError):
    """A record's facts ask for something the rules do not allow (a per-field error)."""

    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


@dataclass(frozen=True)
class Citation:
    source: str
    article: str | None
    says: str
    unverified: bool

    def label(self) -> str:
        """《document》article, and whether it could be checked against the text."""
        title = _table()["sources"][self.source]["title"]
        if not self.article:
            return f"《{title}》article unverified"
        return f"《{title}》{self.article}" + (" (unverified)" if self.unverified else "")


@dataclass(frozen=True)
class SeverityRule:
    published: bool
    min_months: int
    max_months: int
    #: Order 36: the authority may publish a minor record for at most this many months
    #: when it deems it necessary (None: not available under this version).
    publish_on_request_months: int | None
    cite: Citation


@dataclass(frozen=True)
class LongerMinimum:
    """A domain whose records wait longer before repair (Order 58: food, drugs, special
    equipment, work safety, fire safety: one year)."""

    code: str
    categories: frozenset[str]
    min_months: int
    cite: Citation


@dataclass(frozen=True)
class RuleVersion:
    code: str
    title: str
    effective_from: date
    effective_to: date | None
    start_event: str
    severities: dict[str, SeverityRule]
    exceptions: tuple[LongerMinimum, ...]

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Deadline:
    start: date
    workdays: int
    cite: Citation


@dataclass(frozen=True)
class Regime:
    code: str
    title: tuple[str, str]
    start_event: str | None  # None: the version's own
    not_published: frozenset[str]
    max_months: int | None
    short_months: int | None
    short_penalties: frozenset[str]
    short_fine_at_most: Decimal | None
    repair_excluded: frozenset[str]
    publish_workdays: Deadline
    withdraw_workdays: Deadline
    repair_decision: tuple[Deadline, ...]

    def repair_decision_workdays(self, applied_on: date) -> int:
        """Working days to decide a repair applied for on ``applied_on`` (the rule in force
        that day, not on the decision date: it is a procedure of that day)."""
        rows = [d for d in self.repair_decision if d.start <= applied_on]
        return (rows[-1] if rows else self.repair_decision[0]).workdays


@dataclass(frozen=True)
class Window:
    """A record's dates. ``public_from``/``published_on`` are None when not published."""

    rule_version: str
    regime: str
    published: bool
    published_on: date | None
    public_from: date | None
    repairable_from: date
    publish_until: date
    publish_by: date | None
    repair_excluded: bool
    #: The rows applied, for an explanation (e.g. "NDRC-36-2026/general", "SAMR/short").
    basis: tuple[str, ...]


# -- loading and validation --------------------------------------------------------------
@cache
def _table() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RulesError(f"{where}: not a date: {value!r}") from None


def _months(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 120:
        raise RulesError(f"{where}: months must be an integer 0..120, not {value!r}")
    return value


def _cite(raw: Any, where: str) -> Citation:
    """Every row names its source and article, or says it is unverified."""
    if not isinstance(raw, dict) or not raw.get("says"):
        raise RulesError(f"{where}: a citation with `source` and `says` is required")
    if raw.get("source") not in _table()["sources"]:
        raise RulesError(f"{where}: unknown source {raw.get('source')!r}")
    unverified = bool(raw.get("unverified", False))
    if not raw.get("article") and not unverified:
        raise RulesError(f"{where}: no article: give it or mark the row unverified")
    return Citation(raw["source"], raw.get("article"), raw["says"], unverified)


def _codes(values: Any, vocab: dict, where: str) -> frozenset[str]:
    bad = [v for v in values or () if v not in vocab]
    if bad:
        raise RulesError(f"{where}: unknown codes {bad}")
    return frozenset(values or ())


def _version(v: dict[str, Any]) -> RuleVersion:
    where = f"version {v.get('code')}"
    severities: dict[str, SeverityRule] = {}
    for severity, r in v["severities"].items():
        w = f"{where} severity {severity}"
        lo, hi = _months(r["min_months"], w), _months(r["max_months"], w)
        on_request = r.get("publish_on_request_months")
        if on_request is not None:
            on_request = _months(on_request, w)
            if severity != "minor" or r["published"] or not 0 < on_request <= hi:
                raise RulesError(f"{w}: publication on request is for unpublished minor rows")
        if lo > hi:
            raise RulesError(f"{w}: min_months > max_months")
        severities[severity] = SeverityRule(
            bool(r["published"]), lo, hi, on_request, _cite(r.get("cite"), w)
        )
    if set(severities) != set(SEVERITIES):
        raise RulesError(f"{where}: severities must be exactly {SEVERITIES}")
    exceptions = []
    for e in v.get("exceptions", ()):
        w = f"{where} exception {e.get('code')}"
        exceptions.append(
            LongerMinimum(
                e["code"],
                _codes(e["categories"], CATEGORIES, w),
                _months(e["min_months"], w),
                _cite(e.get("cite"), w),
            )
        )
        if any(
            exceptions[-1].min_months > t.max_months for t in severities.values() if t.published
        ):
            raise RulesError(f"{w}: a minimum longer than a severity's maximum")
    start = v["start"]["event"]
    if start not in START_EVENTS:
        raise RulesError(f"{where}: start must be one of {START_EVENTS}")
    _cite(v["start"].get("cite"), f"{where} start")
    return RuleVersion(
        v["code"],
        v["title"],
        _date(v["effective_from"], where),
        _date(v["effective_to"], where) if v["effective_to"] else None,
        start,
        severities,
        tuple(exceptions),
    )


@cache
def versions() -> tuple[RuleVersion, ...]:
    """The national versions, oldest first, contiguous and not overlapping."""
    out = sorted((_version(v) for v in _table()["versions"]), key=lambda v: v.effective_from)
    for a, b in pairwise(out):
        if a.effective_to is None or a.effective_to >= b.effective_from:
            raise RulesError(f"rule versions {a.code} and {b.code} overlap")
        if next_day(a.effective_to) != b.effective_from:
            raise RulesError(f"a gap between rule versions {a.code} and {b.code}")
    if not out or out[-1].effective_to is not None:
        raise RulesError("the newest rule version must be open-ended")
    return tuple(out)


def _deadline(raw: Any, where: str, start: date) -> Deadline:
    days = raw.get("workdays") if isinstance(raw, dict) else None
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise RulesError(f"{where}: workdays must be an integer 1..60")
    return Deadline(start, days, _cite(raw.get("cite"), where))


def _regime(code: str, r: dict[str, Any]) -> Regime:
    where = f"regime {code}"
    first = versions()[0].effective_from
    d = r["deadlines"]
    repair = tuple(
        _deadline(row, f"{where} repair_decision_workdays", _date(row["from"], where))
        for row in d["repair_decision_workdays"]
    )
    if not repair or any(a.start >= b.start for a, b in pairwise(repair)):
        raise RulesError(f"{where}: repair_decision_workdays must be in date order")
    if repair[0].start > first:
        raise RulesError(f"{where}: no repair deadline for applications from {first}")
    start = r.get("start")
    if start is not None and start not in START_EVENTS:
        raise RulesError(f"{where}: start must be one of {START_EVENTS}")
    if start is not None:
        _cite(r.get("start_cite"), f"{where} start")
    short = r.get("short")
    fine_at_most = None
    if short:
        _cite(short.get("cite"), f"{where} short")
        if short.get("fine_at_most") is not None:
            _cite(short.get("fine_cite"), f"{where} short fine")
            try:
                fine_at_most = Decimal(str(short["fine_at_most"]))
            except InvalidOperation:
                raise RulesError(f"{where}: fine_at_most is not an amount") from None
    for key in ("not_published_penalties", "repair_excluded_penalties", "max_months"):
        if r.get(key):
            _cite(r[key].get("cite"), f"{where} {key}")
    maximum = r.get("max_months")
    return Regime(
        code,
        tuple(r["title"]),  # type: ignore[arg-type]
        start,
        _codes((r.get("not_published_penalties") or {}).get("penalty_types"), PENALTY_TYPES, where),
        _months(maximum["months"], where) if maximum else None,
        _months(short["months"], where) if short else None,
        _codes((short or {}).get("penalty_types"), PENALTY_TYPES, where),
        fine_at_most,
        _codes(
            (r.get("repair_excluded_penalties") or {}).get("penalty_types"), PENALTY_TYPES, where
        ),
        _deadline(d["publish_workdays"], f"{where} publish_workdays", first),
        _deadline(d["withdraw_workdays"], f"{where} withdraw_workdays", first),
        repair,
    )


@cache
def regimes() -> dict[str, Regime]:
    raw = _table()["regimes"]
    if set(raw) != set(REGIMES):
        raise RulesError(f"regimes must be exactly {REGIMES}")
    return {code: _regime(code, r) for code, r in raw.items()}


@cache
def authority_kinds() -> dict[str, tuple[tuple[str, str], str]]:
    """kind -> ((label zh, label en), regime)."""
    out = {}
    for kind, k in _table()["authority_kinds"].items():
        if k["regime"] not in REGIMES:
            raise RulesError(f"authority kind {kind}: unknown regime {k['regime']!r}")
        out[kind] = ((k["label"][0], k["label"][1]), k["regime"])
    if "other" not in out:
        raise RulesError("authority kinds must include 'other'")
    return out


def _counting() -> None:
    c = _table()["counting"]
    if c["first_day_counted"] is not False or c["month_end"] != "corresponding_day":
        raise RulesError("counting: credit.periods implements Civil Code Arts. 201-202 only")
    if c["holiday_extension"] is not False:
        raise RulesError("counting: credit.periods does not extend windows over holidays")
    for i, row in enumerate(c["cite"]):
        _cite(row, f"counting cite {i}")


def validate() -> None:
    """Load and check everything (the app calls it at start; tests call it on edits)."""
    _counting()
    versions()
    regimes()
    authority_kinds()


def table() -> dict[str, Any]:
    """The rules file as data (validated), for the published rules endpoint."""
    validate()
    return _table()


# -- answers ----------------------------------------------------------------------------
def rule_for(decision_date: date) -> RuleVersion:
    for version in versions():
        if version.in_force(decision_date):
            return version
    raise LookupError(f"no publicity rule in force on {decision_date}")


def regime_of(kind: str | None) -> str:
    """The regime an authority of this kind follows (unknown kinds: ``other``'s)."""
    kinds = authority_kinds()
    return kinds.get(kind or "other", kinds["other"])[1]


def _short(regime: Regime, penalty_type: str | None, amount: Decimal | None) -> bool:
    if penalty_type in regime.short_penalties:
        return True
    return (
        penalty_type == "fine"
        and amount is not None
        and regime.short_fine_at_most is not None
        and amount <= regime.short_fine_at_most
    )


def window(
    severity: str,
    decision_date: date,
    *,
    regime: str = "NDRC",
    category: str | None = None,
    penalty_type: str | None = None,
    penalty_amount: Decimal | None = None,
    published_on: date | None = None,
    publish_minor: bool = False,
) -> Window:
    """The dates of a record of ``severity`` decided on ``decision_date`` by an authority
    following ``regime``.

    ``published_on`` (when its authority published it; today if not given) starts SAMR's
    periods. ``publish_minor``: the authority deems publishing a minor record necessary
    (Order 36), for at most the version's ``publish_on_request_months``.
    Raises ``LookupError`` before the first version, ``WindowRefused`` for a request the
    rules do not allow.
    """
    version = rule_for(decision_date)
    rules = regimes()[regime]
    row = version.severities[severity]
    basis = [f"{version.code}/{severity}"]
    published, max_months = row.published, row.max_months
    if publish_minor:
        if severity != "minor":
            raise WindowRefused(
                "publish_minor",
                "只有轻微失信信息需要决定是否公示 / only a minor record is published on request",
                "not_minor",
            )
        if row.publish_on_request_months is None:
            raise WindowRefused(
                "publish_minor",
                f"{version.code} 没有公示轻微失信信息的规定（自 2026-04-01 起适用） / "
                "minor records can be published on request for decisions from 2026-04-01",
                "not_available",
            )
        published, max_months = True, row.publish_on_request_months
        basis.append(f"{version.code}/minor-on-request")
    if published and penalty_type in rules.not_published:
        if publish_minor:
            raise WindowRefused(
                "publish_minor",
                "仅受到警告的行政处罚不予公示（市场监管总局令第45号第二条） / "
                "a warning alone is not published (SAMR Order 45 Art. 2)",
                "not_published_penalty",
            )
        published = False
        basis.append(f"{regime}/not-published")
    min_months = row.min_months
    for exc in version.exceptions:
        if category in exc.categories and exc.min_months > min_months:
            min_months = exc.min_months
            basis.append(f"{version.code}/{exc.code}")
    start_event = rules.start_event or version.start_event
    until = periods.last_day(decision_date, max_months)
    public_from = None
    if published:
        published_on = published_on or decision_date
        if published_on < decision_date:
            raise WindowRefused(
                "published_on", "公示日期不能早于决定日期 / before the decision", "too_early"
            )
        public_from = published_on if start_event == "publication" else decision_date
        if start_event == "publication":
            months = (
                rules.short_months
                if _short(rules, penalty_type, penalty_amount)
                else rules.max_months
            )
            if months is not None and periods.last_day(published_on, months) < until:
                until = periods.last_day(published_on, months)
                basis.append(f"{regime}/{'short' if months == rules.short_months else 'max'}")
    else:
        published_on = None
    excluded = penalty_type in rules.repair_excluded
    repairable = periods.first_day_after(decision_date, min_months)
    if excluded:
        basis.append(f"{regime}/repair-excluded")
        repairable = next_day(until)
    return Window(
        version.code,
        regime,
        published,
        published_on,
        public_from,
        repairable,
        until,
        publish_by(regime, decision_date) if published else None,
        excluded,
        tuple(basis),
    )


def publish_by(regime: str, decision_date: date) -> date | None:
    """The last day to publish a record decided on ``decision_date`` (None where the
    working-day calendar cannot say)."""
    return periods.workday_deadline_or_none(
        decision_date, regimes()[regime].publish_workdays.workdays
    )


def withdraw_by(regime: str, revoked_on: date) -> date | None:
    """The last day to withdraw a record whose decision was revoked on ``revoked_on``."""
    return periods.workday_deadline_or_none(
        revoked_on, regimes()[regime].withdraw_workdays.workdays
    )


def repair_workdays(regime: str, applied_on: date) -> int:
    """How many working days the authority has to decide a repair applied for on
    ``applied_on`` (the rule in force that day; the case stores it, the calendar dates it)."""
    return regimes()[regime].repair_decision_workdays(applied_on)


def repair_due(regime: str, applied_on: date) -> date:
    """The day a repair applied for on ``applied_on`` must be decided by."""
    return periods.workday_deadline(applied_on, repair_workdays(regime, applied_on))
