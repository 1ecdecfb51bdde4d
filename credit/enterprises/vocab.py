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

#: The words consumers search a trade by, per industry: a query word among them also
#: matches as the industry's name, which every enterprise is indexed by (search.variants),
#: so 南京 鼓楼 零食 finds the food firms of 鼓楼区 whatever their names say. Expanded when
#: searched: a word added here needs no reindex. Each word belongs to one industry only, so
#: a query names one trade; words every e-commerce firm shares (电子商务, 网店) are in none.
INDUSTRY_TERMS: dict[str, tuple[str, ...]] = {
    "apparel": ("服装", "服饰", "鞋帽", "鞋业", "纺织品", "女装", "男装", "童装"),
    "food": ("食品", "饮料", "茶叶", "粮油", "零食", "酒水", "生鲜"),
    "electronics": ("数码", "电子", "电子产品", "电子科技", "家电", "电器", "手机", "电脑"),
    "cosmetics": ("美妆", "化妆", "化妆品", "个护", "日化用品", "护肤品"),
    "home": ("家居", "家纺", "家具", "床上用品", "厨具"),
    "maternal": ("母婴", "婴童", "孕婴", "奶粉", "玩具"),
    "agriculture": ("农产品", "农业", "种植", "养殖", "果蔬", "合作社"),
    "health": ("医药", "药品", "健康", "保健品", "医疗器械"),
    "books": ("图书", "文具", "文化", "文化用品", "书店", "办公用品"),
    "sports": ("运动", "户外", "体育", "体育用品", "健身器材"),
    "jewelry": ("珠宝", "饰品", "首饰", "黄金", "玉器"),
    "services": ("生活服务", "网络", "网络科技", "信息科技", "家政", "维修", "本地生活"),
    "auto": ("汽车", "汽车用品", "汽配", "汽车配件", "车品"),
    "general": ("综合零售", "商贸", "贸易", "百货", "供应链"),
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
