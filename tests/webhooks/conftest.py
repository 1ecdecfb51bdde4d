"""Subscribers for the webhook tests: two subscriber clients made by the real services,
beside the firms and regulators of ``tests.parties``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from credit.accounts import service
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from tests.parties import Client, Parties, bearer, client_token, make_parties


@dataclass
class Subscribers:
    parties: Parties
    first: Client
    second: Client


def make_subscribers() -> Subscribers:
    parties = make_parties()
    made = []
    with unit_of_work() as uow:
        for name in ("订阅方一", "订阅方二"):
            issued = service.create_client(
                SYSTEM, uow, kind="subscriber", name=name, scope_list=["webhooks:manage"]
            )
            made.append(Client(issued.client.client_id, issued.client_secret))
    return Subscribers(parties, *made)


@pytest.fixture
def subscribers(app_ctx) -> Subscribers:
    return make_subscribers()


@pytest.fixture
def allow_loopback(clean_app, monkeypatch):
    """The operator's allow-list names 127.0.0.1 (a receiver on this machine)."""
    monkeypatch.setitem(clean_app.config, "CREDIT_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")


def auth(client, subscriber: Client) -> dict[str, str]:
    return bearer(client_token(client, subscriber))
