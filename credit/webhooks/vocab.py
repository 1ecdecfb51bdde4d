"""The webhook event types a subscriber may ask for, in zh and en."""

from __future__ import annotations

EVENT_TYPES: dict[str, tuple[str, str]] = {
    "pledge.published": ("信用承诺发布", "a pledge was published"),
    "pledge.withdrawn": ("信用承诺撤回", "a pledge was withdrawn"),
    "violation.published": ("违法失信信息公示", "a violation record was published"),
    "violation.ended": ("违法失信信息公示期满", "a violation record's publicity ended"),
    "violation.repaired": ("违法失信信息已信用修复", "a violation record was repaired"),
    "violation.revoked": ("违法失信信息已撤销", "a violation record was revoked"),
    "grade.changed": ("信用等级变化", "a firm's credit grade changed"),
    "serious_list.entered": ("列入严重失信主体名单", "a firm entered the serious list"),
    "serious_list.left": ("移出严重失信主体名单", "a firm left the serious list"),
}
