"""search/elastic.py: which bulk failures are the server's state (try again later) and
which are the document's (a bug to be seen), for live writes and a rebuild's load alike."""

from __future__ import annotations

from search.backend import BackendUnavailable
from search.elastic import _bulk_failure


def test_a_rejection_or_an_unavailable_shard_anywhere_is_the_servers_state() -> None:
    for status in (429, 500, 503):
        failed = [{"status": 400, "error": "mapper_parsing"}, {"status": status}]
        error = _bulk_failure("bulk load", failed)
        assert isinstance(error, BackendUnavailable)
        assert str(status) in str(error) and "bulk load rejected" in str(error)


def test_any_other_failure_is_the_documents_and_names_the_first() -> None:
    failed = [{"status": 400, "error": "mapper_parsing"}, {"status": 404}]
    error = _bulk_failure("bulk write", failed)
    assert type(error) is RuntimeError
    assert "bulk write failed" in str(error) and "mapper_parsing" in str(error)
