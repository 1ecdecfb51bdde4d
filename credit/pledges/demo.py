"""Demo pledges for demo enterprises: most firms one published pledge, some amended, some
withdrawn, a few expired or still in draft. Deterministic for a seed; bulk-inserted."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from credit import clock
from credit.enterprises.models import Enterprise, new_id
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_manage_registry, require
from credit.pledges.models import Pledge, PledgeTemplate
from credit.uow import UnitOfWork

_SIGNER_TITLES = ("法定代表人", "总经理", "执行董事", "经营者", "负责人")
_EXTRA = ("48 小时内发货", "支持七天无理由退货", "假一赔十", "全国联保一年", "24 小时在线客服")


def load_demo_pledges(
    identity: Identity, uow: UnitOfWork, seed: int = 1, chunk_size: int = 5000
) -> int:
    """Pledges for every enterprise that has none yet; returns how many rows were made."""
    require(can_manage_registry(identity))
    template = uow.session.scalar(
        sa.select(PledgeTemplate)
        .where(PledgeTemplate.code == "ECOM-STD", PledgeTemplate.status == "published")
        .order_by(PledgeTemplate.version.desc())
    )
    if template is None:
        return 0
    today, now = clock.today(), clock.now()
    has_pledge = sa.select(Pledge.enterprise_id).distinct()
    made, last = 0, ""
    while True:
        rows = uow.session.execute(
            sa.select(Enterprise.id, Enterprise.legal_representative, Enterprise.uscc)
            .where(Enterprise.id > last, Enterprise.id.not_in(has_pledge))
            .order_by(Enterprise.id)
            .limit(chunk_size)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        batch = []
        for ent_id, rep, uscc in rows:
            rng = random.Random(f"{seed}:{uscc}")  # per firm: a rerun makes the same choice
            roll = rng.random()
            if roll < 0.15:
                continue  # no pledge
            start = today - timedelta(days=rng.randrange(730))
            end = start + timedelta(days=365 * rng.choice((1, 2, 3)))
            base = {
                "series_id": new_id(),
                "enterprise_id": ent_id,
                "template_id": template.id,
                "clauses": template.required_codes(),
                "extra_commitments": rng.sample(_EXTRA, rng.randrange(3)),
                "valid_from": start,
                "valid_until": end,
                "signer_name": rep or "经营者",
                "signer_title": rng.choice(_SIGNER_TITLES),
                "consent_to_publish": True,
                "created_by": "demo",
                "created_at": now,
                "updated_at": now,
                "version": 1,
                # executemany needs the same keys in every row
                "published_at": None,
                "superseded_at": None,
                "superseded_by_id": None,
                "withdrawn_at": None,
                "withdrawal_reason": None,
                "expired_at": None,
            }
            if roll < 0.17:
                batch.append({**base, "id": new_id(), "series_version": 1, "status": "draft"})
                continue
            first = {
                **base,
                "id": new_id(),
                "series_version": 1,
                "status": "published",
                "published_at": now,
            }
            batch.append(first)
            if roll < 0.27:  # amended: v1 superseded by v2
                second = {
                    **base,
                    "id": new_id(),
                    "series_version": 2,
                    "status": "published",
                    "published_at": now,
                    "valid_until": end + timedelta(days=365),
                }
                first.update(status="superseded", superseded_at=now, superseded_by_id=second["id"])
                batch.append(second)
            elif roll < 0.32:
                first.update(
                    status="withdrawn",
                    withdrawn_at=now,
                    withdrawal_reason=rng.choice(("停止网店经营", "主体变更，重新承诺")),
                )
        if batch:
            uow.session.execute(sa.insert(Pledge.__table__), batch)
            for row in batch:
                uow.record("pledge", row["id"], 1)
            uow.flush_events()
            made += len(batch)
    db.session.expire_all()
    return made
