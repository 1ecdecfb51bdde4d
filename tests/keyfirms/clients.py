"""OAuth clients of commerce departments (and of a market regulator holding the scope),
made through the real account services, for API and live tests."""

from __future__ import annotations

from credit.accounts import service as accounts
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from tests.keyfirms.helpers import COMMERCE_SCOPES, make_department
from tests.parties import Client


def department_client(city: str, code: str = "COM", kind: str = "commerce") -> Client:
    make_department(city, code=code, kind=kind)
    with unit_of_work() as uow:
        issued = accounts.create_client(
            SYSTEM,
            uow,
            kind="regulator",
            name=f"{code} system",
            authority_code=code,
            scope_list=COMMERCE_SCOPES,
        )
    return Client(issued.client.client_id, issued.client_secret)
