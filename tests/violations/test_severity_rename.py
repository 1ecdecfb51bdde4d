"""A violation's ``tier`` became ``severity`` (migration 0013); what was stored or published
under the old name keeps working.

- the inputs digest of unchanged facts did not move (a moved digest would read as changed
  inputs and write a rating history row for every firm with a record);
- the published model 2026.1 is not edited and still reads (``tier_weights``,
  ``{tier_label}``), its reasons naming the record's severity;
- rating contributions stored with ``tier`` in their params read as ``severity``;
- a credit report issued with ``tier`` / ``tier_label`` violation rows still verifies as
  unchanged while the record is, and describes the record once it ends.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from credit.ratings.catalog import PACKAGED, load
from credit.ratings.texts import describe
from credit.scoring import rate
from credit.scoring.signals.base import Contribution
from tests.ratings.reference_firms import REFERENCE_FIRMS
from tests.unit.scoring_facts import AS_OF

#: The inputs digests of the reference firms with records, computed before the rename.
DIGESTS_BEFORE_THE_RENAME = {
    "同第六家，但有一条 6 个月前的一般记录": (
        "2f4ff93e7865ea0eddea5728672cf77d196acc8564b24de03d97728ac678fe31"
    ),
    "未公示证照信息的一般记录": "d2947451b9dbc9c17b96dd016a8223cdb8d14726ac6170533523c634bd9f62fa",
    "两条一般记录并违背一项承诺条款": (
        "304c051e60348d747d2e9c812f10c5881e1e07513fac1c0eb40068e000c6f87d"
    ),
    "新设立，一条新的一般记录": "25de6b0f8072035d78f4f170a257b03a00aa8ee72656028d73e920e3b3abb166",
    "五条一般记录、两项承诺被违背": (
        "ed5b40669d4ac3172e6dc95ce5e4eb00731b30b06a26df8a4c4ec5b65f2da3b6"
    ),
    "承诺、表彰齐全，但有公示中的严重记录": (
        "91f688b7584f35cedd8f8abf9115a13ba29bb35f5145ecb17e93084334de9f78"
    ),
    "新设立，一条新的严重记录": "26c7be380e41117b658bac04825bac6e825edb1d64e48c084c3a1278df6aa026",
    "两条严重记录": "187aebdad3e72ff7f252262241405f472c7c389a289c400129781e978484d6ea",
    "严重记录已修复": "72e53c6de6c37398e3bd4a4b2e8fdc152176803b4be61b6870f2339ac15b4eb9",
}


def test_the_inputs_digest_of_unchanged_facts_did_not_move() -> None:
    with_records = {
        r.name.split(" / ")[0]: r.facts.digest() for r in REFERENCE_FIRMS if r.facts.violations
    }
    assert with_records == DIGESTS_BEFORE_THE_RENAME
    v = next(r for r in REFERENCE_FIRMS if r.facts.violations).facts.violations[0]
    assert "tier=" in repr(v) and "severity=" not in repr(v)  # the canonical form's name
    assert v.severity in {"general", "serious"}


def test_model_2026_1_is_unedited_and_names_the_severity() -> None:
    raw = json.loads((PACKAGED / "2026.1.json").read_text(encoding="utf-8"))
    assert "tier_weights" in raw["signals"]["violations"]
    assert "{tier_label}" in raw["reasons"]["VIOLATION"]["zh"]
    model = load(PACKAGED).get("2026.1")  # the file's digest is checked on load
    assert "{severity_label}" in model.reasons["VIOLATION"]["zh"]
    firm = next(r for r in REFERENCE_FIRMS if r.name.startswith("新设立，一条新的严重记录"))
    r = rate(firm.facts, AS_OF, model)
    violation = next(c for c in r.contributions if c.code == "VIOLATION")
    assert dict(violation.params)["severity"] == "serious"
    text = describe(violation, model, None)
    assert text["text"].startswith("严重失信记录") and text["text_en"].startswith("serious record")
    # 2026.1 weighs a serious record three times a general one, as published
    assert model.params("violations").groups[0].severities["serious"] == 3.0


def test_contributions_stored_with_tier_read_as_severity() -> None:
    old = ["public", "VIOLATION", -40, "v1", {"decision": "d", "tier": "general", "months": 2}]
    c = Contribution.from_row(old)
    assert c.params == (("decision", "d"), ("severity", "general"), ("months", 2))
    cap = Contribution.from_row(["hard_rule", "HARD_GENERAL_VIOLATION", -9, "v1", {"tier": "g"}])
    assert dict(cap.params) == {"severity": "g"}
    other = Contribution.from_row(["base", "BASE", 650, None, {"tier": "A"}])
    assert dict(other.params) == {"tier": "A"}  # only a record's params are renamed
    model = load(PACKAGED).get("2026.2")
    redacted = describe(c, model, visible=set())
    assert redacted["text"] == "已不再公示的违法失信记录（一般）"
    assert redacted["params"] == {"severity": "general", "months": 2}


def test_a_report_issued_before_the_rename_still_verifies(app_ctx) -> None:
    from credit.extensions import db
    from credit.identity import ANONYMOUS, Identity, IdentityKind
    from credit.reports import service as reports
    from credit.reports.models import CreditReport
    from credit.uow import unit_of_work
    from credit.violations import service as violations
    from tests.parties import make_parties, make_violation

    parties = make_parties()
    v = make_violation(parties, days_ago=3, decision_number="苏市监罚〔2026〕8813号")
    with unit_of_work() as uow:
        number = reports.issue_report(ANONYMOUS, uow, parties.owner_uscc).report_no
    report = db.session.get(CreditReport, number)
    row = report.snapshot["violations"][0]
    assert (row["severity"], row["severity_label"]) == ("general", ["一般", "general"])
    # As it would have been issued before 0013: the rows under the old names.
    names = {"severity": "tier", "severity_label": "tier_label"}
    old = {
        **report.snapshot,
        "violations": [
            {names.get(k, k): x for k, x in r.items()} for r in report.snapshot["violations"]
        ],
    }
    db.session.execute(
        sa.update(CreditReport)
        .where(CreditReport.report_no == number)
        .values(snapshot=old, content_digest=reports.digest_of(old))
    )
    db.session.commit()
    db.session.expire_all()

    checked = reports.verify_report(ANONYMOUS, number)
    assert checked["genuine"] and checked["unchanged"], checked

    regulator = Identity(
        IdentityKind.REGULATOR,
        "client:reg",
        authority_id=v.authority_id,
        scopes=frozenset({"violations:write"}),
        jurisdiction=frozenset({parties.owner_city}),
    )
    with unit_of_work() as uow:
        violations.revoke_violation(regulator, uow, v.id, "复议撤销", v.version)
    checked = reports.verify_report(ANONYMOUS, number)
    assert checked["genuine"] and not checked["unchanged"]
    assert [e["text"] for e in checked["ended"]] == [
        [
            "苏市监罚〔2026〕8813号（刷单炒信，一般）",
            "苏市监罚〔2026〕8813号 (fake orders and reviews, general)",
        ]
    ]
