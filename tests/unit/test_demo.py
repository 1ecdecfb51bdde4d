"""Demo data: deterministic, valid, realistic and spread over the province."""

from __future__ import annotations

from collections import Counter

from credit import uscc
from credit.demo import generate
from credit.enterprises.schemas import EnterpriseRecordSchema
from credit.regions import JIANGSU_CITIES


def test_deterministic() -> None:
    assert list(generate(50, seed=7)) == list(generate(50, seed=7))
    assert list(generate(50, seed=7)) != list(generate(50, seed=8))


def test_codes_valid_and_in_jiangsu_and_unique() -> None:
    records = list(generate(2000, seed=1))
    codes = [r["uscc"] for r in records]
    assert len(set(codes)) == len(codes)
    assert len({r["name"] for r in records}) == len(records)
    for r in records:
        check = uscc.check(r["uscc"])
        assert check.valid and check.in_jiangsu
        assert check.city_code == r["city_code"]


def test_spread_over_cities_and_kinds() -> None:
    records = list(generate(3000, seed=1))
    assert set(Counter(r["city_code"] for r in records)) == set(JIANGSU_CITIES)
    kinds = Counter(r["entity_type"] for r in records)
    assert kinds["enterprise"] > kinds["individual_business"] > kinds["farmer_cooperative"] > 0
    assert any(r["name"].endswith("有限公司") for r in records)
    assert any(r["shops"] for r in records)


def test_records_pass_the_import_schema() -> None:
    schema = EnterpriseRecordSchema()
    for r in generate(300, seed=3):
        data = {k: v for k, v in r.items() if k not in {"entity_type", "city_code"}}
        data["registration_date"] = data["registration_date"].isoformat()
        loaded = schema.load(data)
        assert loaded["entity_type"] == r["entity_type"]
        assert loaded["city_code"] == r["city_code"]
