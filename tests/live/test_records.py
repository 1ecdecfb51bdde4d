"""Over the real server (issue 17): a violation record's permalink and the rating method.

The canonical link is built on ``CREDIT_PUBLIC_URL`` whatever Host the request names (a
poisoned cache must not learn another site's address); a record that is not public is the
same 404 page as an unknown id through gunicorn too; the method page answers with the
model in force.
"""

from __future__ import annotations

import re
import uuid

from credit.ratings.catalog import catalog
from tests.parties import make_parties, make_violation


def test_permalink_canonical_ignores_the_host_and_hidden_records_are_404(live, app_ctx) -> None:
    parties = make_parties()
    shown = make_violation(parties, days_ago=1, decision_number="苏市监罚〔2026〕6601号")
    minor = make_violation(parties, severity="minor", decision_number="苏市监罚〔2026〕6602号")
    r = live.get(f"/violations/{shown.id}", headers={"Host": "evil.example"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', r.text).group(1)
    assert canonical == f"{live.server.url}/violations/{shown.id}"
    assert "evil.example" not in r.text and "6601号" in r.text
    hidden = live.get(f"/violations/{minor.id}")
    unknown_id = str(uuid.uuid4())
    unknown = live.get(f"/violations/{unknown_id}")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text.replace(minor.id, "ID") == unknown.text.replace(unknown_id, "ID")
    assert "6602号" not in hidden.text


def test_the_method_page_over_the_server(live, app_ctx) -> None:
    model = catalog().get()
    r = live.get("/about/rating", params={"lang": "en"})
    assert r.status_code == 200 and model.version in r.text
    assert all(f'id="grade-{g}"' in r.text for g, _ in model.grade_floors)
