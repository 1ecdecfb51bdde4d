"""Shop links and the public business contact through the v1 API (issue 17).

A firm declares its shops (platform, name, http(s) address to a real domain name) and
optionally a business contact it marks public, with ``PATCH /api/v1/enterprises/{uscc}``
(scope ``enterprises:write``, If-Match). Bad links are 400 problem+json naming the field;
only the firm itself may write; every change leaves an audit row in the same commit.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from credit.enterprises.models import ProfileChange
from credit.extensions import db
from tests.parties import bearer, client_token, make_parties


@pytest.fixture
def parties(app_ctx):
    return make_parties()


GOOD = {"platform": "tmall", "shop_name": "华通食品官方旗舰店", "url": "https://huatong.tmall.com/"}


def _patch(
    client, parties, body: dict, who: str = "owner", uscc: str | None = None, lang: str = "zh"
):
    url = f"/api/v1/enterprises/{uscc or parties.owner_uscc}"
    headers = {"If-Match": client.get(url).headers["ETag"], "Accept-Language": lang}
    if who != "anonymous":
        headers.update(bearer(client_token(client, parties.clients[who])))
    return client.patch(url, json=body, headers=headers)


def _errors(r) -> list[tuple[str, str]]:
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.content_type == "application/problem+json"
    return [(e["field"], e["message"]) for e in r.get_json()["errors"]]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("javascript:alert(1)", "http://"),
        ("data:text/html,<script>alert(1)</script>", "http://"),
        ("ftp://shop.example.com/", "http://"),
        ("http://127.0.0.1/shop", "IP"),
        ("http://[::1]/shop", "IP"),
        ("http://2130706433/", "IP"),
        ("http://user@shop.example.com/", "@"),
        ("https://tmall.com@evil.example.com/", "@"),
        ("http://localhost/shop", "localhost"),
        ("https://printer.local/", "localhost"),
        ("https://intranet/", "domain"),
        ("https://shop.example.com:8443/", "port"),
        ("https://shop .example.com/", "spaces"),
        ("https://shop.example.com/" + "a" * 500, "500"),
        ("", "enter the address"),
    ],
)
def test_a_bad_shop_address_is_a_field_error(client, parties, url: str, says: str) -> None:
    # In English (the request's language): each refusal says why in words.
    r = _patch(client, parties, {"shops": [GOOD, {**GOOD, "url": url}]}, lang="en")
    errors = _errors(r)
    assert [f for f, _ in errors] == ["shops.1.url"], errors
    assert says in errors[0][1], errors
    # Nothing was applied: the first, good shop is not there either.
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert public["shops"] == [] or GOOD["shop_name"] not in str(public["shops"])


def test_a_shop_needs_its_address_and_name(client, parties) -> None:
    r = _patch(client, parties, {"shops": [{"platform": "jd", "shop_name": ""}]})
    assert {f for f, _ in _errors(r)} == {"shops.0.shop_name", "shops.0.url"}


def test_at_most_ten_shops(client, parties) -> None:
    shops = [{**GOOD, "shop_name": f"店{i}"} for i in range(11)]
    assert [f for f, _ in _errors(_patch(client, parties, {"shops": shops}))] == ["shops"]
    r = _patch(client, parties, {"shops": shops[:10]})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert len(r.get_json()["shops"]) == 10


def test_declared_shops_and_contact_are_public_with_their_host(client, parties) -> None:
    idn = {"platform": "own_site", "shop_name": "自营商城", "url": "https://例子.中国/店"}
    body = {
        "shops": [GOOD, idn],
        "business_contact": {
            "phone": "025-8888 6666",
            "email": "biz@huatong.example.com",
            "address": "南京市玄武区某路 1 号",
            "public": True,
        },
    }
    r = _patch(client, parties, body)
    assert r.status_code == 200, r.get_data(as_text=True)
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert [(s["url"], s["host"]) for s in public["shops"]] == [
        ("https://huatong.tmall.com/", "huatong.tmall.com"),
        ("https://xn--fsqu00a.xn--fiqs8s/店", "xn--fsqu00a.xn--fiqs8s"),  # stored as punycode
    ]
    assert public["business_contact"] == {
        "phone": "025-8888 6666",
        "email": "biz@huatong.example.com",
        "address": "南京市玄武区某路 1 号",
    }


def test_a_contact_not_marked_public_stays_private(client, parties) -> None:
    body = {"business_contact": {"phone": "025-12345678", "public": False}}
    assert _patch(client, parties, body).status_code == 200
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert public["business_contact"] is None
    assert "025-12345678" not in str(public)
    # The firm itself sees it, with the flag.
    own = client.get(
        f"/api/v1/enterprises/{parties.owner_uscc}/contact",
        headers=bearer(client_token(client, parties.clients["owner"])),
    ).get_json()
    assert own["business_contact"] == {
        "phone": "025-12345678",
        "email": None,
        "address": None,
        "public": False,
    }


@pytest.mark.parametrize(
    ("contact", "fields"),
    [
        ({"phone": "call me", "public": True}, {"business_contact.phone"}),
        ({"email": "not-an-email", "public": True}, {"business_contact.email"}),
        ({"address": "x" * 201, "public": True}, {"business_contact.address"}),
        ({"phone": "025-12345678"}, {"business_contact.public"}),  # must say: public or not
        ({"public": True}, {"business_contact._schema"}),
    ],
)
def test_bad_contact_values_are_field_errors(client, parties, contact, fields) -> None:
    r = _patch(client, parties, {"business_contact": contact})
    assert {f for f, _ in _errors(r)} == fields


def test_null_removes_the_contact(client, parties) -> None:
    body = {"business_contact": {"phone": "025-12345678", "public": True}}
    assert _patch(client, parties, body).status_code == 200
    assert _patch(client, parties, {"business_contact": None}).status_code == 200
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert public["business_contact"] is None


@pytest.mark.parametrize("who", ["other", "reg_in", "reg_out", "anonymous"])
def test_only_the_firm_itself_may_write(client, parties, who: str) -> None:
    r = _patch(client, parties, {"shops": [GOOD]}, who=who)
    assert r.status_code in (401, 403), (who, r.status_code)
    assert r.content_type == "application/problem+json"
    public = client.get(f"/api/v1/enterprises/{parties.owner_uscc}").get_json()
    assert public["shops"] == [] or GOOD["shop_name"] not in str(public["shops"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProfileChange)) == 0


def test_every_change_is_audited(client, parties) -> None:
    first = _patch(client, parties, {"shops": [GOOD]})
    assert first.status_code == 200
    second = _patch(
        client, parties, {"shops": [], "business_contact": {"email": "a@b.cn", "public": True}}
    )
    assert second.status_code == 200
    rows = db.session.scalars(
        sa.select(ProfileChange).order_by(ProfileChange.enterprise_version)
    ).all()
    assert [r.fields for r in rows] == [["shops"], ["business_contact", "shops"]]
    assert [r.enterprise_version for r in rows] == [
        first.get_json()["version"],
        second.get_json()["version"],
    ]
    assert rows[1].before["shops"] == [
        {"platform": "tmall", "shop_name": GOOD["shop_name"], "url": GOOD["url"]}
    ]
    assert rows[1].after == {
        "shops": [],
        "business_contact": {"phone": None, "email": "a@b.cn", "address": None, "public": True},
    }
    assert all(r.changed_by for r in rows)


def test_a_report_issued_before_shop_links_still_verifies(client, parties) -> None:
    """Reports issued before migration 0016 hold shops without their host or English
    platform name and no business_contact: while the record is the same they still read as
    unchanged."""
    from credit.identity import ANONYMOUS
    from credit.reports import service as reports
    from credit.reports.models import CreditReport
    from credit.uow import unit_of_work

    assert _patch(client, parties, {"shops": [GOOD]}).status_code == 200
    with unit_of_work() as uow:
        number = reports.issue_report(ANONYMOUS, uow, parties.owner_uscc).report_no
    report = db.session.get(CreditReport, number)
    ent = report.snapshot["enterprise"]
    assert ent["shops"][0]["host"] == "huatong.tmall.com" and ent["business_contact"] is None
    old_ent = {k: v for k, v in ent.items() if k != "business_contact"}
    old_ent["shops"] = [
        {k: v for k, v in s.items() if k not in ("host", "host_unicode", "platform_name_en")}
        for s in ent["shops"]
    ]
    # Reports issued before issue 17 also had no caps in words on the rating.
    rating = report.snapshot["rating"]
    old_rating = {k: v for k, v in rating.items() if k != "caps"} if rating else rating
    old = {**report.snapshot, "enterprise": old_ent, "rating": old_rating}
    db.session.execute(
        sa.update(CreditReport)
        .where(CreditReport.report_no == number)
        .values(snapshot=old, content_digest=reports.digest_of(old))
    )
    db.session.commit()
    db.session.expire_all()
    checked = reports.verify_report(ANONYMOUS, number)
    assert checked["genuine"] and checked["unchanged"]
    # Publishing a contact is a change.
    body = {"business_contact": {"email": "biz@huatong.example.com", "public": True}}
    assert _patch(client, parties, body).status_code == 200
    assert not reports.verify_report(ANONYMOUS, number)["unchanged"]
