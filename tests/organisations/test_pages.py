"""The organisations' public pages in-process: the directory with member counts, an
organisation's page (the convention in force with its clauses and the link to its
versions, member count, each campaign's coverage in numbers and in words), the version
history, the member's profile naming its organisations, both languages; and what stays
off them (invitations not confirmed, drafts, referrals)."""

from __future__ import annotations

from datetime import timedelta

from credit import clock
from credit.organisations import campaigns
from credit.uow import unit_of_work
from tests.organisations.helpers import (
    confirm_member,
    convention_body,
    enterprise_identity,
    make_campaign,
    publish_convention,
)
from tests.parties import pledge_body


def _arrange(org, parties):
    from credit.organisations import service

    publish_convention(org)
    publish_convention(org, title="江苏省电子商务行业自律公约（2026 修订）")
    with unit_of_work() as uow:  # a draft of version 3 stays private
        service.draft_convention(
            org.identity,
            uow,
            {**convention_body(title="未发布的草稿标题"), "effective_from": clock.today()},
        )
    confirm_member(org, parties.owner_uscc)
    with unit_of_work() as uow:  # invited, not confirmed: not a member yet
        service.invite_member(org.identity, uow, {"uscc": parties.other_uscc})
    campaign = make_campaign(org)
    firm = enterprise_identity(parties.owner_uscc)
    with unit_of_work() as uow:
        campaigns.join_campaign(firm, uow, campaign.id)
    return campaign, firm


def test_the_directory_and_the_organisations_page(client, org, parties) -> None:
    from credit.extensions import db
    from credit.pledges import service as pledges
    from credit.pledges.models import PledgeTemplate

    campaign, firm = _arrange(org, parties)
    directory = client.get("/organisations").get_data(as_text=True)
    assert 'href="/organisations/ECA"' in directory and "江苏省电子商务协会ECA" in directory
    assert "<td>1</td>" in directory  # one confirmed member (the invited one is not)
    assert 'href="/organisations"' in directory  # the main navigation

    html = client.get("/organisations/ECA").get_data(as_text=True)
    assert 'id="member-count">1<' in html
    assert "江苏省电子商务行业自律公约（2026 修订）" in html and "第 2 版" in html
    assert "诚信经营，不刷单炒信。" in html
    assert 'href="/organisations/ECA/convention"' in html
    assert "未发布的草稿标题" not in html
    assert campaign.title in html
    assert "0 / 1" in html and "1 家会员中，1 家已参加，0 家已公示承诺且有效；0 家尚未参加" in html
    assert "转交" in html  # the page says referrals are not published

    # The member files and publishes from the campaign: the public figures follow.
    data = pledge_body(db.session.get(PledgeTemplate, campaign.template_id))
    data.pop("template_id")
    data["valid_from"] = clock.today()
    data["valid_until"] = clock.today() + timedelta(days=365)
    with unit_of_work() as uow:
        pledge = campaigns.file_campaign_pledge(firm, uow, campaign.id, data)
    with unit_of_work() as uow:
        pledges.publish_pledge(firm, uow, pledge.id, pledge.version)
    html = client.get("/organisations/ECA").get_data(as_text=True)
    assert "1 / 1" in html and "1 家已公示承诺且有效" in html

    english = client.get("/organisations/ECA?lang=en").get_data(as_text=True)
    assert "Jiangsu E-commerce Association ECA" in english
    assert "Of 1 members, 1 joined and 1 have a published pledge in force" in english


def test_the_versions_page_shows_every_published_version(client, org, parties) -> None:
    _arrange(org, parties)
    html = client.get("/organisations/ECA/convention").get_data(as_text=True)
    assert html.index("第 2 版") < html.index("第 1 版")
    assert "现行版本" in html and "已被新版本替代" in html
    assert "未发布的草稿标题" not in html and "第 3 版" not in html


def test_the_profile_names_the_members_organisations(client, org, parties) -> None:
    _arrange(org, parties)
    profile = client.get(f"/enterprises/{parties.owner_uscc}").get_data(as_text=True)
    assert "行业组织会员：" in profile and 'href="/organisations/ECA"' in profile
    other = client.get(f"/enterprises/{parties.other_uscc}").get_data(as_text=True)
    assert 'href="/organisations/ECA"' not in other  # invited, never confirmed


def test_an_unknown_organisation_is_404_and_an_empty_directory_says_so(client, app_ctx):
    assert client.get("/organisations/NOPE").status_code == 404
    assert client.get("/organisations/NOPE/convention").status_code == 404
    assert "尚无行业组织" in client.get("/organisations").get_data(as_text=True)
    assert client.get("/organisations?page=x").status_code == 200
