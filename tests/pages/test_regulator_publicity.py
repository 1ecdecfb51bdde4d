"""The regulator console records a minor record its authority decides to publish (NDRC Order
36), with its reason, and shows the record's regime and publication; the flag without a
reason is an error on that field, the form kept as typed."""

from __future__ import annotations

from tests.pages.console_parties import page, post, record_violation, sign_in

PATH = "/console/regulator/violations/new"
REASON = "同类投诉集中，确有必要提示消费者"


def _minor(cp, **overrides) -> dict:
    from credit import clock

    return {
        "uscc": cp.owner_uscc,
        "category": "consumer_rights",
        "severity": "minor",
        "decision_number": "苏市监罚〔2026〕8811号",
        "decision_date": clock.today().isoformat(),
        "facts": "未履行七日无理由退货义务",
        "legal_basis": "《中华人民共和国消费者权益保护法》第二十五条",
        "penalty_type": "warning",
        "penalty_amount": "",
        **overrides,
    }


def test_a_minor_record_published_on_request(client, cp):
    sign_in(client, "reg-in")
    form = page(client, f"{PATH}?uscc={cp.owner_uscc}&category=consumer_rights")
    assert 'name="publish_minor"' in form and 'name="publish_minor_reason"' in form
    r = record_violation(
        client,
        _minor(cp, publish_minor="1", publish_minor_reason=REASON),
        csrf_from=f"{PATH}?uscc={cp.owner_uscc}&category=consumer_rights",
    )
    vid = r.headers["Location"].rsplit("/", 1)[-1]
    html = page(client, f"/console/regulator/violations/{vid}")
    assert f'id="publish-minor-reason">{REASON}' in html
    assert 'id="publication">' in html and 'id="rule">' in html
    public = client.get(f"/api/v1/violations/{vid}").get_json()
    assert public["status"] == "published" and public["publish_minor_reason"] == REASON


def test_the_flag_without_a_reason_is_an_error_on_that_field(client, cp):
    sign_in(client, "reg-in")
    r = post(
        client,
        PATH,
        _minor(cp, publish_minor="1"),
        status=400,
        csrf_from=f"{PATH}?uscc={cp.owner_uscc}&category=consumer_rights",
    )
    html = r.get_data(as_text=True)
    assert 'id="publish_minor_reason-error"' in html
    assert 'id="f-publish_minor" checked' in html  # kept as typed
