"""Which language a page is shown in, and the helpers templates use to show it.

Texts are written as pairs beside each other (``t("搜索", "Search")``) rather than as gettext
catalogs: the domain vocabularies already carry (Chinese, English) pairs, a pair cannot drift
out of step with its translation, and there is no compile step for ``make run``. Chinese is
the default; ``?lang=en`` switches and is remembered in a cookie; otherwise the browser's
Accept-Language decides between the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, g, request

from api.pages.choices import remember, url_with
from credit.enterprises.vocab import PLATFORMS, PLATFORMS_EN
from credit.regions import authority_name_en

LANGS = ("zh", "en")
COOKIE = "lang"
#: Blueprints whose ``?lang=`` chooses one answer's language and is not remembered: the
#: credit seal is embedded in other sites and the feeds are read by feed readers; neither
#: ever sets a cookie.
NOT_REMEMBERED = frozenset({"seal", "feeds"})


def select_lang() -> str:
    """The language of this request: ``?lang=``, then the cookie, then Accept-Language."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in LANGS:
        return kept
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return "en" if best and best.startswith("en") else "zh"


def lang() -> str:
    return g.get("lang") or "zh"


def t(zh: str, en: str) -> str:
    """The text of a pair in the page's language."""
    return en if lang() == "en" else zh


def label(pair: Sequence[str] | None, default: str = "") -> str:
    """A (Chinese, English) vocabulary pair in the page's language."""
    if not pair:
        return default
    return pair[1] if lang() == "en" and len(pair) > 1 and pair[1] else pair[0]


def authority(name: str | None) -> str:
    """An authority's name in the page's language (its English name where one is known)."""
    if lang() == "en":
        return authority_name_en(name) or name or ""
    return name or ""


def platform(code: str | None, fallback: str = "") -> str:
    """A platform's name (淘宝 / Taobao) in the page's language."""
    names = PLATFORMS_EN if lang() == "en" else PLATFORMS
    return names.get(code or "") or fallback or code or ""


def url_in(other: str) -> str:
    """This page in another language (the switch link)."""
    return url_with(COOKIE, other)


def register(app: Flask) -> None:
    @app.before_request
    def _choose() -> None:
        g.lang = select_lang()

    @app.after_request
    def _remember(resp: Response) -> Response:
        remember(app, resp, COOKIE, LANGS, kept_default=None, not_remembered=NOT_REMEMBERED)
        if resp.mimetype == "text/html":
            resp.headers.add("Vary", "Cookie")
            resp.headers.add("Vary", "Accept-Language")
        return resp

    app.add_template_filter(authority, "authority")
    app.add_template_filter(platform, "platform")

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "t": t,
            "label": label,
            "lang": lang,
            "url_in": url_in,
            "html_lang": "en" if lang() == "en" else "zh-CN",
        }
