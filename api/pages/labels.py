"""Vocabulary pairs (Chinese, English) the public pages show beside codes."""

from __future__ import annotations

from credit.enterprises.vocab import INDUSTRIES
from credit.pledges.vocab import PLEDGE_TYPES, STATUS_LABELS
from credit.ratings.catalog import catalog
from credit.regions import JIANGSU_CITIES, JIANGSU_CITIES_EN
from credit.violations.vocab import CATEGORIES, SEVERITIES
from search.documents import warnings_of

CITY_EN = JIANGSU_CITIES_EN
FACET_NAMES = {
    "city": ("地市", "City"),
    "industry": ("行业", "Industry"),
    "grade": ("信用等级", "Grade"),
    "tier": ("等次", "Tier"),
    "severity": ("失信等级", "Severity"),
    "category": ("类别", "Category"),
    "key_category": ("重点电子商务企业", "Key e-commerce enterprise"),
}
TYPES = {
    "enterprise": ("经营者", "Merchants"),
    "pledge": ("信用承诺", "Pledges"),
    "violation": ("违法失信信息", "Violations"),
}
SORTS = {
    "relevance": ("相关度", "Relevance"),
    "score": ("信用分", "Credit score"),
    "date": ("最新", "Newest"),
}
COMPLIANCE = {"kept": ("守诺", "kept"), "breached": ("违诺", "breached")}


def pledge_status(status: str | None) -> tuple[str, str]:
    """A pledge's state in words (已撤回, 已过期, ...): a pledge no longer in force shows this
    instead of the kept mark."""
    return STATUS_LABELS.get(status or "", (status or "", status or ""))


def city(code: str | None) -> tuple[str, str]:
    if not code:
        return ("", "")
    return (JIANGSU_CITIES.get(code, code), CITY_EN.get(code, code))


def tier(code: str | None) -> tuple[str, str]:
    """An enterprise's tier (A/B/C) in words (the current model's: a score is not a legal
    finding, so never 守信/失信)."""
    return catalog().get().tier_words.get(code or "", ("未评级", "not rated"))


def grade(code: str | None) -> tuple[str, str]:
    """A grade (AAA ... C) in words: the common meanings of the nine levels (三等九级)."""
    return catalog().get().grade_words.get(code or "", ("未评级", "not rated"))


def warnings(flags: list[str] | None) -> list[tuple[str, str]]:
    """A search hit's warnings in words (the serious-dishonesty list, a serious record)."""
    return warnings_of(flags)


def facet_value(kind: str, facet: str, value: str) -> tuple[str, str]:
    if facet == "city":
        return city(value)
    if facet == "industry":
        return INDUSTRIES.get(value, (value, value))
    if facet == "grade" and kind == "enterprise":
        zh, en = grade(value)
        return (f"{value} {zh}", f"{value} {en}")
    if facet == "severity":
        return SEVERITIES.get(value, (value, value))
    if facet == "tier":
        zh, en = tier(value)
        return (f"{value} {zh}", f"{value} {en}")
    if facet == "key_category":
        from credit.keyfirms.vocab import categories

        found = categories().get(value)
        return (found.zh, found.en) if found else (value, value)
    if facet == "category":
        table = PLEDGE_TYPES if kind == "pledge" else CATEGORIES
        pair = table.get(value, (value, value))
        return (pair[0], pair[1])
    return (value, value)
