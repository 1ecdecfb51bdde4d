"""Backends for the contract suite: the same tests run on embedded and on Elasticsearch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from credit.demo import generate
from credit.enterprises.models import Enterprise, Shop
from search.backend import SearchBackend
from search.documents import ENTERPRISES, enterprise_document


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path) -> SearchBackend:
    prefix = f"c{uuid.uuid4().hex[:10]}"
    if kind == "embedded":
        from search.tantivy_index import TantivyBackend

        return TantivyBackend(str(tmp_path / "search-index"), prefix)
    from search.elastic import ElasticBackend

    return ElasticBackend(request.getfixturevalue("es_url"), prefix)


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path) -> Iterator[SearchBackend]:
    b = make_backend(request.param, request, tmp_path)
    b.ensure_index(ENTERPRISES)
    yield b
    b.drop(ENTERPRISES)


def transient_enterprise(rec: dict, version: int = 1) -> Enterprise:
    """An Enterprise object (not persisted) from a demo record, to build documents."""
    now = datetime.now(UTC)
    e = Enterprise(
        id=str(uuid.uuid5(uuid.NAMESPACE_OID, rec["uscc"])),
        uscc=rec["uscc"],
        name=rec["name"],
        former_names=rec["former_names"],
        entity_type=rec["entity_type"],
        operator_type=rec["operator_type"],
        city_code=rec["city_code"],
        district_code=rec["district_code"],
        industry=rec["industry"],
        registration_date=rec["registration_date"],
        status=rec["status"],
        legal_representative=rec["legal_representative"],
        legal_representative_kind=rec["legal_representative_kind"],
        version=version,
        created_at=now,
        updated_at=now,
    )
    e.shops = [Shop(position=i, **s) for i, s in enumerate(rec["shops"])]
    return e


@pytest.fixture(scope="session")
def demo_records() -> list[dict]:
    return list(generate(1500, seed=11))


def load(backend: SearchBackend, records: list[dict]) -> None:
    backend.write(ENTERPRISES, [enterprise_document(transient_enterprise(r)) for r in records])
    backend.refresh(ENTERPRISES)


def loaded_pair(request: pytest.FixtureRequest, tmp_path, records: list[dict]) -> Iterator[list]:
    """The embedded backend and Elasticsearch, each with an enterprise index of
    ``records``; the indices are dropped afterwards (``yield from`` in a fixture)."""
    pair = [
        make_backend("embedded", request, tmp_path),
        make_backend("elasticsearch", request, tmp_path),
    ]
    for b in pair:
        b.ensure_index(ENTERPRISES)
        load(b, records)
    yield pair
    for b in pair:
        b.drop(ENTERPRISES)
