"""The publicity and repair rules, pure: every edge on the day before and the day of, for
each rule version and regime, the switch from NDRC Order 58 to Order 36, how periods and
deadlines are counted, and a rules file that is wrong refusing to load.

The expected dates are written out by hand from the rules' text (README, "Publicity and
repair rules"), never computed with the code under test.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from credit import periods, publicity, workdays
from credit.violations import rules

DAY = timedelta(days=1)


def public(w: rules.Window, day: date) -> bool:
    return publicity.public_on(
        day,
        published=w.published,
        status="active",
        public_from=w.public_from,
        publish_until=w.publish_until,
    )


def edges(w: rules.Window, first_public: date, last_public: date, repairable: date) -> None:
    """The day before and the day of each edge."""
    assert not public(w, first_public - DAY) and public(w, first_public)
    assert public(w, last_public) and not public(w, last_public + DAY)
    assert w.repairable_from == repairable  # the day before is too early, the day is not
    assert repairable - DAY < w.repairable_from <= repairable


# -- counting (Civil Code Arts. 201-202) --------------------------------------------------
def test_the_event_day_is_not_counted() -> None:
    assert periods.last_day(date(2026, 4, 1), 3) == date(2026, 7, 1)
    assert periods.first_day_after(date(2026, 4, 1), 3) == date(2026, 7, 2)
    assert periods.first_day_after(date(2026, 4, 1), 0) == date(2026, 4, 1)  # no period


def test_a_month_period_ends_on_the_month_end_when_there_is_no_corresponding_day() -> None:
    assert periods.last_day(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert periods.first_day_after(date(2026, 11, 30), 3) == date(2027, 3, 1)
    assert periods.last_day(date(2027, 11, 29), 3) == date(2028, 2, 29)  # leap year
    assert periods.last_day(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_working_day_deadlines_do_not_count_the_event_day() -> None:
    # Fri 27 Nov 2026 (a working day) + 1 working day: Mon 30 Nov, not the Friday.
    assert periods.workday_deadline(date(2026, 11, 27), 1) == date(2026, 11, 30)
    # Wed 30 Sep 2026 + 3: the National Day break, then Thu 8, Fri 9, Sat 10 (worked).
    assert periods.workday_deadline(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert periods.workday_deadline(date(2026, 9, 30), 3) == workdays.add_workdays(
        date(2026, 9, 30), 3
    )


# -- NDRC Order 58 (decisions to 2026-03-31) ----------------------------------------------
@pytest.mark.parametrize("severity", ["general", "serious"])
def test_order_58_gives_every_penalty_3_months_to_3_years(severity: str) -> None:
    """The old table had Order 36's split (general 3-12, serious 12-36) backwards in time."""
    w = rules.window(severity, date(2026, 3, 31))
    assert w.rule_version == "NDRC-58-2023" and w.published
    edges(w, date(2026, 3, 31), date(2029, 3, 31), date(2026, 7, 1))


def test_order_58_food_safety_waits_a_year() -> None:
    w = rules.window("general", date(2025, 4, 1), category="food_safety")
    assert w.repairable_from == date(2026, 4, 2)
    assert w.publish_until == date(2028, 4, 1)
    assert "NDRC-58-2023/NDRC-58-SAFETY-DOMAINS" in w.basis
    assert rules.window("general", date(2025, 4, 1), category="pricing").repairable_from == (
        date(2025, 7, 2)
    )


def test_order_58_has_no_minor_publication_on_request() -> None:
    assert not rules.window("minor", date(2026, 3, 31)).published
    with pytest.raises(rules.WindowRefused) as refused:
        rules.window("minor", date(2026, 3, 31), publish_minor=True)
    assert refused.value.field == "publish_minor" and refused.value.code == "not_available"


# -- NDRC Order 36 (decisions from 2026-04-01) --------------------------------------------
def test_order_36_general_3_months_to_1_year() -> None:
    w = rules.window("general", date(2026, 4, 1))
    assert w.rule_version == "NDRC-36-2026"
    edges(w, date(2026, 4, 1), date(2027, 4, 1), date(2026, 7, 2))


def test_order_36_serious_1_to_3_years() -> None:
    w = rules.window("serious", date(2026, 4, 1))
    edges(w, date(2026, 4, 1), date(2029, 4, 1), date(2027, 4, 2))


def test_order_36_minor_is_not_published_unless_the_authority_asks() -> None:
    w = rules.window("minor", date(2026, 4, 1))
    assert not w.published and not public(w, date(2026, 4, 1))
    assert w.publish_by is None and w.public_from is None
    flagged = rules.window("minor", date(2026, 4, 1), publish_minor=True)
    # At most 3 months; repairable at once (法定责任履行完毕即可申请修复).
    edges(flagged, date(2026, 4, 1), date(2026, 7, 1), date(2026, 4, 1))
    assert "NDRC-36-2026/minor-on-request" in flagged.basis


def test_the_minor_flag_is_for_minor_records_only() -> None:
    with pytest.raises(rules.WindowRefused) as refused:
        rules.window("general", date(2026, 4, 1), publish_minor=True)
    assert refused.value.code == "not_minor"


def test_the_switch_from_order_58_to_order_36() -> None:
    before, after = (
        rules.window("general", date(2026, 3, 31)),
        rules.window("general", date(2026, 4, 1)),
    )
    assert (before.rule_version, after.rule_version) == ("NDRC-58-2023", "NDRC-36-2026")
    assert before.publish_until == date(2029, 3, 31)  # 3 years
    assert after.publish_until == date(2027, 4, 1)  # 1 year
    serious_before = rules.window("serious", date(2026, 3, 31))
    serious_after = rules.window("serious", date(2026, 4, 1))
    assert serious_before.repairable_from == date(2026, 7, 1)  # 3 months
    assert serious_after.repairable_from == date(2027, 4, 2)  # 1 year


def test_no_rule_before_the_first_version() -> None:
    with pytest.raises(LookupError):
        rules.window("general", date(2023, 4, 30))
    assert rules.window("general", date(2023, 5, 1)).rule_version == "NDRC-58-2023"


# -- SAMR (market regulators' penalties) --------------------------------------------------
def samr(severity: str = "general", **kw) -> rules.Window:
    kw.setdefault("penalty_type", "fine")
    kw.setdefault("penalty_amount", Decimal("50000"))
    kw.setdefault("published_on", date(2026, 4, 10))
    return rules.window(severity, date(2026, 4, 1), regime="SAMR", **kw)


def test_samr_periods_run_from_publication_inside_the_national_bounds() -> None:
    w = samr()
    # Public from its publication (Order 45 Art. 13), never beyond Order 36's year.
    edges(w, date(2026, 4, 10), date(2027, 4, 1), date(2026, 7, 2))
    assert w.public_from == w.published_on == date(2026, 4, 10)


def test_samr_three_years_from_publication_bind_a_late_publication() -> None:
    w = rules.window(
        "serious",
        date(2026, 3, 31),
        regime="SAMR",
        penalty_type="fine",
        penalty_amount=Decimal("50000"),
        published_on=date(2026, 3, 31),
    )
    # Order 58: 3 years from the decision; SAMR: 3 years from the same day.
    edges(w, date(2026, 3, 31), date(2029, 3, 31), date(2026, 7, 1))


@pytest.mark.parametrize(
    ("penalty_type", "amount", "short"),
    [
        ("criticism", None, True),
        ("fine", Decimal("3000.00"), True),
        ("fine", Decimal("3000.01"), False),
        ("confiscation", None, False),
    ],
)
def test_samr_criticism_and_lower_fines_end_after_3_months(penalty_type, amount, short) -> None:
    w = samr(penalty_type=penalty_type, penalty_amount=amount)
    last = date(2026, 7, 10) if short else date(2027, 4, 1)
    edges(w, date(2026, 4, 10), last, date(2026, 7, 2))
    assert ("SAMR/short" in w.basis) == short


def test_samr_does_not_publish_a_warning() -> None:
    w = samr(penalty_type="warning", penalty_amount=None)
    assert not w.published and w.publish_by is None
    with pytest.raises(rules.WindowRefused) as refused:
        samr("minor", penalty_type="warning", penalty_amount=None, publish_minor=True)
    assert refused.value.code == "not_published_penalty"


@pytest.mark.parametrize("penalty_type", ["restriction", "revocation", "suspension"])
def test_samr_excludes_early_repair_of_the_heaviest_penalties(penalty_type: str) -> None:
    w = samr("serious", penalty_type=penalty_type, penalty_amount=None)
    assert w.repair_excluded
    assert w.publish_until == date(2029, 4, 1)
    assert w.repairable_from == date(2029, 4, 2)  # never while it is public
    assert not samr("serious").repair_excluded
    assert not rules.window("serious", date(2026, 4, 1), penalty_type=penalty_type).repair_excluded


def test_samr_minor_on_request() -> None:
    w = samr("minor", penalty_amount=Decimal("2000"), publish_minor=True)
    edges(w, date(2026, 4, 10), date(2026, 7, 1), date(2026, 4, 1))


def test_a_publication_before_the_decision_is_refused() -> None:
    with pytest.raises(rules.WindowRefused) as refused:
        samr(published_on=date(2026, 3, 31))
    assert refused.value.field == "published_on"


# -- deadlines ----------------------------------------------------------------------------
def test_publication_deadlines_per_regime() -> None:
    # Decided Wed 1 Apr 2026; Qingming 4-6 Apr 2026 are days off.
    assert rules.publish_by("SAMR", date(2026, 4, 1)) == date(2026, 4, 30)  # 20 working days
    assert rules.publish_by("NDRC", date(2026, 4, 1)) == date(2026, 4, 13)  # 7 (unverified)
    assert samr().publish_by == date(2026, 4, 30)


def test_withdrawal_deadline_is_3_working_days() -> None:
    # Revoked on Thu 24 Sep 2026: Mid-Autumn 25-27 Sep off, then Mon 28, Tue 29, Wed 30.
    assert rules.withdraw_by("SAMR", date(2026, 9, 24)) == date(2026, 9, 30)
    assert rules.withdraw_by("NDRC", date(2026, 9, 24)) == date(2026, 9, 30)
    # Revoked on Wed 30 Sep 2026: the National Day break, then Thu 8, Fri 9, Sat 10 (worked).
    assert rules.withdraw_by("SAMR", date(2026, 9, 30)) == date(2026, 10, 10)


def test_repair_decision_deadline_follows_the_application_date() -> None:
    regime = rules.regimes()["SAMR"]
    assert regime.repair_decision_workdays(date(2025, 12, 24)) == 3
    assert regime.repair_decision_workdays(date(2025, 12, 25)) == 7  # SAMR 2025 measures
    assert rules.regimes()["NDRC"].repair_decision_workdays(date(2026, 12, 1)) == 3
    # Applied for on Tue 1 Dec 2026: 7 working days are Wed 2 ... Thu 10 Dec.
    assert rules.repair_due("SAMR", date(2026, 12, 1)) == date(2026, 12, 10)
    assert rules.repair_due("NDRC", date(2026, 12, 1)) == date(2026, 12, 4)


# -- authority kinds ----------------------------------------------------------------------
def test_market_regulators_follow_samr_everyone_else_the_national_rules() -> None:
    assert rules.regime_of("market_regulation") == "SAMR"
    for kind in ("commerce", "cyberspace", "tax", "other", None, "unknown"):
        assert rules.regime_of(kind) == "NDRC"


# -- the file is validated at load --------------------------------------------------------
def test_every_row_is_cited() -> None:
    rules.validate()
    raw = json.loads(rules.DATA.read_text(encoding="utf-8"))
    for v in raw["versions"]:
        for row in v["severities"].values():
            cite = row["cite"]
            assert cite["source"] in raw["sources"]
            assert cite.get("article") or cite.get("unverified")
    for r in raw["regimes"].values():
        for d in r["deadlines"].values():
            for row in d if isinstance(d, list) else [d]:
                assert row["cite"].get("article") or row["cite"].get("unverified")


CACHED = (rules._table, rules.versions, rules.regimes, rules.authority_kinds)


@pytest.fixture
def broken(monkeypatch, tmp_path):
    """Load a modified copy of the rules file instead of the real one."""
    raw = json.loads(rules.DATA.read_text(encoding="utf-8"))

    def load(edit) -> None:
        data = copy.deepcopy(raw)
        edit(data)
        path = tmp_path / "publicity_rules.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        monkeypatch.setattr(rules, "DATA", path)
        for f in CACHED:
            f.cache_clear()
        rules.validate()

    yield load
    monkeypatch.undo()
    for f in CACHED:
        f.cache_clear()
    rules.validate()  # the real file again


def _drop_article(d):
    d["versions"][1]["severities"]["general"]["cite"] = {"source": "NDRC-36", "says": "x"}


def _min_over_max(d):
    d["versions"][1]["severities"]["general"]["min_months"] = 13


def _gap(d):
    d["versions"][1]["effective_from"] = "2026-04-02"


def _overlap(d):
    d["versions"][0]["effective_to"] = "2026-04-01"


def _unknown_category(d):
    d["versions"][0]["exceptions"][0]["categories"] = ["fire_safety"]


def _unknown_regime(d):
    d["authority_kinds"]["tax"]["regime"] = "TAX"


def _unknown_source(d):
    d["regimes"]["SAMR"]["deadlines"]["publish_workdays"]["cite"]["source"] = "SAMR-99"


def _zero_deadline(d):
    d["regimes"]["SAMR"]["deadlines"]["withdraw_workdays"]["workdays"] = 0


def _civil_counting_changed(d):
    d["counting"]["first_day_counted"] = True


@pytest.mark.parametrize(
    "edit",
    [
        _drop_article,
        _min_over_max,
        _gap,
        _overlap,
        _unknown_category,
        _unknown_regime,
        _unknown_source,
        _zero_deadline,
        _civil_counting_changed,
    ],
)
def test_a_wrong_rules_file_refuses_to_load(broken, edit) -> None:
    with pytest.raises(rules.RulesError):
        broken(edit)


def test_an_unchanged_copy_loads(broken) -> None:
    broken(lambda d: None)  # the check above fails for the edit, not for the copying
