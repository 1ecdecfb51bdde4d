"""The feeds as served: Atom (RFC 4287) and JSON Feed 1.1, for one firm and for the public
record of violations (``credit.feeds`` decides what they say).

    /feeds/enterprises/{uscc}.atom | .json      a firm's credit news
    /feeds/violations.atom | .json              records public today (?city= &category=
                                                &severity=)

A feed is fetched by readers that never sign in and polled often, so it is the same for
everyone (``api.caching.same_for_everyone``; its language is ``?lang=`` alone, never a
cookie or Accept-Language, and no cookie is set), carries a strong ``ETag`` of its bytes and
answers ``304`` to a matching ``If-None-Match``, may be kept ``MAX_AGE`` seconds, and may
be read by any site (``Access-Control-Allow-Origin: *``, through ``api.pages.seal``'s
cross-origin list). An unknown query parameter or value is a problem+json 400 naming it.
Atom is written by feedgen (lxml), which escapes what it writes; a character XML cannot
carry (a control character) is dropped first.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson
from feedgen.feed import FeedGenerator
from flask import Blueprint, Flask, Response, redirect, request, url_for
from marshmallow import RAISE, Schema, validate

from api import urls
from api.auth import current_identity, public
from api.caching import same_for_everyone
from api.pages.profiles import canonical_code
from api.pages.seal import etag_of, query_args
from credit import feeds
from credit.regions import JIANGSU_CITIES
from credit.text import Text
from credit.violations.vocab import CATEGORIES, SEVERITIES

bp = Blueprint("feeds", __name__)

#: Seconds a reader or a cache may reuse a feed before asking again.
MAX_AGE = 60
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PLATFORM = ("江苏省电子商务信用公共服务平台", "Jiangsu E-commerce Credit Public-Service Platform")
INVALID = "订阅地址的参数无效 (invalid feed parameters)"
#: Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class FirmFeedArgs(Schema):
    class Meta:
        unknown = RAISE

    lang = Text(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class ViolationsFeedArgs(FirmFeedArgs):
    city = Text(
        validate=validate.OneOf(list(JIANGSU_CITIES)), metadata={"description": "city code"}
    )
    category = Text(validate=validate.OneOf(list(CATEGORIES)))
    severity = Text(validate=validate.OneOf(list(SEVERITIES)))


# -- routes ---------------------------------------------------------------------------------
@bp.get("/feeds/enterprises/<string:uscc>.atom")
@public
@same_for_everyone
def enterprise_atom(uscc: str) -> Response:
    return _firm(uscc, "atom")


@bp.get("/feeds/enterprises/<string:uscc>.json")
@public
@same_for_everyone
def enterprise_json(uscc: str) -> Response:
    return _firm(uscc, "json")


@bp.get("/feeds/violations.atom")
@public
@same_for_everyone
def violations_atom() -> Response:
    return _violations("atom")


@bp.get("/feeds/violations.json")
@public
@same_for_everyone
def violations_json() -> Response:
    return _violations("json")


def _firm(uscc: str, form: str) -> Response:
    args = query_args(FirmFeedArgs(), INVALID)
    code = canonical_code(uscc)
    if code != uscc:
        return redirect(url_for(request.endpoint, uscc=code, **request.args), 301)
    feed = feeds.enterprise_feed(current_identity(), code)
    home = urls.external_url("pages.enterprise", uscc=code)
    return _answer(feed, form, args["lang"], home, uscc=code)


def _violations(form: str) -> Response:
    args = query_args(ViolationsFeedArgs(), INVALID)
    lang = args.pop("lang")
    feed = feeds.violations_feed(current_identity(), **args)
    home = urls.external_url("pages.search", type="violation", **args)
    return _answer(feed, form, lang, home, **args)


# -- writing ------------------------------------------------------------------------------------
def _answer(feed: feeds.Feed, form: str, lang: str, home: str, **values: Any) -> Response:
    query = {**values, **({"lang": lang} if lang != "zh" else {})}
    self_url = urls.external_url(request.endpoint, **query)
    if form == "atom":
        body, media = atom(feed, lang, self_url, home), ATOM
    else:
        body, media = json_feed(feed, lang, self_url, home), JSON_FEED
    tag = etag_of(body)
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if request.if_none_match.contains_weak(tag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(body, status=200, headers={**headers, "Content-Type": media})


def _pick(pair: tuple[str, str], lang: str) -> str:
    return _NOT_XML.sub("", pair[1] if lang == "en" else pair[0])


def _entry_id(key: str) -> str:
    """A tag URI (RFC 4151) on the platform's host: the same entry, the same id, for good."""
    return f"tag:{urls.hostname(urls.public_url()) or 'localhost'},2026:{key}"


def _link(entry: feeds.Entry) -> str:
    if entry.violation_id:
        return urls.external_url("pages.violation", violation_id=entry.violation_id)
    return urls.external_url("pages.enterprise", uscc=entry.uscc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def atom(feed: feeds.Feed, lang: str, self_url: str, home: str) -> bytes:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(_pick(feed.title, lang))
    fg.subtitle(_pick(feed.description, lang))
    fg.updated(feed.updated)
    fg.link(href=self_url, rel="self", type=ATOM.split(";")[0])
    fg.link(href=home, rel="alternate", type="text/html")
    fg.author({"name": _pick(PLATFORM, lang), "uri": urls.public_url()})
    fg.language("en" if lang == "en" else "zh-CN")
    fg.generator(_pick(PLATFORM, lang), uri=urls.public_url())
    for entry in feed.entries:
        fe = fg.add_entry(order="append")
        fe.id(_entry_id(entry.key))
        fe.title(_pick(entry.title, lang))
        fe.link(href=_link(entry), rel="alternate", type="text/html")
        fe.published(entry.at)
        fe.updated(entry.at)
        fe.summary(_pick(entry.text, lang), type="text")
        fe.category(term=entry.event, label=_pick(feeds.EVENTS[entry.event], lang))
        fe.author({"name": _NOT_XML.sub("", entry.firm)})
    return fg.atom_str(pretty=True, encoding="UTF-8")


def json_feed(feed: feeds.Feed, lang: str, self_url: str, home: str) -> bytes:
    items = [
        {
            "id": _entry_id(entry.key),
            "url": _link(entry),
            "title": _pick(entry.title, lang),
            "content_text": _pick(entry.text, lang),
            "date_published": _iso(entry.at),
            "tags": [entry.event],
            "authors": [
                {"name": entry.firm, "url": urls.external_url("pages.enterprise", uscc=entry.uscc)}
            ],
            # JSON Feed extensions begin with an underscore: the entry's facts as values
            "_credit": {"event": entry.event, "uscc": entry.uscc, **entry.data},
        }
        for entry in feed.entries
    ]
    doc = {
        "version": JSON_FEED_VERSION,
        "title": _pick(feed.title, lang),
        "home_page_url": home,
        "feed_url": self_url,
        "description": _pick(feed.description, lang),
        "language": "en" if lang == "en" else "zh-CN",
        "authors": [{"name": _pick(PLATFORM, lang), "url": urls.public_url()}],
        "items": items,
    }
    return orjson.dumps(doc)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
