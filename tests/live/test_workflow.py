"""Over the real server (issue 15): a scoring model published while gunicorn runs is used at
once by every worker, and the workflow rules hold as deployed.

The model is published and the firm re-rated with the operators' own commands, in a
subprocess with the server's environment (its database, its search index), exactly as an
operator would on the host, while the server keeps running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from credit import clock
from credit.ratings import catalog
from tests.parties import make_parties, make_pledge, seed_templates
from tests.server import ROOT, env_for

NEW_VERSION = "2099.1"


@pytest.fixture
def parties(app_ctx):
    p = make_parties()
    p.templates = seed_templates()
    return p


def _cli(live, *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi credit ...`` on the server's database and search index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
    env.update(env_for(live.server.config))
    env["CREDIT_PUBLIC_URL"] = live.server.url
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "credit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _new_model_file(tmp_path: Path) -> Path:
    """A copy of the current shipped model under a new version code (what an operator
    publishes), with violations weighing more so a score under it is its own."""
    shipped = json.loads((catalog.PACKAGED / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in shipped["published"] if e["version"] == shipped["current"])
    doc = json.loads((catalog.PACKAGED / entry["file"]).read_text(encoding="utf-8"))
    doc.update(
        version=NEW_VERSION,
        published_on=clock.today().isoformat(),
        changelog=["测试：运行中发布 / published while the servers run"],
    )
    path = tmp_path / f"{NEW_VERSION}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_model_published_while_the_server_runs_is_used_at_once(live, parties, tmp_path):
    """Before: the catalog was read once per process, so after publish-model and rescore the
    running workers answered 404 for the firm's rating, history, profile and report until a
    restart, and re-rated changes with the old model."""
    firm = parties.owner_uscc
    make_pledge(firm, publish=True)
    log_start = len(live.server.log_text())
    rating = f"/api/v1/enterprises/{firm}/rating"
    before = live.get(rating)
    assert before.status_code == 200, before.text
    old_version = before.json()["model_version"]
    assert old_version != NEW_VERSION

    published = json.loads(
        _cli(live, "ratings", "publish-model", str(_new_model_file(tmp_path))).stdout.strip()
    )
    assert published == {"published": NEW_VERSION, "current": True, "where": "database"}
    rescored = json.loads(_cli(live, "rescore", "--uscc", firm).stdout.strip().splitlines()[-1])
    assert rescored["rated"] == 1 and rescored["written"] == 1

    # Every worker answers at once (several requests reach both of them), no restart.
    for _ in range(8):
        r = live.get(rating)
        assert r.status_code == 200, r.text
        assert r.json()["model_version"] == NEW_VERSION and r.json()["stored"] is True
    history = live.get(f"{rating}/history")
    assert history.status_code == 200, history.text
    assert history.json()["items"][0]["model_version"] == NEW_VERSION
    assert old_version in {h["model_version"] for h in history.json()["items"]}
    models = {m["version"]: m["current"] for m in live.get("/api/v1/rating-models").json()}
    assert models[NEW_VERSION] is True and models[old_version] is False
    profile = live.get(f"/enterprises/{firm}")
    assert profile.status_code == 200 and NEW_VERSION in profile.text
    report = live.get(f"/enterprises/{firm}/report")
    assert report.status_code == 200 and NEW_VERSION in report.text
    explained = live.get(f"{rating}/explain")
    assert explained.status_code == 200 and explained.json()["model"]["version"] == NEW_VERSION

    # A change re-rates the firm under the current (new) model, in the server's own process.
    violation = {
        "uscc": firm,
        "category": "fake_orders",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕9901号",
        "legal_basis": "《中华人民共和国电子商务法》第十七条",
        "facts": "组织虚假交易、编造用户评价",
        "penalty_type": "fine",
        "penalty_amount": 50000,
        "decision_date": (clock.today() - timedelta(days=3)).isoformat(),
    }
    r = live.post(
        "/api/v1/violations", json=violation, headers=live.bearer(parties.clients["reg_in"])
    )
    assert r.status_code == 201, r.text
    after = _until(
        lambda: (
            (x := live.get(rating).json())
            and any(f["code"] == "VIOLATION" for f in x["factors"])
            and x
        )
    )
    assert after, live.server.log_tail()
    assert after["model_version"] == NEW_VERSION
    answered = live.server.log_text()[log_start:].splitlines()
    assert not [line for line in answered if firm in line and " 404 " in line]


def test_a_pricing_record_cannot_name_the_personal_information_clause(live, parties):
    """The breach table, as deployed: a per-field 400 in problem+json with ASCII headers;
    with the authority's reason it is recorded and the reason is shown."""
    pledge = make_pledge(parties.owner_uscc, publish=True)
    headers = live.bearer(parties.clients["reg_in"])
    body = {
        "uscc": parties.owner_uscc,
        "category": "pricing",
        "severity": "general",
        "decision_number": "苏市监罚〔2026〕9902号",
        "legal_basis": "《中华人民共和国价格法》",
        "facts": "虚构原价",
        "penalty_type": "fine",
        "penalty_amount": 20000,
        "decision_date": clock.today().isoformat(),
        "breached_clauses": [{"pledge_id": pledge.id, "clause": "C07"}],
    }
    r = live.post("/api/v1/violations", json=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert all(v.isascii() for v in r.headers.values())
    [error] = r.json()["errors"]
    assert error["field"] == "breached_clauses.0" and error["code"] == "category_cannot_breach"
    body["breached_clauses"][0]["breach_reason"] = "以虚构原价诱导消费者提交个人信息领取优惠"
    r = live.post("/api/v1/violations", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["breached_clauses"] == [
        {
            "pledge_id": pledge.id,
            "clause": "C07",
            "breach_reason": "以虚构原价诱导消费者提交个人信息领取优惠",
        }
    ]
