"""What the open-data snapshot publishes: four datasets, each a list of fields.

Every row is made by the public API's own output schemas (``PublicEnterpriseSchema``,
``PledgeSchema``, ``ViolationSchema``) or, for ratings, from the stored rating the public
rating endpoint shows, so a snapshot carries exactly the projection and the masking the
public pages and the API carry (a natural person's name masked, a business contact only
while the firm publishes it), and only the rows they list: the public pledges
(``pledges.service.public_pledges_query``) and the violations inside their publicity
window (``publicity.public_clause``).

Rows are read in keyset pages of :data:`BATCH` (never an OFFSET, never the whole table),
so memory stays flat however many firms the province has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from credit import publicity
from credit.enterprises.models import Enterprise
from credit.enterprises.schemas import PublicEnterpriseSchema
from credit.extensions import db
from credit.pledges.models import Pledge
from credit.pledges.schemas import PledgeSchema
from credit.pledges.service import public_pledges_query
from credit.ratings.catalog import catalog
from credit.ratings.models import CurrentRating, RatingRecord
from credit.violations.models import Violation
from credit.violations.schemas import ViolationSchema

#: Rows read per query.
BATCH = 500


@dataclass(frozen=True)
class Field:
    """One column of a dataset: its name (CSV header and JSON key) and its meaning."""

    name: str
    zh: str
    en: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    title_en: str
    description: str
    description_en: str
    fields: tuple[Field, ...]
    #: The rows as dicts keyed by field name, read in keyset pages as of ``day``.
    rows: Callable[[date], Iterator[dict[str, Any]]]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _pages(stmt: sa.Select, key: Any) -> Iterator[list[Any]]:
    """``stmt``'s rows in pages of BATCH, ordered by the unique column ``key``."""
    after = None
    while True:
        page = stmt if after is None else stmt.where(key > after)
        rows = list(db.session.scalars(page.order_by(key).limit(BATCH)).unique())
        if not rows:
            return
        after = getattr(rows[-1], key.key)
        yield rows
        if len(rows) < BATCH:
            return


def _pick(dumped: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {n: dumped.get(n) for n in names}


def _enterprise_rows(day: date) -> Iterator[dict[str, Any]]:
    schema = PublicEnterpriseSchema()
    names = ENTERPRISES.field_names
    for page in _pages(sa.select(Enterprise), Enterprise.uscc):
        for ent in page:
            yield _pick(schema.dump(ent), names)
        db.session.expunge_all()


def _pledge_rows(day: date) -> Iterator[dict[str, Any]]:
    schema = PledgeSchema()
    names = PLEDGES.field_names
    for page in _pages(public_pledges_query(), Pledge.id):
        for pledge in page:
            yield _pick(schema.dump(pledge), names)
        db.session.expunge_all()


def _violation_rows(day: date) -> Iterator[dict[str, Any]]:
    schema = ViolationSchema()
    names = VIOLATIONS.field_names
    stmt = sa.select(Violation).where(publicity.public_clause(day))
    for page in _pages(stmt, Violation.id):
        for violation in page:
            yield _pick(schema.dump(violation), names)
        db.session.expunge_all()


def _rating_rows(day: date) -> Iterator[dict[str, Any]]:
    """Each rated firm's published rating: its newest stored rating (what
    ``GET /api/v1/enterprises/{uscc}/rating`` shows), with the next change date of the
    current rating when that is of the same model version (as the endpoint does)."""
    models = catalog()
    stmt = sa.select(Enterprise.uscc, Enterprise.id, Enterprise.name)
    after = None
    while True:
        page = stmt if after is None else stmt.where(Enterprise.uscc > after)
        firms = db.session.execute(page.order_by(Enterprise.uscc).limit(BATCH)).all()
        ids = [f.id for f in firms]
        newest = (
            sa.select(sa.func.max(RatingRecord.id))
            .where(RatingRecord.enterprise_id.in_(ids))
            .group_by(RatingRecord.enterprise_id)
        )
        records = {
            r.enterprise_id: r
            for r in db.session.scalars(sa.select(RatingRecord).where(RatingRecord.id.in_(newest)))
        }
        current = {
            c.enterprise_id: c
            for c in db.session.scalars(
                sa.select(CurrentRating).where(CurrentRating.enterprise_id.in_(ids))
            )
        }
        for firm in firms:
            rec = records.get(firm.id)
            if rec is None:
                continue  # not rated yet: the API rates it on the spot, the file skips it
            model = models.get(rec.model_version)
            now = current.get(firm.id)
            next_change = rec.next_change
            if now is not None and now.model_version == rec.model_version:
                next_change = now.next_change
            yield {
                "uscc": firm.uscc,
                "enterprise_name": firm.name,
                "grade": rec.grade,
                "grade_name": model.grade_words[rec.grade][0],
                "grade_name_en": model.grade_words[rec.grade][1],
                "tier": rec.tier,
                "tier_name": model.tier_words[rec.tier][0],
                "score": rec.score,
                "model_version": rec.model_version,
                "as_of": rec.as_of.isoformat(),
                "next_change": next_change.isoformat() if next_change else None,
            }
        db.session.expunge_all()
        if len(firms) < BATCH:
            return
        after = firms[-1].uscc


ENTERPRISES = Dataset(
    "enterprises",
    "电子商务经营者登记信息",
    "E-commerce operators (registry)",
    "平台登记的全部经营者的公开信息，与经营者公开页面和 GET /api/v1/enterprises 相同；"
    "自然人法定代表人姓名已遮蔽，联系方式仅在企业选择公开时列出。",
    "The public registry data of every operator on the platform, as its public page and "
    "GET /api/v1/enterprises show it; a natural person's name is masked, the business "
    "contact appears only while the firm publishes it.",
    (
        Field("uscc", "统一社会信用代码", "unified social credit code (GB 32100)"),
        Field("name", "名称", "registered name"),
        Field("former_names", "曾用名（列表）", "former names (a list)"),
        Field("entity_type", "主体类型代码", "entity type code (from the USCC)"),
        Field("entity_type_name", "主体类型", "entity type in Chinese"),
        Field("operator_type", "经营者类型代码", "operator type code"),
        Field("operator_type_name", "经营者类型", "operator type in Chinese"),
        Field("city_code", "设区市代码（GB/T 2260）", "city code (GB/T 2260)"),
        Field("city_name", "设区市", "city"),
        Field("district_code", "区县代码", "district code"),
        Field("district_name", "区县", "district"),
        Field("industry", "行业代码", "industry code"),
        Field("industry_name", "行业", "industry in Chinese"),
        Field("registration_date", "成立日期", "registration date (YYYY-MM-DD)"),
        Field("status", "登记状态代码", "registration status code"),
        Field("status_name", "登记状态", "registration status in Chinese"),
        Field(
            "legal_representative",
            "法定代表人（自然人姓名已遮蔽，如 张*明）",
            "legal representative (a natural person's name masked, e.g. 张*明)",
        ),
        Field(
            "shops",
            "网店（列表：平台、店名、链接）",
            "online shops (a list: platform, shop name, link)",
        ),
        Field(
            "business_contact",
            "企业公开的经营联系方式（未公开为空）",
            "business contact the firm publishes (empty when it does not)",
        ),
        Field("updated_at", "最后更新时间（UTC）", "last updated (UTC)"),
    ),
    _enterprise_rows,
)

PLEDGES = Dataset(
    "pledges",
    "信用承诺",
    "Integrity pledges",
    "公开的信用承诺（已公示、已替代、已撤回，含已过期），与 GET /api/v1/pledges 相同；"
    "签署人姓名已遮蔽；草稿和企业未同意公开的承诺不在其中。",
    "Public integrity pledges (published, superseded, withdrawn, also expired), as "
    "GET /api/v1/pledges lists them; the signer's name is masked; drafts and pledges the "
    "firm did not consent to publish are not included.",
    (
        Field("id", "承诺编号", "pledge id"),
        Field(
            "series_id", "承诺系列编号（修改后的各版本相同）", "series id (shared by amendments)"
        ),
        Field("series_version", "系列中的版本", "version within the series"),
        Field("uscc", "经营者统一社会信用代码", "the firm's USCC"),
        Field("enterprise_name", "经营者名称", "the firm's name"),
        Field("template_code", "承诺模板代码", "template code"),
        Field("template_version", "模板版本", "template version"),
        Field("type", "承诺类型", "pledge type"),
        Field("title", "标题", "title"),
        Field("status", "状态代码", "status code"),
        Field("status_name", "状态", "status in Chinese"),
        Field("clauses", "承诺条款（列表：代码、中英文内容）", "clauses (a list: code, text)"),
        Field("extra_commitments", "补充承诺（列表）", "further commitments (a list)"),
        Field("compliance", "履约情况：kept 守诺 / breached 违诺", "kept | breached"),
        Field("breached_clauses", "被认定违反的条款代码", "codes of breached clauses"),
        Field("valid_from", "生效日期", "valid from"),
        Field("valid_until", "有效期至", "valid until"),
        Field("signer_name", "签署人（姓名已遮蔽）", "signer (name masked)"),
        Field("signer_title", "签署人职务", "signer's title"),
        Field("published_at", "公示时间（UTC）", "published at (UTC)"),
        Field("superseded_at", "被新版本替代的时间", "superseded at"),
        Field("withdrawn_at", "撤回时间", "withdrawn at"),
        Field("withdrawal_reason", "撤回理由", "reason for withdrawal"),
        Field("url", "API 地址", "its API URL"),
    ),
    _pledge_rows,
)

VIOLATIONS = Dataset(
    "violations",
    "违法失信信息",
    "Violations (public records)",
    "快照当日处于公示期内的违法失信信息，与 GET /api/v1/violations 相同；已撤销、已修复、"
    "未公示或公示期已满的记录不在其中。",
    "The violations inside their publicity window on the snapshot's day, as "
    "GET /api/v1/violations lists them; revoked, repaired, unpublished and ended records "
    "are not included.",
    (
        Field("id", "记录编号", "record id"),
        Field("uscc", "经营者统一社会信用代码", "the firm's USCC"),
        Field("enterprise_name", "经营者名称", "the firm's name"),
        Field("city_name", "设区市", "city"),
        Field("authority", "认定机关", "deciding authority"),
        Field("category", "违法行为类别代码", "category code"),
        Field("category_name", "违法行为类别", "category in Chinese"),
        Field("severity", "失信程度：minor 轻微 / general 一般 / serious 严重", "severity"),
        Field("severity_name", "失信程度", "severity in Chinese"),
        Field("decision_number", "决定书文号", "decision number"),
        Field("legal_basis", "处罚依据", "legal basis"),
        Field("facts", "违法事实", "facts"),
        Field("penalty_type", "处罚类别代码", "penalty type code"),
        Field("penalty_type_name", "处罚类别", "penalty type in Chinese"),
        Field("penalty_amount", "金额（元）", "amount (yuan)"),
        Field("decision_date", "决定日期", "decision date"),
        Field("conduct_date", "违法行为日期", "date of the conduct"),
        Field("regime", "公示规则：NDRC | SAMR", "publicity rules followed: NDRC | SAMR"),
        Field("published_on", "公示日期", "published on"),
        Field("public_from", "公示起始日", "public from"),
        Field("publish_until", "公示截止日", "public until"),
        Field("repairable", "可申请信用修复", "credit repair possible"),
        Field("repairable_from", "可申请修复之日", "repair possible from"),
        Field("status", "状态代码", "status code"),
        Field("status_name", "状态", "status in Chinese"),
        Field(
            "breached_clauses",
            "违反的承诺条款（列表：承诺、条款、认定理由）",
            "pledge clauses breached (a list: pledge, clause, reason)",
        ),
    ),
    _violation_rows,
)

RATINGS = Dataset(
    "ratings",
    "信用评价",
    "Credit ratings",
    "每个已评价经营者当前发布的信用评价（三等九级）及其评分模型版本，与 "
    "GET /api/v1/enterprises/{uscc}/rating 相同；评价依据见各模型版本的公开规则。",
    "Each rated firm's published rating (three tiers, nine grades) with the scoring model "
    "version it was made under, as GET /api/v1/enterprises/{uscc}/rating shows it; each "
    "model version's rules are published (GET /api/v1/rating-models).",
    (
        Field("uscc", "经营者统一社会信用代码", "the firm's USCC"),
        Field("enterprise_name", "经营者名称", "the firm's name"),
        Field("grade", "等级（AAA…C）", "grade (AAA ... C)"),
        Field("grade_name", "等级含义", "the grade in words (Chinese)"),
        Field("grade_name_en", "等级含义（英文）", "the grade in words (English)"),
        Field("tier", "等（A 守信 / B 关注 / C 失信）", "tier (A, B, C)"),
        Field("tier_name", "等的含义", "the tier in words"),
        Field("score", "分数", "score"),
        Field("model_version", "评分模型版本", "scoring model version"),
        Field("as_of", "评价所依据的日期", "the day the rating was computed for"),
        Field("next_change", "预计下次变化日期（无则为空）", "next date it changes by time alone"),
    ),
    _rating_rows,
)

#: The datasets of a snapshot, in the order the catalogue lists them.
DATASETS: tuple[Dataset, ...] = (ENTERPRISES, PLEDGES, VIOLATIONS, RATINGS)
BY_NAME = {d.name: d for d in DATASETS}
