"""Deterministic, realistic demo enterprises for Jiangsu.

Same ``seed`` and ``n`` give the same enterprises on every machine. Codes are valid under
both GB 32100 and GB 11714 with Jiangsu district codes; names follow the registry patterns:
city + trade name + industry + company form, individual businesses (区 + 字号 + 行业 + 店),
and farmer cooperatives. Records come out already in the shape ``EnterpriseRecordSchema``
produces, so a million can be generated and loaded in minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from credit import uscc
from credit.enterprises.vocab import PLATFORMS
from credit.regions import DISTRICTS, JIANGSU_CITIES

_TRADE_CHARS = (
    "华鑫盛泰恒通达顺丰瑞祥和兴隆源昌宏伟嘉诚信德佳美新创远航金银星月明辉光耀天海"
    "江南苏锡常宁扬润云汇博雅康安富贵万家乐福禄喜尚品优选智慧联合众益利久长青春晨"
    "益辰启帆航宇凯越卓成博翔奥森林木禾田丰收仁义礼智秀丽锦绣鼎峰宸睿泽航轩逸宝"
    "悦怡欣茂杰俊豪杭淮徐通连盐镇泰宿晟昊煜涵铭钧鸿旭骏弘景逸"
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志文斌浩宇欣怡佳琪"
    "子涵梓轩一诺雨桐晨曦俊杰"
)
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "apparel": ("服饰", "服装", "鞋业", "纺织品"),
    "food": ("食品", "饮料", "茶叶", "粮油"),
    "electronics": ("电子", "数码科技", "电器"),
    "cosmetics": ("化妆品", "日化用品"),
    "home": ("家居", "家纺", "家具"),
    "maternal": ("母婴用品", "婴童用品"),
    "agriculture": ("农业发展", "农产品", "生态农业"),
    "health": ("医药", "健康科技"),
    "books": ("文化用品", "图书"),
    "sports": ("体育用品", "户外用品"),
    "jewelry": ("珠宝", "首饰"),
    "services": ("网络科技", "信息科技", "电子商务"),
    "auto": ("汽车用品", "汽配"),
    "general": ("商贸", "贸易", "电子商务", "供应链管理"),
}
_INDUSTRY_WEIGHTS = {
    "apparel": 14,
    "food": 14,
    "electronics": 10,
    "cosmetics": 7,
    "home": 8,
    "maternal": 5,
    "agriculture": 8,
    "health": 4,
    "books": 3,
    "sports": 4,
    "jewelry": 3,
    "services": 7,
    "auto": 3,
    "general": 10,
}
_SHOP_SUFFIXES = ("旗舰店", "官方旗舰店", "专营店", "专卖店", "小店", "优选店")
_SHOP_PLATFORMS = [p for p in PLATFORMS if p != "own_site"]
_CITY_WEIGHTS = {
    "320100": 16,
    "320200": 12,
    "320300": 8,
    "320400": 8,
    "320500": 20,
    "320600": 7,
    "320700": 4,
    "320800": 4,
    "320900": 5,
    "321000": 5,
    "321100": 3,
    "321200": 4,
    "321300": 4,
}
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 set: every position must be in it


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _trade(rng: random.Random) -> str:
    return "".join(rng.choice(_TRADE_CHARS) for _ in range(rng.choice((2, 2, 2, 3))))


def _code(rng: random.Random, kind: str, district: str) -> str:
    body = "".join(rng.choice(_ORG_CHARS) for _ in range(8))
    return uscc.complete(kind + district + body)


def generate(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Yield ``n`` distinct enterprise records."""
    rng = random.Random(seed)
    cities = list(_CITY_WEIGHTS)
    city_w = list(_CITY_WEIGHTS.values())
    industries = list(_INDUSTRY_WEIGHTS)
    industry_w = list(_INDUSTRY_WEIGHTS.values())
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    start = date(2000, 1, 1)
    made = 0
    while made < n:
        city = rng.choices(cities, city_w)[0]
        district = rng.choice(list(DISTRICTS[city]))
        industry = rng.choices(industries, industry_w)[0]
        roll = rng.random()
        kind = "91" if roll < 0.75 else "92" if roll < 0.95 else "93"
        code = _code(rng, kind, district)
        city_name = JIANGSU_CITIES[city]
        word = rng.choice(_INDUSTRY_WORDS[industry])
        trade = _trade(rng)
        if kind == "91":
            form = rng.choices(("有限公司", "有限责任公司", "股份有限公司"), (80, 15, 5))[0]
            name = f"{city_name[:-1]}{trade}{word}{form}"
            if rng.random() < 0.3:
                name = f"{city_name}{trade}{word}{form}"
            operator = rng.choices(("on_platform", "self_operated", "platform"), (70, 25, 5))[0]
        elif kind == "92":
            district_name = DISTRICTS[city][district]
            name = f"{city_name}{district_name}{trade}{word}{rng.choice(('店', '商行', '经营部'))}"
            operator = "on_platform"
        else:
            industry = "agriculture"
            district_name = DISTRICTS[city][district]
            word = rng.choice(_INDUSTRY_WORDS[industry])
            name = f"{city_name[:-1]}{district_name}{trade}{word}专业合作社"
            operator = rng.choice(("on_platform", "self_operated"))
        if code in seen_codes or name in seen_names:
            continue
        seen_codes.add(code)
        seen_names.add(name)
        shops = []
        for i in range(rng.choices((0, 1, 2, 3), (15, 50, 25, 10))[0]):
            platform = rng.choice(_SHOP_PLATFORMS)
            shops.append(
                {
                    "platform": platform,
                    "shop_name": f"{trade}{rng.choice(_SHOP_SUFFIXES)}",
                    "url": f"https://{platform}.example.com/shop/{code.lower()}-{i}",
                }
            )
        if operator == "self_operated":
            shops.append(
                {
                    "platform": "own_site",
                    "shop_name": f"{trade}官方商城",
                    "url": f"https://www.{code.lower()}.example.cn/",
                }
            )
        former = (
            [f"{city_name}{_trade(rng)}{word}有限公司"]
            if kind == "91" and rng.random() < 0.08
            else []
        )
        yield {
            "uscc": code,
            "name": name,
            "former_names": former,
            "entity_type": uscc.ENTITY_TYPES[kind],
            "operator_type": operator,
            "city_code": city,
            "district_code": district,
            "industry": industry,
            "registration_date": start + timedelta(days=rng.randrange(9500)),
            "status": rng.choices(("active", "revoked", "cancelled"), (94, 3, 3))[0],
            "legal_representative": _person(rng),
            "legal_representative_kind": "natural_person",
            "shops": shops,
        }
        made += 1
