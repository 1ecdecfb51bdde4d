"""Error texts in the reader's language: one place that turns any message into (zh, en).

Messages reach the HTTP layer in three shapes, and every answer (problem+json or an error
page) should be in the language asked for, Chinese by default:

* pairs written as ``"中文 / English"`` (or ``"中文 (English)"``) by the services: split;
* marshmallow's and webargs' own English messages ("Missing data for required field."):
  their Chinese is in ``_MARSHMALLOW`` / ``_PATTERNS`` here; parameter names never leak;
* Chinese-only details from older services, and the framework's English descriptions: the
  catalogs ``EN`` (exact text or pattern -> English) and ``HTTP_DETAILS`` (status -> pair).

A text nobody translated is shown as it is in both languages rather than dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LANGS = ("zh", "en")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTERS = re.compile(r"[A-Za-z]{2,}")
#: " / " between the two languages; the Chinese side may end in a full-width bracket.
_SEP = re.compile(r"\s*/\s+")
#: "中文 (English words)" at the end of a text.
_PAREN = re.compile(r"^(?P<zh>.*\S)\s+\((?P<en>[^()]*[A-Za-z]+ [^()]*)\)\s*$", re.S)


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def _split(text: str) -> tuple[str, str] | None:
    for m in _SEP.finditer(text):
        zh, en = text[: m.start()].strip(), text[m.end() :].strip()
        if has_han(zh) and not has_han(en) and _LETTERS.search(en):
            return zh, en
    m = _PAREN.match(text)
    if m and has_han(m["zh"]) and not has_han(m["en"]):
        return m["zh"].strip(), m["en"].strip()
    return None


# -- marshmallow, webargs, flask-smorest: English only, fixed texts -----------------------
_MARSHMALLOW: dict[str, str] = {
    "Missing data for required field.": "此项必填",
    "Field may not be null.": "不能为空",
    "Invalid value.": "取值无效",
    "Invalid type.": "类型不正确",
    "Invalid input type.": "输入类型不正确",
    "Unknown field.": "不接受此字段",
    "Not a valid list.": "应为列表",
    "Not a valid tuple.": "应为列表",
    "Not a valid string.": "应为文本",
    "Not a valid utf-8 string.": "不是有效的 UTF-8 文本",
    "Not a valid UUID.": "不是有效的编号（UUID）",
    "Not a valid number.": "应为数字",
    "Number too large.": "数字过大",
    "Not a valid integer.": "应为整数",
    "Not a valid decimal.": "应为数字",
    "Special numeric values (nan or infinity) are not permitted.": "不能为 NaN 或无穷大",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD",
    "Not a valid datetime.": "时间格式应为 ISO 8601（如 2024-05-01T08:00:00+08:00）",
    "Not a valid time.": "时刻格式应为 HH:MM:SS",
    "Not a valid period of time.": "不是有效的时长",
    "Not a valid mapping type.": "应为 JSON 对象",
    "Not a valid URL.": "不是有效的网址",
    "Not a valid email address.": "不是有效的电子邮箱地址",
    "String does not match expected pattern.": "格式不正确",
    "Invalid JSON body.": "请求体不是有效的 JSON",
    "Invalid JSON": "请求体不是有效的 JSON",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度应为 {0}–{1}"),
    (re.compile(r"^Length must be (\d+)\.$"), "长度应为 {0}"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "至少 {0} 个字符或 {0} 项"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "最多 {0} 个字符或 {0} 项"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "应在 {0} 到 {1} 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "不能小于 {0}"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "不能大于 {0}"),
    (re.compile(r"^Must be greater than (\S+)\.$"), "应大于 {0}"),
    (re.compile(r"^Must be less than (\S+)\.$"), "应小于 {0}"),
    (re.compile(r"^Must be one of: (.*)\.$", re.S), "应为以下取值之一：{0}"),
    (re.compile(r"^Not a valid (?:aware |naive )?(\w+)\.$"), "格式不正确"),
]


def _marshmallow_zh(text: str) -> str | None:
    if text in _MARSHMALLOW:
        return _MARSHMALLOW[text]
    for pattern, template in _PATTERNS:
        m = pattern.match(text)
        if m:
            return template.format(*m.groups())
    return None


# -- Chinese-only details of the services -> English ---------------------------------------
def _catalog(
    entries: list[tuple[str, str]],
) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(f"^{zh}$", re.S), en) for zh, en in entries]


#: Details and messages services raise in Chinese only (exact text, or a pattern whose
#: groups are carried over as ``{0}``...). Keep the pattern beside the text it translates.
EN: list[tuple[re.Pattern[str], str]] = _catalog(
    [
        (r"未找到统一社会信用代码为 (\S+) 的经营者", "no merchant with the code {0}"),
        (r"未找到统一社会信用代码为 (\S+) 的经营者联系信息", "no contact details for {0}"),
        (r"未找到本企业", "your enterprise was not found"),
        (r"未找到承诺书模板", "no such pledge template"),
        (r"未找到该信用承诺", "no such pledge"),
        (r"未找到该违法失信信息", "no such record"),
        (r"未找到该申请", "no such application"),
        (r"未找到该名单记录", "no such listing"),
        (r"未找到编号为 (.+) 的信用报告", "no credit report numbered {0}"),
        (r"未登记的经营者：(.+)", "merchants not registered here: {0}"),
        (r"没有代 (\S+) 填报的授权", "no mandate to file for {0}"),
        (r"模板已发布，已发布的版本不可修改", "the template is published and cannot change"),
        (
            r"已公示的承诺不可修改；请提交变更（amendment）",
            "a published pledge cannot change; file an amendment",
        ),
        (r"只能发布草稿（当前状态：(\w+)）", "only a draft can be published (it is {0})"),
        (
            r"只能变更已公示的承诺（当前状态：(\w+)）",
            "only a published pledge can be amended (it is {0})",
        ),
        (
            r"该承诺已有未发布的变更草稿 (\S+)",
            "the pledge already has an unpublished amendment {0}",
        ),
        (
            r"只能撤回已公示的承诺（当前状态：(\w+)）",
            "only a published pledge can be withdrawn (it is {0})",
        ),
        (r"决定书文号 (.+) 已录入（(.+)）", "decision number {0} is already recorded ({1})"),
        (r"该记录已撤销", "the record has been revoked"),
        (
            r"该记录已撤销或已修复，无需异议",
            "the record is revoked or repaired: nothing to object to",
        ),
        (r"该记录已有正在处理的异议", "an objection to this record is being handled"),
        (r"该异议已处理", "the objection has been decided"),
        (r"该记录已撤销或已修复", "the record is revoked or repaired"),
        (r"该记录已有正在审核的修复申请", "a repair application for this record is under review"),
        (r"该申请已处理", "the application has been decided"),
        (r"已撤销或已修复的记录不能更正", "a revoked or repaired record cannot be corrected"),
        (r"只能操作本企业的承诺", "only your own enterprise's pledges"),
        (r"只能变更本企业的承诺", "only your own enterprise's pledges can be amended"),
        (r"只有平台运营方可以载入工作日历", "only the platform operator loads the work calendar"),
        (r"只有监管机关可以查看管辖机关", "only regulators may list authorities"),
        (r"该经营者不在本机关管辖范围内", "the merchant is outside your jurisdiction"),
        (r"只能对本企业的记录提出异议", "you may object only to your own enterprise's records"),
        (r"只有作出决定的机关可以审查异议", "only the deciding authority reviews objections"),
        (r"只有作出决定的机关可以延期", "only the deciding authority may extend"),
        (r"只能为本企业的记录申请修复", "you may apply to repair only your own records"),
        (
            r"谁认定谁修复：只有作出决定的机关可以审核",
            "only the deciding authority reviews repairs",
        ),
        (r"只有作出列入决定的机关可以移出", "only the listing authority may remove"),
        (r"只有监管机关可以查看统计", "only regulators may see these statistics"),
        (r"只能修改本企业的信息", "you may change only your own enterprise's details"),
        (
            r"修改需要 If-Match 请求头（取自上次读取的 ETag）",
            "a change needs If-Match (the ETag you last read)",
        ),
        (
            r"(.+?)已被修改（当前版本 (\d+)，请求基于版本 (\d+)），请重新读取",
            "it has changed (now version {1}, you sent version {2}); read it again",
        ),
        (r"数据已被他人修改，请重新读取后再试", "someone else changed it; read it again and retry"),
        (r"已过期", "expired"),
        (r"决定日期不能晚于今天", "the decision date cannot be after today"),
        (r"请求参数未通过校验", "the request did not pass validation"),
        (r"请求无法完成", "the request cannot be completed"),
        (r"模板不存在或未发布", "no such published template"),
        (r"有效期有误", "the validity period is wrong"),
        (r"有效期已过，不能发布", "the validity period has ended: cannot publish"),
        (r"该承诺不包含此条款", "the pledge has no such clause"),
        (r"该决定日期没有适用的公示规则", "no publicity rule applies on that decision date"),
        (r"文件没有数据行", "the file has no data rows"),
        (r"模板中没有这些条款: (.+)", "the template has no clauses {0}"),
        (r"缺少必选条款: (.+)", "required clauses missing: {0}"),
        (r"公示类承诺必须同意公开", "a published pledge needs consent to publish"),
    ]
)

#: English-only messages of the services -> Chinese.
ZH: dict[str, str] = {
    "unknown or unpublished template": "模板不存在或未发布",
    "not a platform operator": "不是平台经营者",
    "no rule in force": "没有适用的规则",
    "no data rows": "文件没有数据行",
}


def _english_of(text: str) -> str | None:
    for pattern, template in EN:
        m = pattern.match(text)
        if m:
            return template.format(*m.groups())
    return None


def pair(text: str) -> tuple[str, str]:
    """(Chinese, English) of a message; where one side is unknown, the text as it is."""
    text = str(text)
    split = _split(text)
    if split:
        return split
    if has_han(text):
        return text, _english_of(text) or text
    zh = _marshmallow_zh(text) or ZH.get(text)
    return (zh or text), text


def in_lang(text: str | None, lang: str) -> str | None:
    """``text`` in ``lang`` ("zh" or "en")."""
    if not text:
        return text
    zh, en = pair(text)
    return en if lang == "en" else zh


def both(text: str) -> str:
    """``text`` as "中文 (English)" (one string for readers of either language)."""
    zh, en = pair(text)
    return zh if zh == en else f"{zh} ({en})"


# -- the framework's own errors (werkzeug descriptions are English) -----------------------
#: Status -> (title zh, title en).
HTTP_TITLES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "Bad Request"),
    401: ("需要身份认证", "Unauthorized"),
    403: ("禁止访问", "Forbidden"),
    404: ("未找到", "Not Found"),
    405: ("不支持该请求方法", "Method Not Allowed"),
    406: ("无法提供所需格式", "Not Acceptable"),
    408: ("请求超时", "Request Timeout"),
    409: ("冲突", "Conflict"),
    412: ("版本已变更", "Precondition Failed"),
    413: ("请求体过大", "Content Too Large"),
    414: ("网址过长", "URI Too Long"),
    415: ("不支持的媒体类型", "Unsupported Media Type"),
    422: ("输入有误", "Unprocessable Content"),
    428: ("需要 If-Match 请求头", "Precondition Required"),
    429: ("请求过于频繁", "Too Many Requests"),
    431: ("请求头过大", "Request Header Fields Too Large"),
    500: ("服务器内部错误", "Internal Server Error"),
    501: ("未实现", "Not Implemented"),
    503: ("服务暂不可用", "Service Unavailable"),
}

#: Status -> a (zh, en) detail builder for the framework's generic descriptions.
HTTP_DETAILS: dict[int, Callable[[str], tuple[str, str]]] = {
    400: lambda m: ("请求格式有误", "the request is malformed"),
    401: lambda m: ("需要登录或有效的访问令牌", "sign in or send a valid access token"),
    403: lambda m: ("您无权访问此地址", "you may not access this address"),
    404: lambda m: (
        "您访问的地址不存在，请检查网址或从首页进入",
        "there is nothing at this address; check it or start from the home page",
    ),
    405: lambda m: (
        f"此地址不接受 {m} 请求（允许的方法见 Allow 头）",
        f"this address does not accept {m} (see the Allow header for the methods it does)",
    ),
    406: lambda m: ("无法以所需格式提供", "cannot answer in the format asked for"),
    408: lambda m: ("请求未能及时发送完", "the request was not sent in time"),
    413: lambda m: ("请求体超过允许的大小", "the request body is larger than allowed"),
    414: lambda m: ("网址超过允许的长度", "the address is longer than allowed"),
    415: lambda m: ("请以 JSON 发送请求体", "send the body as JSON"),
    431: lambda m: ("请求头超过允许的大小", "the request headers are larger than allowed"),
    500: lambda m: (
        "请稍后再试；如持续出现，请附上 request_id 联系我们",
        "please try again later; if it persists, contact us with the request_id",
    ),
    501: lambda m: ("不支持该操作", "this is not supported"),
    503: lambda m: ("服务暂不可用，请稍后再试", "the service is unavailable; try again later"),
}


_UNITS = {
    "second": ("秒", "second"),
    "minute": ("分钟", "minute"),
    "hour": ("小时", "hour"),
    "day": ("天", "day"),
    "month": ("月", "month"),
    "year": ("年", "year"),
}


#: Who a limit counts (``Rule.per`` in api/limits.py) -> (zh, en) words.
_COUNTED = {
    "address": ("同一地址", "from this address"),
    "client id and address": ("同一客户端在同一地址", "for this client from this address"),
    "username and address": ("同一用户名在同一地址", "for this username from this address"),
}


def rate_limit_text(amount: int, multiples: int, unit: str, retry_after: int, per: str) -> str:
    """A breached rate limit in words, both languages: "同一地址每分钟最多 20 次请求，请 N 秒后
    重试" / "at most 20 requests a minute from this address; try again in N seconds"."""
    zh_unit, en_unit = _UNITS.get(unit, (unit, unit))
    if multiples == 1:
        zh_per, en_per = f"每{zh_unit}", f"a {en_unit}"
    else:
        zh_per, en_per = f"每 {multiples} {zh_unit}", f"every {multiples} {en_unit}s"
    zh_who, en_who = _COUNTED.get(per, ("", ""))
    seconds = "second" if retry_after == 1 else "seconds"
    return (
        f"{zh_who}{zh_per}最多 {amount} 次请求，请 {retry_after} 秒后重试 / "
        f"at most {amount} requests {en_per} {en_who}; try again in {retry_after} {seconds}"
    ).replace("  ", " ")
