"""Administrative penalties in the national "双公示" data format (行政处罚信息数据项).

Regulators' case systems, 信用中国 and the provincial credit portal exchange penalty
records as rows of standard columns (CF_XDR_MC, CF_WSH, CF_JDRQ ...). This module writes
the platform's public records in that shape: only records inside their publicity window,
only what the public pages show, with a natural person's name masked as on the pages.

The columns and their meaning follow the national item list as regulators' systems
export it: amounts in 万元 (CF_NR_FK, CF_NR_WFFF), dates as YYYY-MM-DD, the offender's
category (CF_XDR_LB) as 法人及非法人组织 or 个体工商户. CF_SXYZCD (失信严重程度), which many
provincial exports add, carries the record's severity (轻微 / 一般 / 严重).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from credit import clock, publicity
from credit.enterprises.models import Enterprise
from credit.enterprises.schemas import public_legal_representative
from credit.extensions import db
from credit.identity import Identity
from credit.permissions import can_read_public, require
from credit.violations.models import Violation
from credit.violations.vocab import CATEGORIES, PENALTY_TYPES, SEVERITIES


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    description: str = ""


#: The columns of a penalty row, in the order files carry them.
COLUMNS: tuple[Column, ...] = (
    Column("CF_XDR_MC", "行政相对人名称"),
    Column("CF_XDR_LB", "行政相对人类别", "法人及非法人组织 | 个体工商户"),
    Column("CF_XDR_SHXYM", "统一社会信用代码"),
    Column("CF_FRDB", "法定代表人", "自然人姓名已遮蔽 / a natural person's name is masked"),
    Column("CF_WSH", "行政处罚决定书文号"),
    Column("CF_WFXW", "违法行为类型"),
    Column("CF_SY", "违法事实"),
    Column("CF_YJ", "处罚依据"),
    Column("CF_CFLB", "处罚类别"),
    Column("CF_NR", "处罚内容"),
    Column("CF_NR_FK", "罚款金额（万元）"),
    Column("CF_NR_WFFF", "没收违法所得、没收非法财物的金额（万元）"),
    Column("CF_NR_ZKDX", "暂扣或吊销证照名称及编号"),
    Column("CF_JDRQ", "处罚决定日期", "YYYY-MM-DD"),
    Column("CF_YXQ", "处罚有效期", "YYYY-MM-DD"),
    Column("CF_GSJZQ", "公示截止期", "YYYY-MM-DD"),
    Column("CF_CFJG", "处罚机关"),
    Column("CF_CFJGDM", "处罚机关统一社会信用代码"),
    Column("CF_SJLY", "数据来源单位"),
    Column("CF_SJLYDM", "数据来源单位统一社会信用代码"),
    Column("CF_SXYZCD", "失信严重程度", "轻微 | 一般 | 严重"),
    Column("BZ", "备注"),
)

#: CF_XDR_LB: the two kinds of offender a firm can be (a natural person is never one here).
ORGANISATION, INDIVIDUAL = "法人及非法人组织", "个体工商户"

#: Records read per query while exporting (the export streams; memory stays flat).
BATCH = 500

_TEN_THOUSAND = Decimal(10_000)


def _plain(amount: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form: 2000.00 -> 2000."""
    return format(amount.normalize(), "f")


def _wan(amount: Decimal | None) -> str:
    """元 as 万元, as the format carries money (2000 元 -> 0.2)."""
    return "" if amount is None else _plain(amount / _TEN_THOUSAND)


def _content(v: Violation) -> str:
    """处罚内容 in words: the penalty and, for money, its amount (罚款2000元)."""
    name = PENALTY_TYPES[v.penalty_type][0]
    return name if v.penalty_amount is None else f"{name}{_plain(v.penalty_amount)}元"


def row_of(v: Violation) -> dict[str, str]:
    """One public record as a row of the format (every column present, "" when the
    platform does not hold the item)."""
    ent = v.enterprise
    money = v.penalty_amount
    return {
        "CF_XDR_MC": ent.name,
        "CF_XDR_LB": INDIVIDUAL if ent.entity_type == "individual_business" else ORGANISATION,
        "CF_XDR_SHXYM": ent.uscc,
        "CF_FRDB": public_legal_representative(ent) or "",
        "CF_WSH": v.decision_number,
        "CF_WFXW": CATEGORIES[v.category][0],
        "CF_SY": v.facts,
        "CF_YJ": v.legal_basis,
        "CF_CFLB": PENALTY_TYPES[v.penalty_type][0],
        "CF_NR": _content(v),
        "CF_NR_FK": _wan(money) if v.penalty_type == "fine" else "",
        "CF_NR_WFFF": _wan(money) if v.penalty_type == "confiscation" else "",
        "CF_NR_ZKDX": "",
        "CF_JDRQ": v.decision_date.isoformat(),
        "CF_YXQ": "",
        "CF_GSJZQ": v.publish_until.isoformat(),
        "CF_CFJG": v.authority.name,
        "CF_CFJGDM": v.authority.uscc or "",
        "CF_SJLY": v.authority.name,
        "CF_SJLYDM": v.authority.uscc or "",
        "CF_SXYZCD": SEVERITIES[v.severity][0],
        "BZ": "",
    }


#: The order of an export: by decision, then by what the rows say (the same records give
#: the same file on any platform, whatever ids they were given there).
_ORDER = (Violation.decision_date, Violation.decision_number, Violation.id)


def _public_penalties(since: date | None, until: date | None, city: str | None) -> sa.Select[Any]:
    stmt = (
        sa.select(Violation)
        .where(publicity.public_clause(clock.today()))
        .options(sa.orm.lazyload(Violation.clauses), sa.orm.lazyload(Violation.corrections))
    )
    if city:
        stmt = stmt.join(Enterprise, Violation.enterprise_id == Enterprise.id).where(
            Enterprise.city_code == city
        )
    if since:
        stmt = stmt.where(Violation.decision_date >= since)
    if until:
        stmt = stmt.where(Violation.decision_date <= until)
    return stmt


def count_public_penalties(
    identity: Identity,
    *,
    since: date | None = None,
    until: date | None = None,
    city: str | None = None,
) -> int:
    """How many rows :func:`export_penalties` yields for the same filters."""
    require(can_read_public(identity))
    stmt = _public_penalties(since, until, city)
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def export_penalties(
    identity: Identity,
    *,
    since: date | None = None,
    until: date | None = None,
    city: str | None = None,
) -> Iterator[dict[str, str]]:
    """The public penalty records decided from ``since`` to ``until`` (inclusive), of
    firms in ``city`` when given, oldest decision first, as rows of the format. Read in
    batches by keyset (``_ORDER``), so an export of the whole record streams."""
    require(can_read_public(identity))
    return _rows(_public_penalties(since, until, city))


def _rows(stmt: sa.Select[Any]) -> Iterator[dict[str, str]]:
    keys = stmt.with_only_columns(*_ORDER)
    after: tuple[date, str, str] | None = None
    while True:
        page = keys if after is None else keys.where(sa.tuple_(*_ORDER) > after)
        batch = db.session.execute(page.order_by(*_ORDER).limit(BATCH)).all()
        if batch:
            ids = [row[2] for row in batch]
            found = {
                v.id: v for v in db.session.scalars(stmt.where(Violation.id.in_(ids))).unique()
            }
            for violation_id in ids:
                yield row_of(found[violation_id])
        if len(batch) < BATCH:
            return
        after = tuple(batch[-1])
