"""Demo regulators and records: violations of each severity and state, objections, repairs,
corrections, commendations and a few serious-list entries. Deterministic per seed; made
through the real services so windows and due dates are computed as in production."""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta

import sqlalchemy as sa

from credit import clock
from credit import uscc as uscc_mod
from credit.accounts.models import Authority
from credit.enterprises.models import Enterprise
from credit.errors import Conflict
from credit.identity import Identity, IdentityKind
from credit.permissions import can_manage_registry, require
from credit.regions import JIANGSU_CITIES, PROVINCE_CODE
from credit.uow import UnitOfWork
from credit.violations import registry, service, workflow
from credit.violations.models import Violation
from credit.violations.vocab import CATEGORIES

_BASES = {
    "false_advertising": "《中华人民共和国反不正当竞争法》第八条",
    "fake_orders": "《中华人民共和国电子商务法》第十七条",
    "counterfeit": "《中华人民共和国产品质量法》第三十二条",
    "pricing": "《中华人民共和国价格法》第十四条",
    "consumer_rights": "《中华人民共和国消费者权益保护法》第二十五条",
    "licence_display": "《中华人民共和国电子商务法》第十五条",
}


def ensure_demo_authorities(uow: UnitOfWork) -> dict[str, Authority]:
    """One market-regulation authority per city, plus the provincial one."""
    now = clock.now()
    existing = {a.code: a for a in uow.session.scalars(sa.select(Authority))}
    wanted = {
        f"JS-SAMR-{code[:4]}": (f"{name}市场监督管理局", [code])
        for code, name in JIANGSU_CITIES.items()
    }
    wanted["JS-SAMR"] = ("江苏省市场监督管理局", [PROVINCE_CODE])
    for code, (name, jurisdiction) in wanted.items():
        if code not in existing:
            existing[code] = Authority(
                code=code,
                name=name,
                jurisdiction=jurisdiction,
                kind="market_regulation",
                created_at=now,
            )
            uow.session.add(existing[code])
        if existing[code].uscc is None:
            existing[code].uscc = demo_authority_uscc(code, jurisdiction[0])
    uow.session.flush()
    return existing


def demo_authority_uscc(code: str, division: str) -> str:
    """A valid, made-up code of a 机关 (registration 1, category 1) in ``division``, the same
    for the same authority in every demo (real bureaus' codes are not the demo's to use)."""
    body = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 10**8
    return uscc_mod.complete(f"11{division}{body:08d}")


def _regulator(authority: Authority) -> Identity:
    return Identity(
        IdentityKind.REGULATOR,
        f"demo:{authority.code}",
        authority_id=authority.id,
        jurisdiction=frozenset(authority.jurisdiction),
        scopes=frozenset(
            {"violations:write", "violations:review", "repairs:review", "commendations:write"}
        ),
    )


def _repair(
    uow: UnitOfWork, owner: Identity, regulator: Identity, v: Violation, rng: random.Random
) -> None:
    """The firm files a credit-repair pledge and applies; half are approved at once."""
    from credit.pledges import service as pledges
    from credit.pledges.models import PledgeTemplate

    template = uow.session.scalar(
        sa.select(PledgeTemplate).where(
            PledgeTemplate.code == "CREDIT-REPAIR", PledgeTemplate.status == "published"
        )
    )
    if template is None:
        return
    today = clock.today()
    pledge = pledges.create_pledge(
        owner,
        uow,
        {
            "template_id": template.id,
            "clauses": template.required_codes(),
            "extra_commitments": [],
            "valid_from": today,
            "valid_until": today + timedelta(days=365),
            "signer_name": "经营者",
            "signer_title": "法定代表人",
            "consent_to_publish": True,
            "repair_for": v.id,
        },
    )
    pledge = pledges.publish_pledge(owner, uow, pledge.id, pledge.version)
    application = workflow.apply_for_repair(
        owner, uow, v.id, pledge.id, "已下架违规商品、完成整改并缴清罚款"
    )
    if rng.random() < 0.5:
        workflow.decide_repair(regulator, uow, application.id, True, "整改到位，同意修复")


def load_demo_violations(
    identity: Identity, uow: UnitOfWork, seed: int = 1, share: float = 0.04
) -> int:
    """Records for about ``share`` of the enterprises that have none yet."""
    require(can_manage_registry(identity))
    authorities = ensure_demo_authorities(uow)
    has = sa.select(Violation.enterprise_id).distinct()
    rows = uow.session.execute(
        sa.select(Enterprise.id, Enterprise.uscc, Enterprise.city_code)
        .where(Enterprise.id.not_in(has))
        .order_by(Enterprise.id)
    ).all()
    today, made = clock.today(), 0
    for ent_id, uscc, city in rows:
        rng = random.Random(f"{seed}:v:{uscc}")  # per firm, stable across machines
        if rng.random() >= share:
            continue
        regulator = _regulator(authorities[f"JS-SAMR-{city[:4]}"])
        owner = Identity(IdentityKind.ENTERPRISE, "demo", enterprise_id=ent_id)
        severity = rng.choices(("minor", "general", "serious"), (20, 65, 15))[0]
        category = rng.choice(list(_BASES)) if rng.random() < 0.8 else rng.choice(list(CATEGORIES))
        decided = today - timedelta(days=rng.randrange(5, 3 * 365))
        number = f"{JIANGSU_CITIES[city][:2]}市监处罚〔{decided.year}〕{rng.randrange(1, 9999)}号"
        try:
            v = service.record_violation(
                regulator,
                uow,
                {
                    "uscc": uscc,
                    "category": category,
                    "severity": severity,
                    "decision_number": number,
                    "legal_basis": _BASES.get(category, "相关法律法规"),
                    "facts": "经查，当事人在网络店铺中存在违法行为，已责令改正。",
                    "penalty_type": "fine" if severity != "minor" else "warning",
                    "penalty_amount": rng.choice((5000, 10000, 20000, 50000, 100000))
                    if severity != "minor"
                    else None,
                    "decision_date": decided,
                    # published a week after the decision (SAMR's periods run from it)
                    "published_on": min(today, decided + timedelta(days=7)),
                },
            )
        except Conflict:  # a clash of generated decision numbers: skip this one
            continue
        made += 1
        roll = rng.random()
        if roll < 0.08:
            service.revoke_violation(regulator, uow, v.id, "行政复议撤销原处罚决定", v.version)
        elif roll < 0.2 and v.status == "active":
            objection = workflow.file_objection(
                owner, uow, v.id, "对处罚所认定的事实有异议", ["物流签收记录"]
            )
            if rng.random() < 0.5:
                workflow.decide_objection(
                    regulator, uow, objection.id, False, "经复核，原认定事实清楚"
                )
        elif roll < 0.26:
            registry.correct_violation(
                regulator,
                uow,
                v.id,
                "facts",
                "经查，当事人在网络店铺中发布虚假信息，已责令改正。",
                "更正事实表述",
                v.version,
            )
        elif roll < 0.4 and v.is_public(today) and today >= v.repairable_from:
            _repair(uow, owner, regulator, v, rng)
        if rng.random() < 0.01 and not _commended(ent_id, today):
            registry.commend(
                regulator,
                uow,
                {
                    "uscc": uscc,
                    "title": "江苏省电子商务示范企业",
                    "legal_basis": "省商务厅认定",
                    "granted_on": today - timedelta(days=30),
                    "valid_until": today + timedelta(days=700),
                },
            )
        if severity == "serious" and rng.random() < 0.2 and v.status == "active":
            registry.list_on_serious_list(
                regulator,
                uow,
                {
                    "uscc": uscc,
                    "legal_basis": "《市场监督管理严重违法失信名单管理办法》",
                    "reason": "严重违法失信",
                    "listed_on": decided,
                    "remove_on": decided + timedelta(days=3 * 365),
                    "violation_id": v.id,  # the listing rests on this record
                },
            )
        uow.flush_events()
    return made


def _commended(enterprise_id: str, today: date) -> bool:
    """The firm already holds the demo's title (a second grant while it is valid is refused)."""
    from credit.extensions import db
    from credit.violations.models import Commendation

    return (
        db.session.scalar(
            sa.select(Commendation.id).where(
                Commendation.enterprise_id == enterprise_id, Commendation.valid_until >= today
            )
        )
        is not None
    )
