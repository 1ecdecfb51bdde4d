"""What holds a rating down and what the firm can do about it, in words (zh and en).

Three parts of the explanation (issue 17 item 4), all pure functions of the facts:

* ``describe_caps``: every cap (hard rule) in force, binding or not: what it holds the grade
  to, which record or listing, until when, and what lifts it (removal from the list, a
  credit repair possible from a date, the end of publicity on a date). Never a bare code.
* ``next_grade``: the path to the grade above, computed WITH the caps. When a cap lies below
  that grade's floor no number of points reaches it, so no "points needed" is offered; the
  caps that hold it are named instead. Otherwise ``points_needed`` more points (before the
  caps, ``rate(..., extra_points=n)``) give exactly that grade.
* ``firm_actions``: every action that exists for the firm with its dates: a repair per
  record (from which date, or pending since when), an objection while the record is public,
  filing or renewing a pledge, declaring a contact or shops; each scored where it moves the
  score. Records' cases (pending repairs and objections, repairs excluded by law) come from
  the caller as ``RecordCase``; without them (a public viewer) only the public part shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from credit.enterprises.vocab import STATUSES
from credit.scoring.calendar import add_months
from credit.scoring.engine import Rating, caps_on
from credit.scoring.facts import EnterpriseFacts, SeriousListFact, ViolationFact
from credit.scoring.model import ScoringModel
from credit.scoring.outlook import actions as scored_actions
from credit.scoring.signals import Cap
from credit.violations.vocab import EARLY_REMOVAL_MIN_MONTHS, SEVERITIES

#: A pledge in force that ends within this many days is offered for renewal.
RENEW_WITHIN_DAYS = 60


@dataclass(frozen=True)
class RecordCase:
    """What the firm's own cases say about one record (the firm and its regulators only)."""

    repair_pending_since: date | None = None
    objection_pending_since: date | None = None
    repair_excluded: bool = False  # SAMR Order 45 Art. 14(3): no early end of publicity


def _grade_words(model: ScoringModel, grade: str) -> tuple[str, str]:
    return model.grade_words[grade]


def _find_violation(facts: EnterpriseFacts, ref: str | None) -> ViolationFact | None:
    return next((v for v in facts.violations if v.id == ref), None)


def _find_listing(facts: EnterpriseFacts, ref: str | None) -> SeriousListFact | None:
    return next((s for s in facts.serious_list if s.id == ref), None)


def _record_name(v: ViolationFact, visible: set[str] | None) -> tuple[str, str]:
    """The record as a person recognises it: its decision number, or (for a public viewer
    who may not see it named) its severity alone."""
    sev = SEVERITIES.get(v.severity, (v.severity, v.severity))
    if visible is None or v.id in visible:
        return f"{sev[0]}违法失信记录 {v.ref}", f"{sev[1]} record {v.ref}"
    return f"一条{sev[0]}违法失信记录", f"a {sev[1]} record"


def _cap_words(
    cap: Cap,
    facts: EnterpriseFacts,
    as_of: date,
    model: ScoringModel,
    visible: set[str] | None,
    cases: dict[str, RecordCase] | None,
) -> dict[str, Any]:
    grade = model.grade_of(cap.max_score)
    gw = _grade_words(model, grade)
    at_best = (f"评级最高为 {grade} 级（{gw[0]}）", f"rated {grade} ({gw[1]}) at best")
    params = dict(cap.params)
    out: dict[str, Any] = {"until": None, "lift_from": None}
    listing = _find_listing(facts, cap.ref) if cap.code == "HARD_SERIOUS_LIST" else None
    record = _find_violation(facts, cap.ref)
    if listing is not None:
        earliest = add_months(listing.listed_on, EARLY_REMOVAL_MIN_MONTHS)
        ends = listing.remove_on
        out["until"] = ends
        out["text"] = (
            f"列入严重失信主体名单（{listing.listed_on} 列入，至 {ends} 移出），{at_best[0]}"
        )
        out["text_en"] = (
            f"On the serious dishonesty list (listed {listing.listed_on}, removed on {ends}): "
            f"{at_best[1]}"
        )
        if earliest < ends:
            out["lift_from"] = max(earliest, as_of)
            out["lift"] = (
                f"名单于 {ends} 期满移出后解除；列入满一年后（{earliest} 起）可在纠正失信行为、"
                "履行法定义务后向列入机关申请信用修复、提前移出"
            )
            out["lift_en"] = (
                f"Lifted when the listing ends on {ends}; from {earliest} (a year on the list) "
                "the firm may apply to the listing authority for early removal after credit "
                "repair, once it has corrected the conduct and met its legal obligations"
            )
        else:
            out["lift_from"] = ends
            out["lift"] = f"名单于 {ends} 期满移出后解除"
            out["lift_en"] = f"Lifted when the listing ends on {ends}"
    elif record is not None:
        name = _record_name(record, visible)
        ends = record.publish_until
        case = (cases or {}).get(record.id, RecordCase())
        out["until"] = ends
        out["text"] = f"{name[0]}公示中（至 {ends}），{at_best[0]}"
        out["text_en"] = f"{name[1][0].upper()}{name[1][1:]} is public (until {ends}): {at_best[1]}"
        after = ends + timedelta(days=1)
        if case.repair_excluded:
            out["lift_from"] = after
            out["lift"] = (
                f"公示期于 {ends} 届满后解除；该处罚不得提前停止公示（市场监管总局令第45号"
                "第十四条第三款），不能信用修复"
            )
            out["lift_en"] = (
                f"Lifted when its publicity ends on {ends}; this penalty may not leave "
                "publicity early (SAMR Order 45 Art. 14(3)), so it cannot be repaired"
            )
        elif case.repair_pending_since is not None:
            out["lift_from"] = as_of
            out["lift"] = (
                f"信用修复申请中（自 {case.repair_pending_since} 起），获准即解除；"
                f"否则公示期于 {ends} 届满后解除"
            )
            out["lift_en"] = (
                f"A credit repair application is pending (since "
                f"{case.repair_pending_since}): lifted once it is approved, else when "
                f"publicity ends on {ends}"
            )
        else:
            # The record's own date, not today's: the words stay the same from day to day
            # (a credit report's digest holds them).
            start = record.repairable_from
            out["lift_from"] = max(start, as_of)
            out["lift"] = (
                f"自 {start} 起可申请信用修复，修复获准即解除；否则公示期于 {ends} 届满后解除"
            )
            out["lift_en"] = (
                f"Credit repair may be applied for from {start}: lifted once approved, else "
                f"when publicity ends on {ends}"
            )
    elif cap.code == "HARD_INACTIVE":
        status = STATUSES.get(str(params.get("status")), (params.get("status"),) * 2)
        out["text"] = f"登记状态为{status[0]}，{at_best[0]}"
        out["text_en"] = f"Registration {status[1]}: {at_best[1]}"
        out["lift"] = "登记机关恢复存续登记后解除"
        out["lift_en"] = "Lifted only when the registration is active again"
    else:  # a cap a later model adds: its published reason text, in words
        reasons = model.reasons.get(cap.code, {"zh": at_best[0], "en": at_best[1]})
        out["text"] = reasons["zh"].format_map(_Blank(params))
        out["text_en"] = reasons["en"].format_map(_Blank(params))
        out["lift"] = "解除条件见评价方法"
        out["lift_en"] = "See the rating method for what lifts it"
    return out


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "…"


def describe_caps(
    facts: EnterpriseFacts,
    as_of: date,
    model: ScoringModel,
    rating: Rating,
    visible: set[str] | None = None,
    cases: dict[str, RecordCase] | None = None,
) -> list[dict[str, Any]]:
    """Every cap in force, lowest first, in words. ``binding``: it cut the score."""
    caps = caps_on(facts, as_of, model)
    binding = next(
        (c.code for c in rating.contributions if c.family == "hard_rule"),
        None,
    )
    out = []
    for i, cap in enumerate(caps):
        grade = model.grade_of(cap.max_score)
        row = {
            "code": cap.code,
            "ref": cap.ref if visible is None or cap.ref in visible else None,
            "max_score": cap.max_score,
            "grade": grade,
            "binding": i == 0 and binding == cap.code,
        }
        row.update(_cap_words(cap, facts, as_of, model, visible, cases))
        out.append(row)
    return out


def next_grade(
    facts: EnterpriseFacts,
    as_of: date,
    model: ScoringModel,
    rating: Rating,
    caps: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """The grade above and how to reach it, with the caps; None at the top grade.

    ``points_needed`` is None when a cap in force lies below the grade's floor (points
    cannot lift it); ``held_by`` names those caps."""
    grades = [g for g, _ in model.grade_floors]
    i = grades.index(rating.grade)
    if i == 0:
        return None
    above = grades[i - 1]
    floor = model.floor_of(above)
    words = _grade_words(model, above)
    if caps is None:
        caps = describe_caps(facts, as_of, model, rating)
    held = [c for c in caps if c["max_score"] < floor]
    if held:
        first = held[0]
        return {
            "grade": above,
            "min_score": floor,
            "points_needed": None,
            "held_by": [c["code"] for c in held],
            "text": (
                f"加分不能使评级升至 {above} 级（{words[0]}）：{first['text']}。"
                f"解除方法：{first['lift']}"
            ),
            "text_en": (
                f"No points can lift the grade to {above} ({words[1]}): {first['text_en']}. "
                f"{first['lift_en']}"
            ),
        }
    needed = floor - rating.score
    return {
        "grade": above,
        "min_score": floor,
        "points_needed": needed,
        "held_by": [],
        "text": f"距离 {above} 级（{words[0]}）还差 {needed} 分",
        "text_en": f"{needed} points short of {above} ({words[1]})",
    }


def _action(code: str, text: tuple[str, str], **fields: Any) -> dict[str, Any]:
    row = {
        "code": code,
        "ref": None,
        "label": "",
        "state": "available",
        "available_from": None,
        "since": None,
        "until": None,
        "score": None,
        "grade": None,
        "points": None,
        "text": text[0],
        "text_en": text[1],
    }
    row.update(fields)
    return row


def _scored(a: Any) -> dict[str, Any]:
    return {"score": a.score, "grade": a.grade, "points": a.points}


def firm_actions(
    facts: EnterpriseFacts,
    as_of: date,
    model: ScoringModel,
    visible: set[str] | None = None,
    cases: dict[str, RecordCase] | None = None,
) -> list[dict[str, Any]]:
    """Every action that exists for the firm on ``as_of``, with its dates (see the module
    docstring). Empty only when truly nothing applies."""
    scored = {(a.code, a.ref): a for a in scored_actions(facts, as_of, model, scored_only=False)}
    out: list[dict[str, Any]] = []
    for v in facts.violations:
        if v.status != "active" or not v.counts_on(as_of):
            continue
        if visible is not None and v.id not in visible:
            continue
        name = _record_name(v, visible)
        case = (cases or {}).get(v.id, RecordCase())
        objected = case.objection_pending_since is not None or (
            cases is not None and v.objection_pending
        )
        common = {"ref": v.id, "label": v.ref, "until": v.publish_until}
        repair = scored.get(("REPAIR", v.id))
        effect = _scored(repair) if repair is not None else {}
        if case.repair_pending_since is not None:
            out.append(
                _action(
                    "REPAIR",
                    (
                        f"{name[0]}的信用修复申请中（自 {case.repair_pending_since} 起），"
                        "等待认定机关决定",
                        f"Credit repair of {name[1]}: applied for on "
                        f"{case.repair_pending_since}, awaiting the authority's decision",
                    ),
                    state="pending",
                    since=case.repair_pending_since,
                    **common,
                    **effect,
                )
            )
        elif case.repair_excluded:
            pass  # no repair: the cap's words say so and when publicity ends
        elif case.objection_pending_since is not None or (
            cases is not None and v.objection_pending
        ):
            since = case.objection_pending_since
            start = max(v.repairable_from, as_of)
            out.append(
                _action(
                    "REPAIR",
                    (
                        f"{name[0]}的异议处理中{f'（自 {since} 起）' if since else ''}，异议办结后"
                        f"可申请信用修复（最早 {start}）",
                        f"The objection to {name[1]} is pending"
                        f"{f' (since {since})' if since else ''}: credit repair may be applied "
                        f"for once it is decided (from {start} at the earliest)",
                    ),
                    state="later",
                    since=since,
                    available_from=start,
                    **common,
                    **effect,
                )
            )
        else:
            start = max(v.repairable_from, as_of)
            later = start > as_of
            out.append(
                _action(
                    "REPAIR",
                    (
                        f"{name[0]}自 {start} 起可申请信用修复（公示至 {v.publish_until}）"
                        if later
                        else f"{name[0]}现在可申请信用修复（公示至 {v.publish_until}）",
                        f"Credit repair of {name[1]} may be applied for from {start} (public "
                        f"until {v.publish_until})"
                        if later
                        else f"Credit repair of {name[1]} may be applied for now (public until "
                        f"{v.publish_until})",
                    ),
                    state="later" if later else "available",
                    available_from=start,
                    **common,
                    **effect,
                )
            )
        if cases is not None and not objected and case.repair_pending_since is None:
            out.append(
                _action(
                    "OBJECT",
                    (
                        f"对{name[0]}有异议的，可在公示期内（至 {v.publish_until}）提出异议",
                        f"If {name[1]} is wrong, object while it is public (until "
                        f"{v.publish_until})",
                    ),
                    available_from=as_of,
                    **common,
                )
            )
    pledges = model.params("pledges")
    in_force = [
        p
        for p in facts.pledges
        if p.current_on(as_of)
        and p.valid_from <= as_of <= p.valid_until
        and (pledges is None or pledges.counts(p.type))
    ]
    for p in sorted(in_force, key=lambda p: p.valid_until):
        if p.valid_until <= as_of + timedelta(days=RENEW_WITHIN_DAYS):
            out.append(
                _action(
                    "RENEW_PLEDGE",
                    (
                        f"信用承诺将于 {p.valid_until} 到期，可在到期前续作承诺",
                        f"A pledge ends on {p.valid_until}: renew it before then",
                    ),
                    ref=p.id,
                    available_from=as_of,
                    until=p.valid_until,
                )
            )
    new_pledge = scored.get(("PUBLISH_PLEDGE", None))
    if new_pledge is not None:
        out.append(
            _action(
                "PUBLISH_PLEDGE",
                ("作出并公示信用承诺", "File and publish an integrity pledge"),
                available_from=as_of,
                **_scored(new_pledge),
            )
        )
    for code, text in (
        ("DECLARE_CONTACT", ("登记客服联系方式", "Declare a customer-service contact")),
        ("DECLARE_SHOPS", ("登记所经营的网店", "Declare the online shops")),
    ):
        a = scored.get((code, None))
        if a is not None and a.points > 0:
            out.append(_action(code, text, available_from=as_of, **_scored(a)))
    return out
