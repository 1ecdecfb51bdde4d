"""What an enterprise profile page costs the database and SQLAlchemy: counts, not times.

The profile is the page the public opens most (its server p95 has a goal at a million
firms). Its reads are statements built once per process (building one and computing its
cache key cost more than running it), the firm's facts are read once however many parts
of the page need them, and both stay true only while a number here does not grow."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.cache_key import HasCacheKey

from credit.extensions import db
from credit.ratings.facts import firm_facts
from tests.parties import make_parties, make_pledge, make_violation
from tests.pledges.test_write_statements import Statements

#: Statements of a warm profile of a firm with a published pledge that a serious record
#: breached (so its rating names a hard rule and the page explains the cap): the firm with
#: its contact (1) and its shops (1); the rating: the records public today (1), the newest
#: result with the current rating (1), the catalog's state (1), the points of its history,
#: which the seal reads too (1); pledges with breaches (2), records with their clauses and
#: corrections (3), the serious list and commendations (2), the facts the seal and the cap
#: share (5: the firm and its shop count come from the firm the page found, and no record
#: is repaired, so no repair dates), what the seal reads besides (1),
#: the log indexes of the rating and the lists (1), key-firm categories and memberships (2).
PROFILE_BUDGET = 22

#: Cache keys SQLAlchemy still computes on a warm profile: those of the ORM's own relation
#: loaders (shops, breaches, a record's clauses and corrections). Every statement the code
#: writes is built once per process.
PROFILE_CACHE_KEYS = 4


def _firm(app) -> str:
    """A firm with a history, made in an app context of its own: each request must run in
    its own, as it does when served (a test client reuses one already pushed)."""
    with app.app_context():
        return _make_firm()


def _make_firm() -> str:
    parties = make_parties()
    pledge = make_pledge(parties.owner_uscc, publish=True)
    make_violation(
        parties,
        severity="serious",
        days_ago=0,
        breached=[{"pledge_id": pledge.id, "clause": "C03"}],
    )
    return parties.owner_uscc


def test_a_warm_profile_stays_within_its_statement_budget(clean_app) -> None:
    code = _firm(clean_app)
    client = clean_app.test_client()
    page = f"/enterprises/{code}"
    first = client.get(page)
    assert first.status_code == 200
    assert "严重" in first.get_data(as_text=True)  # the serious record is on the page
    with clean_app.app_context():
        statements = Statements(db.engine)
    again = statements.during(lambda: client.get(page))
    assert again.status_code == 200
    assert statements.count() <= PROFILE_BUDGET, "\n".join(statements.seen)
    facts_reads = [
        s
        for s in statements.seen
        if s.startswith("SELECT commendation.id, commendation.enterprise_id, commendation.title,")
    ]
    assert len(facts_reads) == 1, "\n".join(
        statements.seen
    )  # the seal and the rating's caps read the facts once"


def test_a_warm_profile_builds_no_new_statements(clean_app, monkeypatch) -> None:
    code = _firm(clean_app)
    client = clean_app.test_client()
    page = f"/enterprises/{code}"
    assert client.get(page).status_code == 200  # warm
    computed: list[str] = []
    generate = HasCacheKey._generate_cache_key

    def counting(self):
        computed.append(" ".join(str(self).split())[:100])
        return generate(self)

    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", counting)
    assert client.get(page).status_code == 200
    assert len(computed) <= PROFILE_CACHE_KEYS, "\n".join(computed)


def test_a_firms_facts_are_read_once_and_again_after_a_flush(app_ctx) -> None:
    """Read once per transaction and forgotten when the transaction flushes a write: a
    write and a read of the facts in one transaction see the write."""
    from credit import clock
    from credit.enterprises.models import Enterprise
    from credit.violations.models import Commendation
    from tests.parties import regulator_identity

    code = make_parties().owner_uscc
    authority = regulator_identity().authority_id
    session = db.session
    ent = session.scalar(sa.select(Enterprise).where(Enterprise.uscc == code))
    statements = Statements(db.engine)
    before = statements.during(lambda: firm_facts(session, ent.id))
    # pledges, records, commendations and listings (the firm and its shops are the session's,
    # loaded above); no pledge, so no breaches, and no repaired record, so no repair dates
    assert statements.count() == 4, "\n".join(statements.seen)
    assert statements.during(lambda: firm_facts(session, ent.id)) is before
    assert statements.count() == 0
    session.add(
        Commendation(
            enterprise_id=ent.id,
            authority_id=authority,
            title="守信激励",
            legal_basis="《江苏省社会信用条例》",
            granted_on=clock.today(),
            valid_until=clock.today(),
            recorded_at=clock.now(),
        )
    )
    session.flush()
    after = firm_facts(session, ent.id)
    assert len(after.commendations) == len(before.commendations) + 1
    session.rollback()
    assert firm_facts(session, ent.id).commendations == before.commendations


def test_facts_of_a_firm_the_session_holds_are_its_facts_as_read(app_ctx) -> None:
    """A page found the firm by its code (shops and contact loaded): its facts take the
    firm's row and shop count from it, and equal the facts read from the database; a firm
    changed in the session and not flushed is read from the database instead."""
    from credit.enterprises.models import Shop
    from credit.enterprises.service import get_enterprise
    from credit.identity import SYSTEM
    from credit.ratings.facts import Selection, _held_firm, load_facts

    parties = make_parties()
    make_pledge(parties.owner_uscc, publish=True)
    make_violation(parties, severity="general", days_ago=1)
    ent = get_enterprise(SYSTEM, parties.owner_uscc)
    ent.customer_service_phone = "025-12345678"
    ent.shops.extend(Shop(position=n, platform="taobao", shop_name=f"旗舰店{n}") for n in range(2))
    db.session.commit()
    ent = get_enterprise(SYSTEM, parties.owner_uscc)
    statements = Statements(db.engine)
    held = statements.during(lambda: firm_facts(db.session, ent.id))
    assert statements.count() == 5, "\n".join(statements.seen)  # no firm row, no shop count
    assert not any(s.startswith("SELECT shop.") for s in statements.seen)
    read = load_facts(db.session, Selection(ids=[ent.id]))[ent.id]
    assert held == read and held.digest() == read.digest()
    assert held.shops == len(ent.shops) >= 2 and held.customer_service

    ent.status = "deregistered"  # not flushed: the session's copy is not the stored row
    assert _held_firm(db.session, ent.id) is None
    db.session.rollback()
    ent = get_enterprise(SYSTEM, parties.owner_uscc)
    ent.shops.pop()
    assert _held_firm(db.session, ent.id) is None
    db.session.rollback()
