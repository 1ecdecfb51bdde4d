"""Bulk rating facts for a benchmark registry: about 1.5 pledges and 0.5 violations per
enterprise, with breaches, repairs, revocations, commendations and serious-list entries.

Rows are inserted directly (no change events), deterministically for a seed, with
publicity windows from the real rules table. Run inside an instance that already holds the
demo registry: ``python -m tests.bench.ratings_data``. Prints the row counts as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.pledges.models import Pledge, PledgeBreach, PledgeTemplate
from credit.violations.demo import ensure_demo_authorities
from credit.violations.models import (
    Commendation,
    RepairApplication,
    SeriousListEntry,
    Violation,
)
from credit.violations.rules import window
from credit.violations.vocab import CATEGORIES

CHUNK = 20_000


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def generate(seed: int = 1) -> dict[str, int]:
    from credit.identity import SYSTEM
    from credit.pledges import service as pledges
    from credit.uow import unit_of_work

    with unit_of_work(run_hooks=False) as uow:
        pledges.seed_templates(SYSTEM, uow)
        authorities = ensure_demo_authorities(uow)
    session = db.session
    templates = {t.code: t for t in session.scalars(sa.select(PledgeTemplate))}
    std, repair_t = templates["ECOM-STD"], templates["CREDIT-REPAIR"]
    today, now = clock.today(), clock.now()
    rng = random.Random(seed)
    categories = list(CATEGORIES)
    counts = dict.fromkeys(
        ("pledges", "violations", "breaches", "repairs", "commendations", "serious_list"), 0
    )
    serial = 0
    last = ""
    while True:
        ents = session.execute(
            sa.select(Enterprise.id, Enterprise.city_code)
            .where(Enterprise.id > last)
            .order_by(Enterprise.id)
            .limit(CHUNK)
        ).all()
        if not ents:
            break
        last = ents[-1][0]
        rows = {k: [] for k in counts}
        for ent_id, city in ents:
            firm_pledges = []
            for _ in range(rng.choices((0, 1, 2, 3), (15, 35, 35, 15))[0]):
                start = today - timedelta(days=rng.randrange(1500))
                end = start + timedelta(days=365 * rng.choice((1, 2, 3)))
                p = {
                    "id": new_id(),
                    "series_id": new_id(),
                    "series_version": 1,
                    "enterprise_id": ent_id,
                    "template_id": std.id,
                    "status": "published",
                    "clauses": std.required_codes(),
                    "extra_commitments": [],
                    "valid_from": start,
                    "valid_until": end,
                    "signer_name": "经营者",
                    "signer_title": "负责人",
                    "consent_to_publish": True,
                    "created_by": "bench",
                    "created_at": _at(start),
                    "updated_at": _at(start),
                    "published_at": _at(start),
                    "superseded_at": None,
                    "superseded_by_id": None,
                    "withdrawn_at": None,
                    "withdrawal_reason": None,
                    "expired_at": None,
                    "version": 1,
                }
                if end < today:  # the daily sweep recorded its end the next midnight
                    p["expired_at"] = _at(end + timedelta(days=1))
                if rng.random() < 0.05:
                    p.update(
                        status="withdrawn",
                        expired_at=None,
                        withdrawn_at=_at(start + timedelta(days=30)),
                        withdrawal_reason="停止经营",
                    )
                firm_pledges.append(p)
            rows["pledges"].extend(firm_pledges)
            authority = authorities[f"JS-SAMR-{city[:4]}"]
            for _ in range(rng.choices((0, 1, 2, 3), (70, 15, 10, 5))[0]):
                serial += 1
                severity = rng.choices(("minor", "general", "serious"), (20, 65, 15))[0]
                decided = today - timedelta(days=rng.randrange(5, 3 * 365))
                w = window(severity, decided)
                v = {
                    "id": new_id(),
                    "enterprise_id": ent_id,
                    "authority_id": authority.id,
                    "category": rng.choice(categories),
                    "severity": severity,
                    "decision_number": f"苏市监罚〔{decided.year}〕B{serial}号",
                    "legal_basis": "相关法律法规",
                    "facts": "基准测试数据",
                    "penalty_type": "fine",
                    "penalty_amount": 10000,
                    "decision_date": decided,
                    "conduct_date": decided,
                    "rule_version": w.rule_version,
                    "regime": w.regime,
                    "published": w.published,
                    "published_on": w.published_on,
                    "public_from": w.public_from,
                    "repairable_from": w.repairable_from,
                    "repair_excluded": w.repair_excluded,
                    "publish_until": w.publish_until,
                    "publish_by": w.publish_by,
                    "status": "active",
                    "objection_pending": rng.random() < 0.03,
                    "recorded_by": "bench",
                    "recorded_at": _at(decided),
                    "revoked_at": None,
                    "revocation_reason": None,
                    "publicity_ended_at": None,
                    "version": 1,
                }
                roll = rng.random()
                if roll < 0.05:
                    v.update(
                        status="revoked",
                        revoked_at=_at(decided + timedelta(days=20)),
                        revocation_reason="复议撤销",
                    )
                elif roll < 0.15 and firm_pledges and today > w.repairable_from:
                    v["status"] = "repaired"
                    repair_pledge = {
                        **firm_pledges[0],
                        "id": new_id(),
                        "series_id": new_id(),
                        "template_id": repair_t.id,
                        "clauses": repair_t.required_codes(),
                    }
                    rows["pledges"].append(repair_pledge)
                    decided_at = _at(w.repairable_from + timedelta(days=3))
                    rows["repairs"].append(
                        {
                            "id": new_id(),
                            "violation_id": v["id"],
                            "pledge_id": repair_pledge["id"],
                            "statement": "已整改",
                            "filed_by": "bench",
                            "filed_at": decided_at,
                            "due_workdays": 3,
                            "status": "approved",
                            "decision_reason": "同意",
                            "decided_by": "bench",
                            "decided_at": decided_at,
                            "version": 1,
                        }
                    )
                elif firm_pledges and rng.random() < 0.2:
                    target = rng.choice(firm_pledges)
                    if target["valid_from"] <= decided <= target["valid_until"]:
                        rows["breaches"].append(
                            {
                                "id": new_id(),
                                "pledge_id": target["id"],
                                "clause_code": "C04",
                                "violation_id": v["id"],
                                "recorded_at": _at(decided),
                                "revoked_at": None,
                            }
                        )
                if severity == "serious" and rng.random() < 0.1:
                    rows["serious_list"].append(
                        {
                            "id": new_id(),
                            "enterprise_id": ent_id,
                            "authority_id": authority.id,
                            "legal_basis": "严重违法失信名单管理办法",
                            "reason": "严重违法失信",
                            "listed_on": decided,
                            "remove_on": decided + timedelta(days=3 * 365),
                            "removed_at": None,
                            "recorded_at": _at(decided),
                        }
                    )
                rows["violations"].append(v)
            if rng.random() < 0.01:
                rows["commendations"].append(
                    {
                        "id": new_id(),
                        "enterprise_id": ent_id,
                        "authority_id": authority.id,
                        "title": "江苏省电子商务示范企业",
                        "legal_basis": "省商务厅认定",
                        "granted_on": today - timedelta(days=rng.randrange(300)),
                        "valid_until": today + timedelta(days=rng.randrange(30, 700)),
                        "recorded_at": now,
                    }
                )
        for key, model in (
            ("pledges", Pledge),
            ("violations", Violation),
            ("breaches", PledgeBreach),
            ("repairs", RepairApplication),
            ("commendations", Commendation),
            ("serious_list", SeriousListEntry),
        ):
            if rows[key]:
                session.execute(sa.insert(model.__table__), rows[key])
                counts[key] += len(rows[key])
        session.commit()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from api import create_app

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        counts = generate(args.seed)
    print(json.dumps({**counts, "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
