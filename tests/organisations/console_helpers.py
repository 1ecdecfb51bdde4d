"""Console parties for the organisations' pages: the console parties of tests/pages (firms
A and B, regulators IN and OUT, the console client), the provincial association ECA with
a console user ``org-eca``, and the 行业自律型 template campaigns use."""

from __future__ import annotations

from credit.accounts import service as accounts
from credit.identity import SYSTEM
from credit.organisations import service as organisations
from credit.uow import unit_of_work
from tests.organisations.helpers import ORG_SCOPES, Org, make_organisation
from tests.pages.console_parties import ConsoleParties, make_console_parties
from tests.parties import PASSWORD


def make_org_console(app) -> tuple[ConsoleParties, Org]:
    with app.app_context():
        cp = make_console_parties()
        org = make_organisation()
        with unit_of_work() as uow:
            organisations.ensure_self_discipline_template(SYSTEM, uow)
            accounts.create_user(
                SYSTEM,
                uow,
                username="org-eca",
                password=PASSWORD,
                kind="organisation",
                display_name="协会秘书处",
                organisation_code=org.code,
                scope_list=ORG_SCOPES,
            )
    return cp, org
