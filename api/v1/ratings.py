"""Credit ratings: the published grade with its factors, its history, a factor-by-factor
explanation, replays under any published model at any past date, and the models' rules."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from api.auth import current_identity, optional_token
from api.v1.common import Blueprint, PageArgs, PageMetaSchema, page_body
from credit import dates
from credit.ratings import service
from credit.text import Text
from credit.translog.refs import log_index_field

PREFIX = ""
blp = Blueprint("ratings", __name__, description="信用评价 / credit ratings")


class ReplayArgs(Schema):
    class Meta:
        unknown = RAISE

    as_of = dates.BoundedDate(
        dates.REPLAY,
        metadata={"description": "按此日期重放评价（不晚于今天）/ replay as of this date"},
    )
    model = Text(
        metadata={"description": "已发布的评分模型版本，如 2026.1 / a published model version"}
    )
    view = Text(
        validate=validate.OneOf(["legal", "recorded"]),
        metadata={
            "description": "重放视角（默认 legal）：legal 按规则当日应适用的情况（决定日期、"
            "有效期）；recorded 当日平台已知并公示的情况（录入、公示、撤销的时间）/ replay view "
            "(default legal): legal = what the rules say applied that day (decision and validity "
            "dates); recorded = what was known and public that day (recording, publication and "
            "revocation times)"
        },
    )


class RecordBasisSchema(Schema):
    kind = fields.String(
        metadata={"description": "violation | pledge | serious_list | commendation"}
    )
    ref = fields.String(allow_none=True)
    legal_date = fields.Date(
        allow_none=True, metadata={"description": "决定、生效、列入或授予日期 / legal date"}
    )
    recorded_on = fields.Date(
        allow_none=True, metadata={"description": "平台录入或公示之日 / recorded or published on"}
    )
    basis = fields.String(
        metadata={
            "description": "本视角计起的日期依据 / the date the view counts it from: "
            "decision_date | recorded_at | in_force_from | published_at | listed_on | granted_on"
        }
    )
    counted_from = fields.Date(allow_none=True)
    known = fields.Boolean(
        metadata={
            "description": "当日是否计入本视角（recorded：当日是否已录入）/ in this view that day"
        }
    )


class FactorSchema(Schema):
    family = fields.String(metadata={"description": "base | basic | public | market | hard_rule"})
    code = fields.String(metadata={"description": "原因代码 / reason code"})
    points = fields.Integer(metadata={"description": "对分数的贡献 / points contributed"})
    ref = fields.String(allow_none=True, metadata={"description": "相关记录 id / record id"})
    text = fields.String()
    text_en = fields.String()
    params = fields.Dict()


class FamilySchema(Schema):
    family = fields.String()
    label = fields.String()
    label_en = fields.String()
    points = fields.Integer()


class RatingSchema(Schema):
    uscc = fields.String()
    name = fields.String()
    grade = fields.String(metadata={"description": "AAA ... C"})
    grade_text = fields.String(
        metadata={"description": "等级释义，如 信用优良 / the grade in words"}
    )
    grade_text_en = fields.String(metadata={"description": "e.g. very good"})
    tier = fields.String(metadata={"description": "A 信用良好 / B 信用一般 / C 信用差"})
    tier_text = fields.String(metadata={"description": "等次释义 / the tier in words"})
    tier_text_en = fields.String()
    score = fields.Integer(metadata={"description": "0-1000"})
    model_version = fields.String()
    as_of = fields.Date()
    computed_at = fields.DateTime(allow_none=True)
    next_change = fields.Date(
        allow_none=True,
        metadata={
            "description": "不发生新事实时分数下次变化的日期 / next date time alone changes it"
        },
    )
    inputs_digest = fields.String()
    hard_rules = fields.List(fields.String())
    caps = fields.List(fields.Nested(lambda: CapSchema()))
    stored = fields.Boolean(metadata={"description": "false: 按请求重放计算，未发布 / a replay"})
    raised = fields.List(
        fields.Nested(FactorSchema),
        metadata={
            "description": "加分因素，重要的在前 / factors that raised it, most important first"
        },
    )
    lowered = fields.List(
        fields.Nested(FactorSchema),
        metadata={"description": "减分因素，重要的在前 / factors that lowered it"},
    )
    factors = fields.List(
        fields.Nested(FactorSchema),
        metadata={
            "description": "全部贡献（含基础分），合计等于分数 / every contribution; they add up "
            "to the score"
        },
    )
    families = fields.List(fields.Nested(FamilySchema))
    view = fields.String(
        metadata={"description": "published（已发布的评价）| legal | recorded（重放视角）"}
    )
    view_note = fields.String()
    view_note_en = fields.String()
    log_index = log_index_field(
        "公开日志中该经营者评价的最新条目序号（仅已发布的评价；重放与历史评价为 null）/ the "
        "latest public-log entry of the firm's rating (the published rating only; null for a "
        "replay or an earlier rating)"
    )
    records = fields.List(
        fields.Nested(RecordBasisSchema),
        metadata={
            "description": "重放时各记录的日期依据 / for a replay: how each record was dated"
        },
    )


class RatingPageSchema(PageMetaSchema):
    items = fields.List(fields.Nested(RatingSchema))


class GradeStepSchema(Schema):
    grade = fields.String()
    min_score = fields.Integer()
    points_needed = fields.Integer(
        allow_none=True,
        metadata={
            "description": "null 表示有上限低于该等级，加分无法达到 / null: a cap lies below "
            "that grade, no points reach it (see held_by and caps)"
        },
    )
    points_margin = fields.Integer()
    held_by = fields.List(fields.String())
    text = fields.String()
    text_en = fields.String()


class CapSchema(Schema):
    """A cap (hard rule) in force, in words: what it holds, until when, what lifts it."""

    code = fields.String()
    ref = fields.String(allow_none=True)
    max_score = fields.Integer()
    grade = fields.String()
    binding = fields.Boolean()
    until = fields.Date(allow_none=True)
    lift_from = fields.Date(allow_none=True)
    text = fields.String()
    text_en = fields.String()
    lift = fields.String()
    lift_en = fields.String()


class MilestoneSchema(Schema):
    code = fields.String()
    ref = fields.String(allow_none=True)
    text = fields.String()
    text_en = fields.String()


class OutlookSchema(Schema):
    date = fields.Date()
    score = fields.Integer()
    grade = fields.String()
    milestones = fields.List(fields.Nested(MilestoneSchema))


class ActionSchema(Schema):
    code = fields.String()  # REPAIR | OBJECT | RENEW_PLEDGE | PUBLISH_PLEDGE | DECLARE_*
    ref = fields.String(allow_none=True)
    label = fields.String()
    state = fields.String(metadata={"description": "available | later | pending"})
    available_from = fields.Date(allow_none=True)
    since = fields.Date(allow_none=True)
    until = fields.Date(allow_none=True)
    score = fields.Integer(allow_none=True)
    grade = fields.String(allow_none=True)
    points = fields.Integer(allow_none=True)
    text = fields.String()
    text_en = fields.String()


class ModelSchema(Schema):
    version = fields.String()
    title = fields.String()
    title_en = fields.String()
    published_on = fields.Date()
    current = fields.Boolean()
    changelog = fields.List(fields.String())


class ExplanationSchema(Schema):
    rating = fields.Nested(RatingSchema)
    next_grade = fields.Nested(GradeStepSchema, allow_none=True)
    grade_floor = fields.Nested(GradeStepSchema)
    capped_by = fields.List(fields.String())
    caps = fields.List(
        fields.Nested(CapSchema),
        metadata={"description": "生效的评级上限及解除方法 / caps in force and what lifts each"},
    )
    outlook = fields.List(
        fields.Nested(OutlookSchema),
        metadata={
            "description": "今后的关键日期及届时分数 / dated milestones ahead with the score then"
        },
    )
    actions = fields.List(
        fields.Nested(ActionSchema),
        metadata={"description": "企业可采取的措施及其效果 / what the firm can do, and its effect"},
    )
    model = fields.Nested(ModelSchema)


@blp.route("/enterprises/<string:uscc>/rating", methods=["GET"])
@optional_token
@blp.arguments(ReplayArgs, location="query")
@blp.response(200, RatingSchema)
@blp.alt_response(404, description="未登记 / not registered")
def get_rating(args: dict[str, Any], uscc: str) -> Any:
    """信用评价（等级、分数与加减分因素）/ Credit rating with its factors"""
    return service.get_rating(
        current_identity(), uscc, args.get("as_of"), args.get("model"), args.get("view")
    )


@blp.route("/enterprises/<string:uscc>/rating/history", methods=["GET"])
@optional_token
@blp.arguments(PageArgs, location="query")
@blp.response(200, RatingPageSchema)
def rating_history(args: dict[str, Any], uscc: str) -> Any:
    """评价历史（每次结果变化一条，最新在前）/ Rating history, newest first"""
    page = service.rating_history(current_identity(), uscc, args["page"], args["size"])
    return page_body(page, page.items)


@blp.route("/enterprises/<string:uscc>/rating/explain", methods=["GET"])
@optional_token
@blp.arguments(ReplayArgs, location="query")
@blp.response(200, ExplanationSchema)
def explain_rating(args: dict[str, Any], uscc: str) -> Any:
    """评价说明：各信号贡献、距上一等级、关键日期与可采取的措施 / Explanation"""
    return service.explain_rating(
        current_identity(), uscc, args.get("as_of"), args.get("model"), args.get("view")
    )


@blp.route("/rating-models", methods=["GET"])
@optional_token
@blp.response(200, ModelSchema(many=True))
def list_models() -> Any:
    """已发布的评分模型版本及变更说明 / Published scoring models and their changelogs"""
    return service.list_models(current_identity())
