"""Shops and the business contact on pages (issue 17): the firm's console form keeps what
was typed and puts each problem beside its field; the public profile links a shop with
rel="nofollow noopener noreferrer", no target, and the host printed beside the link."""

from __future__ import annotations

import re

from tests.pages.console_parties import page, post, sign_in

FORM = "/console/firm/shops"


def test_the_form_keeps_input_and_names_each_bad_field(client, cp) -> None:
    sign_in(client, "firm-a")
    html = page(client, FORM)
    assert 'name="shop-0-url"' in html and 'name="bc_public"' in html
    data = {
        "shop-0-platform": "tmall",
        "shop-0-name": "华通食品官方旗舰店",
        "shop-0-url": "https://huatong.tmall.com/",
        "shop-1-platform": "jd",
        "shop-1-name": "华通京东自营",
        "shop-1-url": "javascript:alert(1)",
        "shop-2-platform": "own_site",
        "shop-2-name": "内网商城",
        "shop-2-url": "http://192.168.1.10/shop",
        "bc_phone": "not a phone",
        "bc_email": "biz@huatong.example.com",
        "bc_public": "yes",
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
    }
    r = post(client, FORM, data, status=400)
    body = r.get_data(as_text=True)
    # Every problem beside its field, linked from the summary ...
    assert 'id="shop-1-url-error"' in body and "http://" in body
    assert 'id="shop-2-url-error"' in body and "IP" in body
    assert 'id="bc_phone-error"' in body
    assert 'href="#f-shop-1-url"' in body
    assert 'id="shop-0-url-error"' not in body
    # ... and everything typed is still there.
    for value in (
        "华通食品官方旗舰店",
        "https://huatong.tmall.com/",
        "javascript:alert(1)",
        "http://192.168.1.10/shop",
        "not a phone",
        "biz@huatong.example.com",
    ):
        assert f'value="{value}"' in body, value
    assert re.search(r'id="f-bc_public" name="bc_public" value="yes" checked', body)
    # Nothing was saved.
    profile = page(client, f"/enterprises/{cp.owner_uscc}")
    assert "华通食品官方旗舰店" not in profile


def test_saved_shops_show_on_the_profile_with_safe_links(client, cp) -> None:
    sign_in(client, "firm-a")
    html = page(client, FORM)
    data = {
        "shop-0-platform": "tmall",
        "shop-0-name": "华通食品官方旗舰店",
        "shop-0-url": "https://huatong.tmall.com/",
        "shop-1-platform": "own_site",
        "shop-1-name": "自营商城",
        "shop-1-url": "https://例子.中国/店",
        "bc_phone": "025-8888 6666",
        "bc_address": "南京市玄武区某路 1 号",
        "bc_public": "yes",
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
    }
    r = post(client, FORM, data, status=303)
    assert r.headers["Location"].endswith(FORM)
    saved = page(client, FORM)
    assert "网店和联系方式已保存" in saved
    assert 'value="https://xn--fsqu00a.xn--fiqs8s/店"' in saved  # stored as punycode
    assert 'id="profile-changes"' in saved  # the audit trail, newest first

    profile = page(client, f"/enterprises/{cp.owner_uscc}")
    link = re.search(
        r'<a href="https://huatong\.tmall\.com/"([^>]*)>华通食品官方旗舰店</a>', profile
    )
    assert link, profile
    assert 'rel="nofollow noopener noreferrer"' in link.group(1)
    assert "target=" not in link.group(1)
    assert "<bdi>huatong.tmall.com</bdi>" in profile
    # A look-alike-proof host: the Unicode name and its ASCII form side by side.
    assert "<bdi>例子.中国</bdi> (<bdi>xn--fsqu00a.xn--fiqs8s</bdi>)" in profile
    assert 'id="business-contact"' in profile and "025-8888 6666" in profile

    # Unticking "public" takes the contact off the profile (the shops stay).
    html = page(client, FORM)
    data = {
        **data,
        "shop-1-url": "https://xn--fsqu00a.xn--fiqs8s/店",
        "bc_public": "",
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
    }
    post(client, FORM, data, status=303)
    profile = page(client, f"/enterprises/{cp.owner_uscc}")
    assert "025-8888 6666" not in profile and "华通食品官方旗舰店" in profile


def test_a_stale_form_is_refused_with_the_input_kept(client, cp) -> None:
    sign_in(client, "firm-a")
    html = page(client, FORM)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    data = {
        "shop-0-platform": "jd",
        "shop-0-name": "第一次",
        "shop-0-url": "https://one.jd.com/",
        "version": version,
    }
    post(client, FORM, data, status=303)
    r = post(client, FORM, {**data, "shop-0-name": "第二次"}, status=412)
    body = r.get_data(as_text=True)
    assert 'id="form-refused"' in body and 'value="第二次"' in body


def test_only_firms_reach_the_form(client, cp) -> None:
    sign_in(client, "reg-in")
    r = client.get(FORM)
    assert r.status_code in (302, 403), r.status_code
    assert "shop-0-url" not in r.get_data(as_text=True)
