"""Error answers in the request's language (issue 17 item 6).

Walks a few answers of each kind (validation, 401, 403, 404, 405, 409, 412, 429) in Chinese
(no Accept-Language, and ``zh-CN``) and in English: a Chinese answer's ``title``, ``detail``
and per-field ``message`` hold no English sentence, an English one no Chinese character;
``type``, ``status``, ``field`` and ``code`` are the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from api import messages
from tests.parties import (
    bearer,
    client_token,
    make_parties,
    make_pledge,
    pledge_body,
    seed_templates,
    valid_code_like,
)

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Two English words in a row: a sentence, not a code, a list of codes or a header name.
ENGLISH = re.compile(r"[A-Za-z]{2,} +[A-Za-z]{2,}")
LANGS = {"zh": {}, "zh-CN": {"Accept-Language": "zh-CN,zh;q=0.9"}, "en": {"Accept-Language": "en"}}


@pytest.fixture
def parties(app_ctx):
    return make_parties()


def texts_of(body: dict[str, Any]) -> list[str]:
    out = [body["title"], body.get("detail") or ""]
    out += [e["message"] for e in body.get("errors") or []]
    return [t for t in out if t]


def assert_in_language(body: dict[str, Any], lang: str) -> None:
    for text in texts_of(body):
        if lang == "en":
            assert not HAN.search(text), (text, body)
        else:
            assert HAN.search(text) and not ENGLISH.search(text), (text, body)


def walk(client, request: Callable[[dict[str, str]], Any], status: int) -> dict[str, dict]:
    """The same request in each language: same status, type, fields and codes."""
    bodies = {}
    for lang, headers in LANGS.items():
        r = request(headers)
        assert r.status_code == status, (lang, r.get_data(as_text=True))
        assert r.content_type == "application/problem+json"
        body = r.get_json()
        assert_in_language(body, lang)
        assert r.headers["Content-Language"] == ("en" if lang == "en" else "zh-CN")
        bodies[lang] = body
    stable = [
        (b["type"], b["status"], [(e["field"], e.get("code")) for e in b.get("errors") or []])
        for b in bodies.values()
    ]
    assert all(s == stable[0] for s in stable), stable
    return bodies


def test_validation_errors_in_each_language(client, parties) -> None:
    # marshmallow's own messages: unknown field, missing field, wrong type, bad choice.
    walk(
        client,
        lambda h: client.post(
            "/api/v1/uscc/batch-check", json={"codes": "x", "enterprise_id": 1}, headers=h
        ),
        400,
    )
    walk(client, lambda h: client.post("/api/v1/uscc/batch-check", json={}, headers=h), 400)
    walk(client, lambda h: client.get("/api/v1/search?type=nope", headers=h), 400)
    walk(
        client,
        lambda h: client.post(
            "/api/v1/uscc/batch-check", data="{", content_type="application/json", headers=h
        ),
        400,
    )
    # A service's own check (a pledge valid for more than 5 years).
    owner = bearer(client_token(client, parties.clients["owner"]))
    body = pledge_body(
        seed_templates()["ECOM-STD"], valid_from="2025-01-01", valid_until="2035-01-01"
    )
    bodies = walk(
        client, lambda h: client.post("/api/v1/pledges", json=body, headers={**owner, **h}), 400
    )
    assert "valid_until" in [e["field"] for e in bodies["zh"]["errors"]]


def test_401_403_404_405_in_each_language(client, parties) -> None:
    walk(client, lambda h: client.post("/api/v1/pledges", json={}, headers=h), 401)
    walk(
        client,
        lambda h: client.post("/api/v1/pledges", json={}, headers={**bearer("nope"), **h}),
        401,
    )
    owner = bearer(client_token(client, parties.clients["owner"]))
    walk(client, lambda h: client.post("/api/v1/violations", json={}, headers={**owner, **h}), 403)
    other = make_pledge(parties.other_uscc, publish=True)
    walk(
        client,
        lambda h: client.post(
            f"/api/v1/pledges/{other.id}/withdraw",
            json={"reason": "停止经营"},
            headers={**owner, "If-Match": f'"{other.version}"', **h},
        ),
        403,
    )
    walk(client, lambda h: client.get("/api/v1/no-such-thing", headers=h), 404)
    walk(client, lambda h: client.get(f"/api/v1/enterprises/{valid_code_like()}", headers=h), 404)
    bodies = walk(client, lambda h: client.delete("/api/v1/vocabularies", headers=h), 405)
    assert "DELETE" in bodies["zh"]["detail"] and "DELETE" in bodies["en"]["detail"]


def test_409_and_412_in_each_language(client, parties) -> None:
    owner = bearer(client_token(client, parties.clients["owner"]))
    pledge = make_pledge(parties.owner_uscc, publish=True)
    url = f"/api/v1/pledges/{pledge.id}"
    walk(
        client,
        lambda h: client.post(
            url + "/publish", headers={**owner, "If-Match": f'"{pledge.version}"', **h}
        ),
        409,
    )
    walk(
        client,
        lambda h: client.post(
            url + "/withdraw",
            json={"reason": "停止经营"},
            headers={**owner, "If-Match": '"999"', **h},
        ),
        412,
    )


def test_429_says_the_limit_in_words(client, clean_app, parties) -> None:
    key = "CREDIT_RATELIMIT_TOKEN"
    before = clean_app.config[key]
    clean_app.config[key] = "2/minute"
    try:
        owner = parties.clients["owner"]
        grant = {"grant_type": "client_credentials"}
        for _ in range(2):
            assert client.post("/oauth/token", data=grant, headers=owner.basic()).status_code == 200
        bodies = walk(
            client,
            lambda h: client.post("/oauth/token", data=grant, headers={**owner.basic(), **h}),
            429,
        )
    finally:
        clean_app.config[key] = before
    zh = r"同一客户端在同一地址每分钟最多 2 次请求，请 \d+ 秒后重试"
    assert re.fullmatch(zh, bodies["zh"]["detail"]), bodies["zh"]
    en = r"at most 2 requests a minute for this client from this address; try again in \d+ sec"
    assert re.fullmatch(en + "onds?", bodies["en"]["detail"]), bodies["en"]
    assert "per 1 minute" not in str(bodies)


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("早于起始日 / before valid_from", "早于起始日", "before valid_from"),
        ("请稍后再试 (search is down now)", "请稍后再试", "search is down now"),
        ("Missing data for required field.", "此项必填", "Missing data for required field."),
        ("Must be one of: a, b.", "应为以下取值之一：a, b", "Must be one of: a, b."),
        ("未找到该信用承诺", "未找到该信用承诺", "no such pledge"),
        ("日期 2024/01/01 有误", "日期 2024/01/01 有误", "日期 2024/01/01 有误"),
    ],
)
def test_message_pairs(text: str, zh: str, en: str) -> None:
    assert messages.pair(text) == (zh, en)
