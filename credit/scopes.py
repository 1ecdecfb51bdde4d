"""The scope registry: every OAuth scope the platform knows, and who may hold it.

Routes declare the scope they need (api/auth.py); a client or user is registered with a
subset of the scopes its kind may hold, and a token carries a subset of those.
"""

from __future__ import annotations

SCOPES: dict[str, tuple[str, str]] = {
    "enterprises:read": (
        "查看经营者非公开登记信息（联系方式等）",
        "read non-public registry data (contacts)",
    ),
    "enterprises:write": ("维护本企业店铺与联系方式", "update own shops and contact data"),
    "pledges:write": ("填报、发布、变更、撤回信用承诺", "file, publish, amend, withdraw pledges"),
    "violations:write": ("录入违法失信信息", "record violations"),
    "violations:review": ("审查异议", "review objections"),
    "objections:write": ("提出异议", "file objections to records"),
    "repairs:write": ("申请信用修复", "apply for credit repair"),
    "repairs:review": ("审核信用修复申请", "review credit-repair applications"),
    "commendations:write": ("录入守信激励信息", "record commendations"),
    "keyfirms:write": (
        "维护重点电子商务企业名单、查看承诺覆盖、发送提醒（商务主管部门）",
        "keep the key e-commerce enterprise list, see pledge coverage, send reminders "
        "(commerce departments)",
    ),
    "organisations:write": (
        "发布自律公约、管理会员、开展承诺活动、转交违约线索（行业组织）",
        "publish the self-discipline convention, keep members, run pledge campaigns, refer "
        "breaches (industry organisations)",
    ),
    "admin": ("平台运营管理", "platform administration"),
    "introspect": ("令牌内省（内部资源服务）", "token introspection (internal services)"),
    "webhooks:manage": (
        "登记与管理事件推送（Webhook）端点（订阅方）",
        "register and manage webhook endpoints (subscribers)",
    ),
}

#: Which scopes each kind of party may ever hold.
ALLOWED_BY_KIND: dict[str, frozenset[str]] = {
    "enterprise": frozenset(
        {
            "enterprises:read",
            "enterprises:write",
            "pledges:write",
            "objections:write",
            "repairs:write",
        }
    ),
    "regulator": frozenset(
        {
            "enterprises:read",
            "violations:write",
            "violations:review",
            "repairs:review",
            "commendations:write",
            "keyfirms:write",
        }
    ),
    "organisation": frozenset({"organisations:write"}),
    "operator": frozenset({"admin", "enterprises:read"}),
    "internal": frozenset({"introspect"}),
    "subscriber": frozenset({"webhooks:manage"}),
}

#: Scopes a console (authorization_code) client may request on behalf of its users.
CONSOLE_SCOPES = frozenset(SCOPES) - {"introspect", "webhooks:manage"}


def parse(text: str | list[str] | None) -> list[str]:
    if not text:
        return []
    items = text.split() if isinstance(text, str) else list(text)
    return sorted(set(items))


def unknown(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in SCOPES]
