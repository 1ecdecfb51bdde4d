"""The rating explained in words (issue 17 item 4): a capped firm reads the cap (what, until
when, what lifts it), no "points to the next grade" while a cap holds it, and the repair it
can apply for with its date; the public profile and the report say the cap in words too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit import clock
from credit.uow import unit_of_work
from credit.violations import registry
from tests.pages.console_parties import page, sign_in
from tests.parties import make_violation, regulator_identity

DECISION = "苏市监罚〔2025〕4401号"


@pytest.fixture
def capped(cp, clean_app):
    """Firm A on the serious list (listed 100 days ago for three years) with a public serious
    record decided 400 days ago: repairable now, and the list caps the grade in C."""
    with clean_app.app_context():
        make_violation(cp.parties, severity="serious", days_ago=400, decision_number=DECISION)
        listed_on = clock.today() - timedelta(days=100)
        with unit_of_work() as uow:
            registry.list_on_serious_list(
                regulator_identity(),
                uow,
                {
                    "uscc": cp.parties.owner_uscc,
                    "legal_basis": "《市场监督管理严重违法失信名单管理办法》",
                    "reason": "一年内因刷单炒信两次受到较重行政处罚",
                    "listed_on": listed_on,
                    "remove_on": listed_on + timedelta(days=3 * 365),
                },
            )
    return cp, listed_on


def test_a_capped_firm_reads_the_cap_in_words_and_its_repair(client, capped) -> None:
    _, listed_on = capped
    sign_in(client, "firm-a")
    html = page(client, "/console/firm/rating")
    assert "HARD_" not in html
    assert 'id="caps"' in html and "列入严重失信主体名单" in html
    assert str(listed_on + timedelta(days=3 * 365)) in html  # until when
    assert "如何解除" in html and "提前移出" in html
    assert "还差" not in html and "加分不能使评级升至" in html
    assert DECISION in html and "现在可申请信用修复" in html
    assert "暂无建议" not in html
    assert "公示期内" in html  # the objection, while the record is public
    en = page(client, "/console/firm/rating?lang=en")
    assert "HARD_" not in en and "serious dishonesty list" in en
    assert "What lifts it" in en and "early removal" in en
    assert "No points can lift the grade" in en and "points short of" not in en
    assert "may be applied for now" in en


def test_an_uncapped_firm_is_told_the_points_missing(client, cp, clean_app) -> None:
    sign_in(client, "firm-a")
    html = page(client, "/console/firm/rating")
    assert 'id="caps"' not in html
    assert "还差" in html and "加分不能" not in html
    assert 'class="pts"' in html  # figures kept on one line


def test_the_profile_and_the_report_say_the_cap_in_words(client, capped) -> None:
    cp, _ = capped
    uscc = cp.parties.owner_uscc
    html = client.get(f"/enterprises/{uscc}").get_data(as_text=True)
    assert 'id="rating-caps"' in html and "HARD_" not in html
    assert "列入严重失信主体名单" in html and "如何解除" in html
    en = client.get(f"/enterprises/{uscc}?lang=en").get_data(as_text=True)
    assert "Caps on the grade" in en and "What lifts it" in en
    report = client.get(f"/enterprises/{uscc}/report").get_data(as_text=True)
    assert 'id="rating-caps"' in report and "early removal" in report  # lang kept: en


def test_the_api_explanation_carries_the_words(client, capped) -> None:
    cp, _ = capped
    body = client.get(f"/api/v1/enterprises/{cp.parties.owner_uscc}/rating/explain").get_json()
    assert body["next_grade"]["points_needed"] is None
    assert "HARD_SERIOUS_LIST" in body["next_grade"]["held_by"]
    assert body["capped_by"]  # the codes stay, for programs
    assert all(c["text"] and c["text_en"] and c["lift"] for c in body["caps"])
    repair = [a for a in body["actions"] if a["code"] == "REPAIR"]
    assert repair and repair[0]["available_from"] == str(clock.today())


def test_a_report_issued_before_the_caps_still_verifies(app_ctx) -> None:
    """Reports issued before the rating carried its caps in words read as unchanged while
    nothing else changed (the digest is checked without them too)."""
    import sqlalchemy as sa

    from credit.extensions import db
    from credit.identity import ANONYMOUS
    from credit.reports import service as reports
    from credit.reports.models import CreditReport
    from tests.parties import make_parties

    parties = make_parties()
    make_violation(parties, severity="serious", days_ago=3)
    with unit_of_work() as uow:
        number = reports.issue_report(ANONYMOUS, uow, parties.owner_uscc).report_no
    report = db.session.get(CreditReport, number)
    assert report.snapshot["rating"]["caps"], "a public serious record caps the grade"
    rating = {k: v for k, v in report.snapshot["rating"].items() if k != "caps"}
    old = {**report.snapshot, "rating": rating}
    db.session.execute(
        sa.update(CreditReport)
        .where(CreditReport.report_no == number)
        .values(snapshot=old, content_digest=reports.digest_of(old))
    )
    db.session.commit()
    db.session.expire_all()
    checked = reports.verify_report(ANONYMOUS, number)
    assert checked["genuine"] and checked["unchanged"], checked
