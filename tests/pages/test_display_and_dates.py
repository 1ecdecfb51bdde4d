"""Issue 17: the large-text mode (大字版) is one link from every page's header, works without
JavaScript (the link sets a cookie), is remembered, and has a way back (标准版); and the
consoles show stored moments as Beijing dates, never the UTC ``.date()``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.pages.console_parties import page, sign_in


def _html_class(html: str) -> str:
    m = re.search(r"<html[^>]*>", html)
    assert m
    cls = re.search(r'class="([^"]*)"', m.group(0))
    return cls.group(1) if cls else ""


def _cookie(resp, name: str) -> str | None:
    for header in resp.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    return None


def test_the_header_offers_large_text_and_the_link_sets_and_remembers_it(client) -> None:
    html = page(client, "/")
    assert "large-text" not in _html_class(html)
    link = re.search(r'<a class="display-switch" href="([^"]+)"[^>]*>大字版</a>', html)
    assert link, "the header links to 大字版"
    assert "display=large" in link.group(1)

    r = client.get(link.group(1).replace("&amp;", "&"))
    assert r.status_code == 200
    cookie = _cookie(r, "display")
    assert cookie and cookie.startswith("display=large;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "large-text" in _html_class(r.get_data(as_text=True))

    # Every later page keeps it without the parameter, and offers the way back.
    later = page(client, "/search?q=%E5%95%86%E8%B4%B8")
    assert "large-text" in _html_class(later)
    back = re.search(r'<a class="display-switch" href="([^"]+)"[^>]*>标准版</a>', later)
    assert back and "display=standard" in back.group(1)
    assert "q=" in back.group(1), "the switch keeps the page's query"

    r = client.get(back.group(1).replace("&amp;", "&"))
    assert _cookie(r, "display").startswith("display=standard;")
    assert "large-text" not in _html_class(page(client, "/"))


def test_the_mode_is_not_set_again_when_already_kept_and_unknown_values_are_ignored(
    client,
) -> None:
    r = client.get("/?display=large")
    assert _cookie(r, "display")
    again = client.get("/?display=large")
    assert _cookie(again, "display") is None  # already remembered: no new cookie
    odd = client.get("/?display=huge")
    assert _cookie(odd, "display") is None
    assert "large-text" in _html_class(odd.get_data(as_text=True))  # the kept mode stays


def test_english_pages_name_the_modes_in_english(client) -> None:
    html = page(client, "/?lang=en")
    assert re.search(r'class="display-switch"[^>]*>Large text</a>', html)
    html = page(client, "/?display=large")
    assert re.search(r'class="display-switch"[^>]*>Standard text</a>', html)


def test_a_repair_filed_at_1730_utc_shows_the_next_beijing_day_in_the_firm_console(
    clean_app, client, cp
) -> None:
    """2026-03-01 17:30 UTC is 2026-03-02 01:30 in Beijing: the console says 2026-03-02."""
    from dataclasses import replace

    from credit.extensions import db
    from credit.uow import unit_of_work
    from credit.violations import workflow
    from credit.violations.models import RepairApplication
    from tests.parties import make_pledge, make_violation, owner_identity

    with clean_app.app_context():
        v = make_violation(cp.parties, days_ago=120)
        pledge = make_pledge(cp.owner_uscc, publish=True, template_code="CREDIT-REPAIR")
        with unit_of_work() as uow:
            filed = workflow.apply_for_repair(
                replace(owner_identity(cp.owner_uscc), scopes=frozenset({"repairs:write"})),
                uow,
                v.id,
                pledge.id,
                "已下架违规商品",
            )
        moment = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
        db.session.execute(
            sa.update(RepairApplication)
            .where(RepairApplication.id == filed.id)
            .values(filed_at=moment)
        )
        db.session.commit()
        vid = v.id
    sign_in(client, "firm-a")
    home = page(client, "/console/firm")
    cell = re.search(r'<td data-label="提交日期" class="filed nowrap">([^<]*)</td>', home)
    assert cell and cell.group(1) == "2026-03-02", cell and cell.group(1)
    record = page(client, f"/console/firm/records/{vid}")
    assert "2026-03-02" in record and "2026-03-01" not in record


def test_every_cell_of_a_card_table_is_labelled_and_no_template_prints_a_utc_day() -> None:
    """On a phone a console table is one card per row, each value under its column's name
    (data-label): a cell without one would be a bare value. And no page template prints
    ``.date()`` of a stored (UTC) time: they use the Beijing filters."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    templates = [
        *sorted((root / "api" / "pages" / "templates").rglob("*.html")),
        *sorted((root / "api" / "oauth" / "templates").rglob("*.html")),
    ]
    card_tables = 0
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"_at\.date\(\)", text), f"{path.name} prints a UTC day"
        for table in re.findall(r'<table[^>]*class="cards"[^>]*>.*?</table>', text, re.S):
            card_tables += 1
            cells = re.findall(r"<td\b[^>]*>", table)
            assert cells, path.name
            unlabelled = [c for c in cells if "data-label=" not in c]
            assert unlabelled == [], (path.name, unlabelled)
    assert card_tables >= 6, card_tables
