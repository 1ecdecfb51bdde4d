"""Search cursors are signed (H5): tampered, truncated, foreign or ill-typed cursors are a
400 naming ``cursor``, on the API and on the search page; no cursor string is a 5xx."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.v1 import search as search_api
from search.documents import SPECS
from tests.helpers import import_records, sample_records

QUERY = {"q": "", "size": 5, "sort": "relevance"}


@pytest.fixture
def firms(client, app_ctx):
    import_records(sample_records(12, seed=3))
    backend = app_ctx.extensions["credit.search"]
    for spec in SPECS.values():
        backend.refresh(spec)
    return app_ctx


def _next_cursor(client, **query) -> str:
    r = client.get("/api/v1/search", query_string={**QUERY, **query})
    assert r.status_code == 200, r.get_data(as_text=True)
    cursor = r.get_json()["next_cursor"]
    assert cursor
    return cursor


def _cursor_error(r) -> dict:
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    errors = r.get_json()["errors"]
    assert [(e["field"], e["location"]) for e in errors] == [("cursor", "query")]
    return errors[0]


def _signed(app, after, **query) -> str:
    """A cursor signed with the app's own key for ``after`` (what only the server can do)."""
    args = {**search_api.SEARCH_ARGS.load({**QUERY, **query})}
    with app.test_request_context():
        return search_api._encode(args, app.extensions["credit.search"].name, tuple(after))


def test_a_cursor_is_short_and_continues_its_query(client, firms) -> None:
    cursor = _next_cursor(client)
    assert len(cursor) < 120
    r = client.get("/api/v1/search", query_string={**QUERY, "cursor": cursor})
    assert r.status_code == 200 and r.get_json()["items"]


def test_tampered_truncated_and_forged_cursors_are_400(client, firms) -> None:
    cursor = _next_cursor(client)
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    payload, _, signature = cursor.partition(".")
    other_payload = base64.urlsafe_b64encode(b'["zzz",1]').decode().rstrip("=")
    forged_old_format = base64.urlsafe_b64encode(b'{"f":"x","a":[1]}').decode().rstrip("=")
    # The last character's spare bits changed: the same signature bytes, another spelling.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(cursor[-1])
    respelled = (
        cursor[:-1]
        + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[
            last ^ 1 if len(signature) % 4 == 3 else last
        ]
    )
    bads = [flipped, cursor[:-5], payload, f"{other_payload}.{signature}", forged_old_format]
    if respelled != cursor:
        bads.append(respelled)
    for bad in bads:
        r = client.get("/api/v1/search", query_string={**QUERY, "cursor": bad})
        assert _cursor_error(r)["code"] == "invalid", bad


def test_a_cursor_of_another_query_is_400(client, firms) -> None:
    cursor = _next_cursor(client)
    for other in ({"q": "别的"}, {"size": 6}, {"sort": "score"}, {"type": "pledge"}):
        r = client.get("/api/v1/search", query_string={**QUERY, **other, "cursor": cursor})
        assert _cursor_error(r)["code"] == "invalid", other


@pytest.mark.parametrize(
    "after",
    [[1], [], ["a", "b", "c", "d"], [True, 0.0, "x"], [None, None], [1.5, "x", 2], [{"a": 1}, "x"]],
)
def test_signed_values_of_the_wrong_types_are_400(client, firms, after) -> None:
    """Even a correctly signed cursor (a key leak, an old deployment) cannot carry values
    the sort cannot take to a backend."""
    r = client.get("/api/v1/search", query_string={**QUERY, "cursor": _signed(firms, after)})
    assert _cursor_error(r)["code"] == "mismatch"


def test_the_search_page_shows_its_own_400_page(client, firms) -> None:
    r = client.get("/search", query_string={"cursor": "not-a-cursor", "page": 60})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "cursor" in r.get_data(as_text=True)
    forged = base64.urlsafe_b64encode(json.dumps({"f": "x", "a": [1]}).encode()).decode()
    assert client.get("/search", query_string={"cursor": forged}).status_code == 400


_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4), max_leaves=8)


def test_no_cursor_string_is_a_server_error(client, firms) -> None:
    """Any text as a cursor, with any sort: 200 or 400, never 5xx."""
    real = _next_cursor(client)

    @_SETTINGS
    @given(
        cursor=st.text(min_size=1, max_size=300) | st.sampled_from([real]).map(lambda c: c[:-3]),
        sort=st.sampled_from(["relevance", "score", "date"]),
    )
    def run(cursor: str, sort: str) -> None:
        r = client.get("/api/v1/search", query_string={**QUERY, "sort": sort, "cursor": cursor})
        assert r.status_code in (200, 400), (cursor, r.get_data(as_text=True))
        if r.status_code == 400:
            assert r.content_type == "application/problem+json"

    run()


def test_no_signed_payload_is_a_server_error(client, firms) -> None:
    """Any JSON value signed with the app's key, with any sort: 200 or 400, never 5xx."""

    @_SETTINGS
    @given(after=_VALUES, sort=st.sampled_from(["relevance", "score", "date"]))
    def run(after, sort: str) -> None:
        args = {**search_api.SEARCH_ARGS.load({**QUERY, "sort": sort})}
        with firms.test_request_context():
            cursor = search_api._signer(args, firms.extensions["credit.search"].name).dumps(after)
        r = client.get("/api/v1/search", query_string={**QUERY, "sort": sort, "cursor": cursor})
        assert r.status_code in (200, 400), (after, r.get_data(as_text=True))

    run()


def test_cursor_shapes_per_backend_and_sort() -> None:
    fits = search_api.cursor_fits
    assert fits([2, 1.5, "913205"], "embedded", "relevance")
    assert fits([0, 0, "913205"], "embedded", "relevance")  # an integer score is a number
    assert not fits([2.0, 1.5, "913205"], "embedded", "relevance")
    assert fits(["2026-01-05", "913205"], "embedded", "date")
    assert fits([-(2**63), "913205"], "elasticsearch", "date")  # a missing date sorts last
    assert not fits([2**63, "913205"], "elasticsearch", "date")
    assert not fits([0, float("nan"), "913205"], "elasticsearch", "relevance")
    assert not fits([0, 1.0, "x" * 201], "elasticsearch", "relevance")
    assert fits([2, 13.5, "913205"], "elasticsearch", "relevance")  # (tier, score, code)
    assert not fits([13.5, "913205"], "elasticsearch", "relevance")  # before tiers
    assert fits(["a", 1], "another", "relevance") and not fits([], "another", "relevance")
    assert not fits("[1]", "embedded", "relevance")
