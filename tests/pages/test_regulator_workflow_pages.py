"""The regulator console for issue 15: the clause picker offers only what may be named, a
clause outside the breach table goes through with the stated reason, and the listing
authority removes a firm from the serious list (移出)."""

from __future__ import annotations

from datetime import timedelta

from tests.pages.console_parties import page, post, record_violation, sign_in

NEW = "/console/regulator/violations/new"


def _today() -> str:
    from credit import clock

    return clock.today().isoformat()


def test_step_one_asks_for_category_and_conduct_date(client, cp) -> None:
    sign_in(client, "reg-in")
    r = client.get(f"{NEW}?uscc={cp.owner_uscc}&category=&conduct_date=2099-01-01")
    html = r.get_data(as_text=True)
    assert 'id="category-error"' in html and 'id="conduct_date-error"' in html
    assert 'id="record-violation"' not in html  # still on the first step


def test_a_clause_outside_the_table_is_recorded_with_the_reason(client, cp, clean_app) -> None:
    from tests.parties import make_pledge

    with clean_app.app_context():
        pledge_id = make_pledge(cp.owner_uscc, publish=True).id
    sign_in(client, "reg-in")
    step_two = f"{NEW}?uscc={cp.owner_uscc}&category=pricing&conduct_date={_today()}"
    html = page(client, step_two)
    assert f'id="breach-{pledge_id}-C05"' in html  # pricing can breach C05 by the table
    assert f'id="breach-{pledge_id}-C07"' not in html  # ... not C07: it sits apart
    form = {
        "uscc": cp.owner_uscc,
        "category": "pricing",
        "conduct_date": _today(),
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕8901号",
        "decision_date": _today(),
        "facts": "虚构原价并收集消费者手机号码",
        "legal_basis": "《中华人民共和国价格法》第十四条",
        "penalty_type": "fine",
        "penalty_amount": "20000",
        "breached": [f"{pledge_id}:C05"],
        "breached_other": [f"{pledge_id}:C07"],
    }
    r = post(client, NEW, form, status=400, csrf_from=step_two)
    assert 'id="breached-error"' in r.get_data(as_text=True)  # no reason: refused
    form["breach_reason"] = "以虚构原价诱导消费者提交个人信息"
    r = record_violation(client, form, csrf_from=step_two)
    html = page(client, r.headers["Location"])
    # Clauses by their words (C05 here), the one outside the table with its reason.
    assert "明码标价，不实施价格违法行为，不搭售商品或服务。" in html and "C05" not in html
    assert "以虚构原价诱导消费者提交个人信息" in html


def test_the_listing_authority_removes_a_listing(client, cp, clean_app) -> None:
    from credit import clock
    from credit.identity import Identity, IdentityKind
    from credit.uow import unit_of_work
    from credit.violations import registry

    with clean_app.app_context():
        import sqlalchemy as sa

        from credit.accounts.models import Authority
        from credit.extensions import db

        authority = db.session.scalar(sa.select(Authority).where(Authority.code == "IN"))
        regulator = Identity(
            IdentityKind.REGULATOR,
            "client:reg",
            authority_id=authority.id,
            scopes=frozenset({"violations:write"}),
            jurisdiction=frozenset(authority.jurisdiction),
        )
        listed_on = clock.today() - timedelta(days=10)
        with unit_of_work() as uow:
            entry_id = registry.list_on_serious_list(
                regulator,
                uow,
                {
                    "uscc": cp.owner_uscc,
                    "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
                    "reason": "一年内因刷单炒信两次受到较重行政处罚",
                    "listed_on": listed_on,
                    "remove_on": listed_on + timedelta(days=3 * 365),
                },
            ).id
    sign_in(client, "reg-in")
    html = page(client, "/console/regulator/serious-list")
    assert f'id="listing-{entry_id}"' in html
    path = f"/console/regulator/serious-list/{entry_id}/remove"
    form = {"ground": "credit_repair", "removed_on": _today(), "reason": "已完成整改"}
    r = post(client, path, form, status=400, csrf_from="/console/regulator/serious-list")
    assert 'id="removed_on-error"' in r.get_data(as_text=True)  # not a year on the list
    form["ground"] = "error"
    post(client, path, form, csrf_from="/console/regulator/serious-list")
    assert f'id="listing-{entry_id}"' not in page(client, "/console/regulator/serious-list")
    rating = client.get(f"/api/v1/enterprises/{cp.owner_uscc}/rating").get_json()
    assert "HARD_SERIOUS_LIST" not in rating["hard_rules"]
