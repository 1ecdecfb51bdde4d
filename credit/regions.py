"""Jiangsu administrative divisions (GB/T 2260) that the platform needs.

A USCC never changes after issue, so district digits inside old codes may be historical:
the city (positions 3-6) is validated strictly, the district is informational.
"""

from __future__ import annotations

PROVINCE_CODE = "320000"
PROVINCE_NAME = "江苏省"

JIANGSU_CITIES: dict[str, str] = {
    "320100": "南京市",
    "320200": "无锡市",
    "320300": "徐州市",
    "320400": "常州市",
    "320500": "苏州市",
    "320600": "南通市",
    "320700": "连云港市",
    "320800": "淮安市",
    "320900": "盐城市",
    "321000": "扬州市",
    "321100": "镇江市",
    "321200": "泰州市",
    "321300": "宿迁市",
}

#: The cities' names in English pages (pinyin, as the cities themselves write them).
JIANGSU_CITIES_EN: dict[str, str] = {
    "320100": "Nanjing",
    "320200": "Wuxi",
    "320300": "Xuzhou",
    "320400": "Changzhou",
    "320500": "Suzhou",
    "320600": "Nantong",
    "320700": "Lianyungang",
    "320800": "Huai'an",
    "320900": "Yancheng",
    "321000": "Yangzhou",
    "321100": "Zhenjiang",
    "321200": "Taizhou",
    "321300": "Suqian",
}

#: A few current districts per city: enough for realistic demo data and display.
DISTRICTS: dict[str, dict[str, str]] = {
    "320100": {
        "320102": "玄武区",
        "320104": "秦淮区",
        "320105": "建邺区",
        "320106": "鼓楼区",
        "320111": "浦口区",
        "320113": "栖霞区",
        "320114": "雨花台区",
        "320115": "江宁区",
    },
    "320200": {
        "320205": "锡山区",
        "320206": "惠山区",
        "320211": "滨湖区",
        "320213": "梁溪区",
        "320214": "新吴区",
        "320281": "江阴市",
        "320282": "宜兴市",
    },
    "320300": {
        "320302": "鼓楼区",
        "320303": "云龙区",
        "320311": "泉山区",
        "320312": "铜山区",
        "320381": "新沂市",
        "320382": "邳州市",
    },
    "320400": {
        "320402": "天宁区",
        "320404": "钟楼区",
        "320411": "新北区",
        "320412": "武进区",
        "320413": "金坛区",
        "320481": "溧阳市",
    },
    "320500": {
        "320505": "虎丘区",
        "320506": "吴中区",
        "320507": "相城区",
        "320508": "姑苏区",
        "320509": "吴江区",
        "320581": "常熟市",
        "320582": "张家港市",
        "320583": "昆山市",
        "320585": "太仓市",
    },
    "320600": {
        "320612": "通州区",
        "320613": "崇川区",
        "320614": "海门区",
        "320681": "启东市",
        "320682": "如皋市",
        "320685": "海安市",
    },
    "320700": {"320703": "连云区", "320706": "海州区", "320707": "赣榆区", "320722": "东海县"},
    "320800": {"320803": "淮安区", "320804": "淮阴区", "320812": "清江浦区", "320813": "洪泽区"},
    "320900": {"320902": "亭湖区", "320903": "盐都区", "320904": "大丰区", "320981": "东台市"},
    "321000": {"321002": "广陵区", "321003": "邗江区", "321012": "江都区", "321081": "仪征市"},
    "321100": {"321102": "京口区", "321111": "润州区", "321112": "丹徒区", "321181": "丹阳市"},
    "321200": {"321202": "海陵区", "321203": "高港区", "321204": "姜堰区", "321281": "兴化市"},
    "321300": {"321302": "宿城区", "321311": "宿豫区", "321322": "沭阳县", "321323": "泗阳县"},
}


def city_code_of(division_code: str) -> str | None:
    """The city-level code (``3205xx`` -> ``320500``) or None if not six digits."""
    if len(division_code) != 6 or not division_code.isdigit():
        return None
    return division_code[:4] + "00"


def city_name(code: str | None) -> str | None:
    return JIANGSU_CITIES.get(code or "")


def district_name(code: str | None) -> str | None:
    if not code:
        return None
    return DISTRICTS.get(city_code_of(code) or "", {}).get(code)


#: Kinds of authority by the end of their Chinese name, and their English names
#: ({place} is the city or province). Longest ending first.
_AUTHORITY_KINDS: tuple[tuple[str, str], ...] = (
    ("市场监督管理局", "{place} Administration for Market Regulation"),
    ("互联网信息办公室", "{place} Cyberspace Administration"),
    ("网信办", "{place} Cyberspace Administration"),
    ("商务厅", "{place} Department of Commerce"),
    ("商务局", "{place} Bureau of Commerce"),
    ("税务局", "{place} Tax Service"),
    ("发展和改革委员会", "{place} Development and Reform Commission"),
)


def authority_name_en(name: str | None) -> str | None:
    """The English name of a Jiangsu authority named in Chinese ("苏州市市场监督管理局" ->
    "Suzhou Administration for Market Regulation"), from the regions table and the kinds
    above; None when the name is not one of those (the Chinese name is shown then)."""
    if not name:
        return None
    places = {zh: en for code, zh in JIANGSU_CITIES.items() for en in [JIANGSU_CITIES_EN[code]]}
    places[PROVINCE_NAME] = "Jiangsu"
    for ending, template in _AUTHORITY_KINDS:
        if name.endswith(ending):
            place = name[: -len(ending)]
            if place in places:
                return template.format(place=places[place])
    return None
