"""The per-test reset (tests/conftest.reset_state) leaves every index empty and searchable,
on whichever backend the pass runs: an index written to is recreated, one left untouched
is kept (on Elasticsearch, recreating three indexes cost half a second a test)."""

from __future__ import annotations

from search.backend import Document, SearchQuery
from search.documents import SPECS
from tests.conftest import reset_state


def _backend(app):
    return app.extensions["credit.search"]


def test_a_written_index_is_emptied_and_an_untouched_one_kept(clean_app) -> None:
    backend = _backend(clean_app)
    pledges, violations = SPECS["pledges"], SPECS["violations"]
    kept = backend._generations(violations) if backend.name == "elasticsearch" else None
    backend.write(
        pledges, [Document(id="reset-probe", version=3, source={"title": "重置探针"})], visible=True
    )
    assert backend.get(pledges, "reset-probe") is not None

    reset_state(clean_app)

    assert backend.get(pledges, "reset-probe") is None
    assert backend.count(pledges) == 0
    assert backend.search(pledges, SearchQuery(index="pledges", text="重置探针")).total == 0
    # The same id at a lower version is written, not skipped as stale: nothing of the
    # earlier test's document (not even its version) is left.
    result = backend.write(
        pledges, [Document(id="reset-probe", version=1, source={"title": "重置探针"})], visible=True
    )
    assert (result.written, result.skipped_stale) == (1, 0)
    if kept is not None:  # untouched: the same generation, not recreated
        assert backend._generations(violations) == kept


def test_a_deleted_from_index_is_recreated(clean_app) -> None:
    backend = _backend(clean_app)
    spec = SPECS["violations"]
    backend.write(spec, [Document(id="gone", version=1, source={})], visible=True)
    backend.delete(spec, [("gone", 2)])
    reset_state(clean_app)
    result = backend.write(spec, [Document(id="gone", version=1, source={})], visible=True)
    assert (result.written, result.skipped_stale) == (1, 0)
    assert backend.count(spec) == 1
