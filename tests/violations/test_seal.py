"""The credit seal's rules, one state at a time, on records made through the real services
(``credit.seal``); the rules file itself; ``since``; the validity end of a pledge."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, time, timedelta

import pytest

from credit import clock, seal
from credit.identity import ANONYMOUS
from credit.scoring.facts import PledgeFact, SeriousListFact, ViolationFact
from credit.uow import unit_of_work
from tests.helpers import import_records, sample_records
from tests.parties import make_pledge, make_violation, owner_identity, regulator_identity


def _standing(parties) -> seal.SealStanding:
    return seal.seal_standing(ANONYMOUS, parties.owner_uscc)


def _failing(standing: seal.SealStanding) -> set[str]:
    return {r.code for r in standing.reasons}


def _at(day: date):
    """The clock at noon (China) on ``day``."""
    noon = datetime.combine(day, time(12), clock.CHINA).astimezone(UTC)
    clock.set_clock(lambda: noon)


@pytest.fixture
def reset_clock():
    yield
    clock.set_clock(None)


def test_every_rule_has_an_evaluator_a_reason_and_a_citation() -> None:
    doc = seal.table()
    assert [r["code"] for r in doc["rules"]] == [r.code for r in seal.rules()]
    assert set(seal.EVALUATORS) == {r.code for r in seal.rules()}
    for rule in seal.rules():
        assert rule.reason and rule.reason_en and rule.failed and rule.failed_en
        assert rule.cite, rule.code


def test_a_rules_file_out_of_step_with_the_code_is_refused() -> None:
    doc = json.loads(seal.DATA.read_text(encoding="utf-8"))
    dropped = {**doc, "rules": doc["rules"][1:]}
    with pytest.raises(seal.SealRulesError, match="do not match"):
        seal._check(dropped)
    uncited = json.loads(json.dumps(doc))
    uncited["rules"][3]["cite"][1].pop("unverified")
    with pytest.raises(seal.SealRulesError, match="unverified"):
        seal._check(uncited)
    wrong_type = {**doc, "pledge_types": ["gift"]}
    with pytest.raises(seal.SealRulesError, match="pledge_types"):
        seal._check(wrong_type)


# -- each state, on records made through the services -----------------------------------------
def test_a_published_pledge_in_force_and_kept_is_eligible(parties) -> None:
    make_pledge(parties.owner_uscc, publish=True)
    s = _standing(parties)
    assert s.eligible, s.reasons
    assert s.reasons == []
    assert s.pledge_state == "in_force"
    assert s.tier in {"A", "B"} and s.grade
    assert s.since == clock.today() == s.checked_on
    assert s.pledge_valid_until == clock.today().replace(year=clock.today().year + 1)


def test_no_pledge(parties) -> None:
    s = _standing(parties)
    assert not s.eligible
    assert _failing(s) == {"pledge_in_force"}
    assert s.pledge_state == "none"
    assert s.since is None
    assert s.reasons[0].text and s.reasons[0].text_en


def test_a_draft_or_a_repair_pledge_does_not_count(parties) -> None:
    make_pledge(parties.owner_uscc, publish=False)
    make_violation(parties, days_ago=120)  # a repair pledge is made for a record
    make_pledge(parties.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
    s = _standing(parties)
    assert "pledge_in_force" in _failing(s)
    assert s.pledge_state == "none"


def test_a_breached_pledge(parties) -> None:
    p = make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, "general", days_ago=0, breached=[{"pledge_id": p.id, "clause": "C03"}])
    s = _standing(parties)
    assert "pledge_kept" in _failing(s)
    assert s.pledge_state == "breached"
    assert s.since is None


def test_a_new_pledge_does_not_wash_out_a_breach_still_public(parties) -> None:
    from credit.pledges import service as pledges

    p = make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, "general", days_ago=0, breached=[{"pledge_id": p.id, "clause": "C03"}])
    owner = owner_identity(parties.owner_uscc)
    with unit_of_work() as uow:
        version = pledges.get_pledge(owner, p.id).version
        pledges.withdraw_pledge(owner, uow, p.id, "重新签署", version)
    make_pledge(parties.owner_uscc, publish=True)
    s = _standing(parties)
    assert s.pledge_state == "in_force"
    assert "pledge_kept" in _failing(s)


def test_a_revoked_record_restores_the_seal(parties) -> None:
    from credit.violations import service as violations

    make_pledge(parties.owner_uscc, publish=True)
    v = make_violation(parties, "serious", days_ago=0)
    assert "no_serious_record" in _failing(_standing(parties))
    with unit_of_work() as uow:
        violations.revoke_violation(
            regulator_identity(), uow, v.id, "复议撤销原决定", v.version, None
        )
    s = _standing(parties)
    assert s.eligible, s.reasons


def test_a_serious_record_public(parties) -> None:
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, "serious", days_ago=0)
    s = _standing(parties)
    assert "no_serious_record" in _failing(s)
    assert not s.eligible
    assert s.pledge_state == "in_force"


def test_a_general_record_alone_leaves_the_seal_to_the_grade(parties) -> None:
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, "general", days_ago=0)
    s = _standing(parties)
    assert "no_serious_record" not in _failing(s)
    assert s.eligible == (s.tier != "C")


def test_on_the_serious_list(parties) -> None:
    from credit.violations import registry

    make_pledge(parties.owner_uscc, publish=True)
    with unit_of_work() as uow:
        registry.list_on_serious_list(
            regulator_identity(),
            uow,
            {
                "uscc": parties.owner_uscc,
                "legal_basis": f"《市场监督管理严重违法失信名单管理办法》 {secrets.token_hex(4)}",
                "reason": "一年内两次受到较重行政处罚",
                "listed_on": clock.today(),
                "remove_on": clock.today() + timedelta(days=365),
            },
        )
    s = _standing(parties)
    assert "not_on_serious_list" in _failing(s)
    # The listing caps the grade in tier C: both rules say so.
    assert s.tier == "C"
    assert "grade_not_tier_c" in _failing(s)


def test_deregistered(parties) -> None:
    make_pledge(parties.owner_uscc, publish=True)
    record = next(r for r in sample_records(40, seed=31) if r["uscc"] == parties.owner_uscc)
    import_records([{**record, "status": "cancelled"}])
    s = _standing(parties)
    assert _failing(s) == {"registration_active"}
    assert s.since is None


def test_an_unknown_or_invalid_code(parties) -> None:
    from credit.errors import NotFound, ValidationFailed
    from tests.parties import valid_code_like

    with pytest.raises(NotFound):
        seal.seal_standing(ANONYMOUS, valid_code_like())
    with pytest.raises(ValidationFailed) as caught:
        seal.seal_standing(ANONYMOUS, parties.owner_uscc[:-1] + "I")
    assert caught.value.errors and caught.value.errors[0].field == "uscc"


# -- the pledge's last day, and since ---------------------------------------------------------
def test_the_day_before_the_day_of_and_the_day_after_a_pledges_end(parties, reset_clock) -> None:
    p = make_pledge(parties.owner_uscc, publish=True)
    published = clock.today()
    for day, eligible, state in (
        (p.valid_until - timedelta(days=1), True, "in_force"),
        (p.valid_until, True, "in_force"),
        (p.valid_until + timedelta(days=1), False, "expired"),
    ):
        _at(day)
        s = _standing(parties)
        assert s.eligible is eligible, (day, s.reasons)
        assert s.pledge_state == state
        assert s.since == (published if eligible else None)
        if not eligible:
            assert _failing(s) == {"pledge_in_force"}


def test_since_counts_from_the_publication_not_from_a_past_valid_from(parties, reset_clock):
    from credit.pledges import service as pledges
    from tests.parties import pledge_body, seed_templates

    template = seed_templates()["ECOM-STD"]
    today = clock.today()
    data = pledge_body(template)
    data["valid_from"] = today - timedelta(days=20)  # filed late: covers the past it names
    data["valid_until"] = today + timedelta(days=200)
    owner = owner_identity(parties.owner_uscc)
    with unit_of_work() as uow:
        p = pledges.create_pledge(owner, uow, data)
    with unit_of_work() as uow:
        pledges.publish_pledge(owner, uow, p.id, p.version)
    _at(today + timedelta(days=30))
    s = _standing(parties)
    assert s.eligible, s.reasons
    assert s.since == today


def test_since_restarts_after_a_serious_record_ends(parties, reset_clock) -> None:
    """A pure replay: the firm is eligible, a serious record is public for a while, then
    eligible again: since is the first day after the record."""
    start = date(2026, 1, 5)
    pledge = seal._Pledge(
        PledgeFact("p1", "s1", "voluntary_public", ("C01",), start, start, date(2027, 1, 4)),
        True,
    )
    record = seal._Record(
        ViolationFact(
            "v1",
            "苏市监罚〔2026〕1号",
            "serious",
            "fake_orders",
            date(2026, 3, 1),
            True,
            date(2027, 3, 1),
            date(2026, 6, 30),
            status="repaired",
            ended_on=date(2026, 5, 10),
        ),
        date(2026, 3, 2),
    )
    h = seal._History("active", (pledge,), {"v1": record}, (), ((start, "AA", "A"),))
    assert seal._since(h, date(2026, 2, 27)) == start
    assert seal._since(h, date(2026, 3, 1)) == start  # decided, not recorded yet
    assert seal._since(h, date(2026, 3, 2)) is None
    assert seal._since(h, date(2026, 5, 9)) is None
    assert seal._since(h, date(2026, 5, 10)) == date(2026, 5, 10)  # repaired that day
    assert seal._since(h, date(2026, 12, 1)) == date(2026, 5, 10)


def test_tier_c_alone_fails_only_the_grade_rule() -> None:
    start = date(2026, 1, 5)
    pledge = seal._Pledge(
        PledgeFact("p1", "s1", "voluntary_public", ("C01",), start, start, date(2027, 1, 4)),
        True,
    )
    rated = ((start, "BBB", "B"), (date(2026, 4, 1), "CCC", "C"), (date(2026, 6, 1), "B", "B"))
    h = seal._History("active", (pledge,), {}, (), rated)
    assert seal._failing(h, date(2026, 3, 31)) == []
    assert seal._failing(h, date(2026, 4, 1)) == ["grade_not_tier_c"]
    assert seal._failing(h, date(2026, 6, 1)) == []
    assert seal._since(h, date(2026, 7, 1)) == date(2026, 6, 1)
    unrated = seal._History("active", (pledge,), {}, (), ())
    assert seal._failing(unrated, date(2026, 3, 1)) == ["grade_not_tier_c"]


def test_a_listing_ends_on_its_remove_on_day() -> None:
    start = date(2026, 1, 5)
    pledge = seal._Pledge(
        PledgeFact("p1", "s1", "voluntary_public", ("C01",), start, start, date(2027, 1, 4)),
        True,
    )
    listing = seal._Listing(SeriousListFact("l1", date(2026, 2, 1), date(2026, 8, 1)), start)
    h = seal._History("active", (pledge,), {}, (listing,), ((start, "A", "A"),))
    assert seal._failing(h, date(2026, 7, 31)) == ["not_on_serious_list"]
    assert seal._failing(h, date(2026, 8, 1)) == []
    assert seal._since(h, date(2026, 9, 1)) == date(2026, 8, 1)
