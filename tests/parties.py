"""Parties for OAuth and authorization tests: two enterprises, two regulators, an
operator, an internal service and a console client with users, all created through the
real services."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from credit import uscc
from credit.accounts import service
from credit.identity import SYSTEM
from credit.uow import unit_of_work
from tests.helpers import import_records, sample_records

REDIRECT = "https://console.example.com/callback"
ENTERPRISE_SCOPES = [
    "enterprises:read",
    "enterprises:write",
    "pledges:write",
    "objections:write",
    "repairs:write",
]
REGULATOR_SCOPES = [
    "enterprises:read",
    "violations:write",
    "violations:review",
    "commendations:write",
    "repairs:review",
]
PASSWORD = "correct horse battery"


@dataclass
class Client:
    client_id: str
    secret: str | None

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class Parties:
    owner_uscc: str
    other_uscc: str
    owner_city: str
    clients: dict[str, Client] = field(default_factory=dict)


def make_parties() -> Parties:
    """Enterprise A (owner) and B in different cities; a regulator over A's city, one over
    another city; plus operator, internal and console clients and console users."""
    records = sample_records(40, seed=31)
    a = records[0]
    b = next(r for r in records if r["city_code"] != a["city_code"])
    import_records([a, b])
    other_city = next(c for c in ("320100", "320200", "321300") if c != a["city_code"])
    clients: dict[str, Client] = {}
    with unit_of_work() as uow:
        service.create_authority(
            SYSTEM, uow, code="IN", name="辖区内监管局", jurisdiction=[a["city_code"]]
        )
        service.create_authority(
            SYSTEM, uow, code="OUT", name="辖区外监管局", jurisdiction=[other_city]
        )
    specs = {
        "owner": dict(kind="enterprise", uscc_code=a["uscc"], scope_list=ENTERPRISE_SCOPES),
        "other": dict(kind="enterprise", uscc_code=b["uscc"], scope_list=ENTERPRISE_SCOPES),
        "reg_in": dict(kind="regulator", authority_code="IN", scope_list=REGULATOR_SCOPES),
        "reg_out": dict(kind="regulator", authority_code="OUT", scope_list=REGULATOR_SCOPES),
        "operator": dict(kind="operator", scope_list=["admin", "enterprises:read"]),
        "internal": dict(kind="internal", scope_list=["introspect"]),
        "console": dict(
            kind="console",
            scope_list=[
                "enterprises:read",
                "enterprises:write",
                "pledges:write",
                "violations:write",
            ],
            redirect_uris=[REDIRECT],
        ),
    }
    with unit_of_work() as uow:
        for name, spec in specs.items():
            issued = service.create_client(SYSTEM, uow, name=f"{name} system", **spec)
            clients[name] = Client(issued.client.client_id, issued.client_secret)
        service.create_user(
            SYSTEM,
            uow,
            username="staff-a",
            password=PASSWORD,
            kind="enterprise",
            display_name="A 公司运营",
            uscc_code=a["uscc"],
            scope_list=["enterprises:read", "enterprises:write"],
        )
        service.create_user(
            SYSTEM,
            uow,
            username="inspector",
            password=PASSWORD,
            kind="regulator",
            display_name="监管员",
            authority_code="IN",
            scope_list=["enterprises:read", "violations:write"],
        )
    return Parties(a["uscc"], b["uscc"], a["city_code"], clients)


def client_token(client, c: Client, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    r = client.post("/oauth/token", data=data, headers=c.basic())
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def login(client, username: str = "staff-a", password: str = PASSWORD):
    page = client.get("/login")
    csrf = csrf_of(page.get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf, "next": "/"}
    )


def csrf_of(page_html: str) -> str:
    """The CSRF token of a page's form."""
    match = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert match, "no csrf field on the page"
    return match.group(1)


def authorize(
    client,
    console: Client,
    challenge: str,
    scope: str = "enterprises:read",
    state: str = "xyz",
    extra: dict | None = None,
):
    """Signed-in user approves the consent page; returns the redirect response."""
    params = {
        "response_type": "code",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    page = client.get("/oauth/authorize", query_string=params)
    if page.status_code != 200:
        return page
    return client.post(
        "/oauth/authorize",
        query_string=params,
        data={"csrf": csrf_of(page.get_data(as_text=True)), "confirm": "yes"},
    )


def code_from(resp) -> str:
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT), location
    return parse_qs(urlparse(location).query)["code"][0]


def redeem(client, console: Client, code: str, verifier: str | None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth/token", data=data, headers=console.basic())


def valid_code_like(prefix: str = "9132050") -> str:
    return uscc.complete(prefix + "000000099")


def owner_identity(uscc_code: str):
    """The Identity an enterprise's own client has (for arranging data directly)."""
    import sqlalchemy as sa

    from credit.enterprises.models import Enterprise
    from credit.extensions import db
    from credit.identity import Identity, IdentityKind

    ent = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc_code))
    return Identity(
        IdentityKind.ENTERPRISE,
        "client:test",
        enterprise_id=ent.id,
        scopes=frozenset({"pledges:write"}),
    )


def regulator_identity(*scopes: str, code: str = "IN"):
    """The Identity of authority ``code``'s client (the city regulator of make_parties by
    default) holding ``scopes`` (``violations:write`` if none), for arranging data directly."""
    import sqlalchemy as sa

    from credit.accounts.models import Authority
    from credit.extensions import db
    from credit.identity import Identity, IdentityKind

    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    return Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=authority.id,
        scopes=frozenset(scopes or ("violations:write",)),
        jurisdiction=frozenset(authority.jurisdiction),
    )


def seed_templates():
    from credit.pledges import service as pledges

    with unit_of_work() as uow:
        pledges.seed_templates(SYSTEM, uow)
    return {t.code: t for t in pledges.list_templates(SYSTEM)}


def pledge_body(template, **overrides) -> dict:
    from credit import clock

    today = clock.today()
    body = {
        "template_id": template.id,
        "clauses": template.required_codes(),
        "extra_commitments": ["48 小时内发货"],
        "valid_from": today.isoformat(),
        "valid_until": today.replace(year=today.year + 1).isoformat(),
        "signer_name": "张三明",
        "signer_title": "总经理",
        "consent_to_publish": True,
    }
    body.update(overrides)
    return body


def make_pledge(
    uscc_code: str,
    publish: bool = False,
    template_code: str = "ECOM-STD",
    repair_for: str | None = None,
):
    """A pledge of this enterprise, made through the real services. A credit-repair pledge is
    made for a record (``repair_for``; by default the firm's newest public active record,
    which the test must have made first)."""
    from datetime import date

    from credit.pledges import service as pledges

    template = seed_templates()[template_code]
    data = pledge_body(template)
    if template.type == "credit_repair":
        data["repair_for"] = repair_for or newest_public_record(uscc_code)
    data["valid_from"] = date.fromisoformat(data["valid_from"])
    data["valid_until"] = date.fromisoformat(data["valid_until"])
    identity = owner_identity(uscc_code)
    with unit_of_work() as uow:
        pledge = pledges.create_pledge(identity, uow, data)
    if publish:
        with unit_of_work() as uow:
            pledge = pledges.publish_pledge(identity, uow, pledge.id, pledge.version)
    return pledge


def newest_public_record(uscc_code: str) -> str:
    """The id of the enterprise's newest public, active record (a repair pledge names one)."""
    import sqlalchemy as sa

    from credit.enterprises.models import Enterprise
    from credit.extensions import db
    from credit.violations.models import Violation

    found = db.session.scalar(
        sa.select(Violation.id)
        .join(Enterprise, Violation.enterprise_id == Enterprise.id)
        .where(
            Enterprise.uscc == uscc_code,
            Violation.status == "active",
            Violation.published.is_(True),
        )
        .order_by(Violation.decision_date.desc(), Violation.id)
        .limit(1)
    )
    assert found, "a credit-repair pledge is made for a record: make_violation first"
    return found


def make_violation(
    parties: Parties,
    severity: str = "general",
    days_ago: int = 10,
    decision_number: str | None = None,
    breached: list | None = None,
):
    """A violation of the owner enterprise recorded by the regulator over its city."""
    from datetime import timedelta

    from credit import clock
    from credit.violations import service as violations

    regulator = regulator_identity()
    data = {
        "uscc": parties.owner_uscc,
        "category": "fake_orders",
        "severity": severity,
        "decision_number": decision_number or f"苏市监罚〔2026〕{secrets.randbelow(10**6)}号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": clock.today() - timedelta(days=days_ago),
        "breached_clauses": breached or [],
    }
    with unit_of_work() as uow:
        return violations.record_violation(regulator, uow, data)
