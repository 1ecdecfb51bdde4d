"""Controlled vocabularies of the registry, kept as data with Chinese and English labels."""

from __future__ import annotations

#: 电子商务法 Art. 9: the three kinds of e-commerce operator.
OPERATOR_TYPES: dict[str, tuple[str, str]] = {
    "platform": ("电子商务平台经营者", "e-commerce platform operator"),
    "on_platform": ("平台内经营者", "operator on a platform"),
    "self_operated": (
        "自建网站或其他网络服务经营者",
        "operator selling through its own site or other network services",
    ),
}

#: Registration status as a market-regulation registry publishes it.
STATUSES: dict[str, tuple[str, str]] = {
    "active": ("存续（在营、开业、在册）", "active"),
    "revoked": ("吊销", "licence revoked"),
    "cancelled": ("注销", "deregistered"),
    "moved_out": ("迁出", "moved out of the province"),
}

#: Industries of e-commerce operators (a pragmatic subset; an operator can extend it).
INDUSTRIES: dict[str, tuple[str, str]] = {
    "apparel": ("服装鞋帽", "apparel and footwear"),
    "food": ("食品饮料", "food and beverages"),
    "electronics": ("数码家电", "electronics and appliances"),
    "cosmetics": ("美妆个护", "cosmetics and personal care"),
    "home": ("家居家纺", "home and textiles"),
    "maternal": ("母婴用品", "maternal and baby products"),
    "agriculture": ("农产品", "agricultural products"),
    "health": ("医药健康", "health and pharmacy"),
    "books": ("图书文具", "books and stationery"),
    "sports": ("运动户外", "sports and outdoors"),
    "jewelry": ("珠宝饰品", "jewellery and accessories"),
    "services": ("生活服务", "local services"),
    "auto": ("汽车用品", "automotive"),
    "general": ("综合零售", "general retail"),
}

#: Where shops are run (platform code -> name).
PLATFORMS: dict[str, str] = {
    "taobao": "淘宝",
    "tmall": "天猫",
    "jd": "京东",
    "pinduoduo": "拼多多",
    "douyin": "抖音",
    "kuaishou": "快手",
    "meituan": "美团",
    "xiaohongshu": "小红书",
    "vip": "唯品会",
    "suning": "苏宁易购",
    "wechat": "微信小店",
    "own_site": "自建网站",
}

#: The platforms' names in English pages (the brands' own English or pinyin names).
PLATFORMS_EN: dict[str, str] = {
    "taobao": "Taobao",
    "tmall": "Tmall",
    "jd": "JD.com",
    "pinduoduo": "Pinduoduo",
    "douyin": "Douyin",
    "kuaishou": "Kuaishou",
    "meituan": "Meituan",
    "xiaohongshu": "Xiaohongshu (RED)",
    "vip": "Vipshop",
    "suning": "Suning.com",
    "wechat": "WeChat Shop",
    "own_site": "own website",
}

LEGAL_REP_KINDS = ("natural_person", "organisation")
