"""Every public service function checks permission first: a denied identity gets
PermissionDenied before anything happens. New service functions must be listed here."""

from __future__ import annotations

import inspect

import pytest

from credit import failed_events, seal
from credit.accounts import service as accounts
from credit.enterprises import service as enterprises
from credit.errors import PermissionDenied
from credit.exchange import penalties, penalty_import
from credit.identity import ANONYMOUS, Identity, IdentityKind
from credit.keyfirms import service as keyfirms
from credit.organisations import campaigns, referrals
from credit.organisations import service as organisations
from credit.pledges import service as pledges
from credit.ratings import service as ratings
from credit.reports import service as reports
from credit.uow import unit_of_work
from credit.violations import overview, registry, workflow
from credit.violations import service as violations
from credit.webhooks import moments
from credit.webhooks import service as webhooks
from credit.workcalendar import service as calendar

ENTERPRISE = Identity(
    IdentityKind.ENTERPRISE,
    "client:x",
    enterprise_id="nobody",
    scopes=frozenset({"enterprises:write", "enterprises:read"}),
)
REGULATOR = Identity(
    IdentityKind.REGULATOR,
    "client:y",
    authority_id="a",
    scopes=frozenset({"violations:write"}),
    jurisdiction=frozenset({"320000"}),
)

# Functions anyone may call (public registry reads).
PUBLIC = {
    "enterprises.get_enterprise",
    "enterprises.list_enterprises",
    "enterprises.check_uscc",
    "enterprises.count_enterprises",
    "pledges.list_templates",
    "pledges.get_template",
    "pledges.get_pledge",
    "pledges.list_pledges",
    "pledges.list_enterprise_pledges",
    "violations.get_violation",
    "violations.list_violations",
    "violations.list_enterprise_violations",
    "registry.enterprise_standing",
    "ratings.get_rating",
    "ratings.rating_history",
    "ratings.rating_trend",
    "ratings.explain_rating",
    "ratings.list_models",
    "registry.public_statistics",
    "reports.build_profile",
    "pledges.latest_pledges",
    "violations.latest_violations",
    "reports.issue_report",
    "reports.get_report",
    "reports.verify_report",
    "calendar.list_calendar_years",
    "calendar.get_calendar_year",
    "calendar.compute_deadline",
    "seal.seal_standing",
    "seal.get_seal_rules",
    "keyfirms.list_key_enterprises",
    "keyfirms.public_categories",
    "organisations.list_organisations",
    "organisations.get_organisation",
    "organisations.current_convention",
    "organisations.convention_versions",
    "organisations.get_convention",
    "organisations.public_memberships",
    "campaigns.list_campaigns",
    "campaigns.get_campaign",
    "campaigns.campaign_figures",
    "campaigns.public_campaigns",
    "penalties.export_penalties",
    "penalties.count_public_penalties",
}
MODULES = {
    "enterprises": enterprises,
    "accounts": accounts,
    "pledges": pledges,
    "violations": violations,
    "workflow": workflow,
    "overview": overview,
    "registry": registry,
    "ratings": ratings,
    "reports": reports,
    "failed_events": failed_events,
    "calendar": calendar,
    "seal": seal,
    "keyfirms": keyfirms,
    "organisations": organisations,
    "campaigns": campaigns,
    "referrals": referrals,
    "penalties": penalties,
    "penalty_import": penalty_import,
    "webhooks": webhooks,
    "moments": moments,
}

# Functions that take a uow: called with these keyword arguments.
DENIED = {
    "enterprises.import_enterprises": {"records": []},
    "accounts.create_authority": {"code": "X", "name": "x", "jurisdiction": ["320000"]},
    "accounts.create_client": {"kind": "enterprise", "name": "x", "scope_list": []},
    "accounts.disable_client": {"client_id": "jsc_x"},
    "accounts.rotate_client_secret": {"client_id": "jsc_x"},
    "accounts.register_console_client": {
        "client_id": "jsc_console",
        "name": "x",
        "redirect_uris": ["https://x.example/cb"],
    },
    "accounts.create_user": {
        "username": "u",
        "password": "p" * 12,
        "kind": "operator",
        "display_name": "x",
        "scope_list": [],
    },
    "accounts.set_password": {"username": "u", "password": "p" * 12},
    "accounts.disable_user": {"username": "u"},
    "pledges.create_template": {"data": {}},
    "pledges.publish_template": {"template_id": "x"},
    "pledges.seed_templates": {},
    "pledges.grant_mandates": {"platform_code": "x", "merchant_codes": []},
    "pledges.expire_due_pledges": {},
    "violations.end_due_publicity": {},
    "violations.recompute_windows": {},
    "accounts.set_authority_kind": {"code": "X", "kind": "other"},
    "accounts.set_authority_uscc": {"code": "X", "uscc_code": "11320000524717547G"},
    "calendar.load_calendar_year": {"doc": {}},
    "ratings.publish_model": {"document": b"{}"},
    "keyfirms.add_listing": {"data": {"uscc": "x", "category": "platform_operator"}},
    "keyfirms.remove_listing": {"listing_id": "x", "reason": "移出"},
    "keyfirms.upload_listings": {"text": None},
    "keyfirms.send_reminders": {"data": {}},
    "keyfirms.record_due_listings": {},
    "organisations.ensure_self_discipline_template": {},
    "organisations.create_organisation": {"data": {}},
    "organisations.draft_convention": {"data": {}},
    "organisations.replace_draft_convention": {
        "convention_id": "x",
        "data": {},
        "expected_version": 1,
    },
    "organisations.publish_convention": {"convention_id": "x", "expected_version": 1},
    "organisations.invite_member": {"data": {"uscc": "x"}},
    "campaigns.create_campaign": {"data": {}},
    "campaigns.join_campaign": {"campaign_id": "x"},
    "campaigns.file_campaign_pledge": {"campaign_id": "x", "data": {}},
    "referrals.refer_breach": {"data": {}},
    "webhooks.create_endpoint": {
        "data": {"url": "https://hooks.example.com/", "event_types": ["grade.changed"]},
        "allow_hosts": frozenset(),
    },
    "webhooks.update_endpoint": {
        "endpoint_id": "x",
        "data": {},
        "expected_version": 1,
        "allow_hosts": frozenset(),
    },
    "webhooks.delete_endpoint": {"endpoint_id": "x"},
    "moments.record_due_listing_moments": {},
    "webhooks.redeliver": {"endpoint_id": "x", "delivery_id": "y"},
    "pledges.record_breach": {
        "pledge_id": "x",
        "clause_code": "C01",
        "violation_id": "v",
        "decided_on": None,
    },
}
# Operator jobs without a caller's unit of work: called with these keyword arguments.
DENIED_JOBS = {
    "ratings.rescore_enterprises": {"codes": []},
    "ratings.sweep_stale_ratings": {},
    "failed_events.list_failed_events": {},
    "failed_events.retry_failed_event": {"failed_id": 1},
    "failed_events.retry_all": {},
    "keyfirms.listing_history": {},
    "keyfirms.listing_history_page": {},
    "keyfirms.scheduled_listings": {},
    "keyfirms.department_coverage": {},
    "keyfirms.what_is_asked": {},
    "organisations.own_organisation": {},
    "organisations.list_members": {},
    "referrals.competent_authorities": {},
    "organisations.my_memberships": {},
    "campaigns.my_campaigns": {},
    "penalty_import.import_rows": {"rows": []},
    "webhooks.list_endpoints": {},
    "webhooks.get_endpoint": {"endpoint_id": "x"},
    "webhooks.list_deliveries": {"endpoint_id": "x", "page": 1, "size": 20},
}
# Reads that are not public, and object-level writes: checked on a real object below.
OBJECT_LEVEL = {
    "enterprises.get_enterprise_contact",
    "enterprises.update_enterprise_profile",
    "enterprises.profile_changes",
    "accounts.list_clients",
    "pledges.create_pledge",
    "pledges.update_draft",
    "pledges.publish_pledge",
    "pledges.amend_pledge",
    "pledges.withdraw_pledge",
    "pledges.file_for_merchant",
    "pledges.file_batch",
    "violations.record_violation",
    "violations.preview_violation",
    "violations.competent_authorities",
    "violations.revoke_violation",
    "workflow.file_objection",
    "workflow.get_objection",
    "workflow.decide_objection",
    "workflow.apply_for_repair",
    "workflow.get_repair",
    "workflow.decide_repair",
    "workflow.authority_queue",
    "workflow.extend_objection",
    # The regulator's overview of its jurisdiction (regulators bound to an authority).
    "overview.jurisdiction_overview",
    "overview.search_records",
    "overview.export_records",
    "registry.correct_violation",
    "registry.list_on_serious_list",
    "registry.remove_from_serious_list",
    "registry.list_authority_listings",
    "registry.commend",
    "registry.statistics",
    "enterprises.get_own_enterprise",
    "violations.list_authority_violations",
    "workflow.enterprise_cases",
    "violations.get_publicity_rules",
    # Organisations: object-level rules (tests/organisations/test_domain.py and the
    # access matrix tests/security/test_organisation_access.py try each on real objects).
    "organisations.acting_organisation",
    "organisations.get_membership",
    "organisations.confirm_membership",
    "organisations.decline_membership",
    "organisations.end_membership",
    "campaigns.campaign_coverage",
    "referrals.get_referral",
    "referrals.list_referrals",
    "referrals.decide_referral",
}


def _service_functions() -> set[str]:
    names = set()
    for label, module in MODULES.items():
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = list(inspect.signature(fn).parameters)
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and params
                and params[0] == "identity"
            ):
                names.add(f"{label}.{name}")
    return names


def test_every_service_function_is_classified() -> None:
    assert _service_functions() == PUBLIC | set(DENIED) | set(DENIED_JOBS) | OBJECT_LEVEL


@pytest.mark.parametrize("name", sorted(DENIED_JOBS))
@pytest.mark.parametrize(
    "identity", [ANONYMOUS, ENTERPRISE, REGULATOR], ids=["anonymous", "enterprise", "regulator"]
)
def test_denied_identity_cannot_run_jobs(app_ctx, name: str, identity) -> None:
    label, fn_name = name.split(".")
    with pytest.raises(PermissionDenied):
        getattr(MODULES[label], fn_name)(identity, **DENIED_JOBS[name])


@pytest.mark.parametrize("name", sorted(DENIED))
@pytest.mark.parametrize(
    "identity", [ANONYMOUS, ENTERPRISE, REGULATOR], ids=["anonymous", "enterprise", "regulator"]
)
def test_denied_identity_gets_permission_denied(app_ctx, name: str, identity) -> None:
    label, fn_name = name.split(".")
    fn = getattr(MODULES[label], fn_name)
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        fn(identity, uow, **DENIED[name])


def test_object_level_functions(app_ctx) -> None:
    from tests.helpers import import_records, sample_records

    rec = sample_records(1)[0]
    import_records([rec])
    with pytest.raises(PermissionDenied):
        accounts.list_clients(ENTERPRISE)
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        enterprises.update_enterprise_profile(
            ENTERPRISE, uow, rec["uscc"], {"customer_service_email": "a@b.cn"}, 1
        )
    from credit.errors import NotFound

    with pytest.raises(NotFound):  # not public: denied as if it did not exist
        enterprises.get_enterprise_contact(ENTERPRISE, rec["uscc"])
    with pytest.raises(NotFound):  # another firm's audit trail: as if it did not exist
        enterprises.profile_changes(ENTERPRISE, rec["uscc"])
    # Only regulators see statistics or commend.
    with pytest.raises(PermissionDenied):
        registry.statistics(ENTERPRISE)
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        registry.commend(ENTERPRISE, uow, {"uscc": rec["uscc"]})
    # The consoles' lists: an enterprise's own, an authority's own.
    for fn in (enterprises.get_own_enterprise, workflow.enterprise_cases):
        for denied in (ANONYMOUS, REGULATOR):
            with pytest.raises(PermissionDenied):
                fn(denied)
    for denied in (ANONYMOUS, ENTERPRISE):
        with pytest.raises(PermissionDenied):
            violations.list_authority_violations(denied)
    # Only regulators have review queues.
    with pytest.raises(PermissionDenied):
        workflow.authority_queue(ENTERPRISE, "objections")
    # Only regulators are told which authorities cover a firm (the violation form's refusal).
    from credit.enterprises.service import get_enterprise

    for denied in (ANONYMOUS, ENTERPRISE):
        with pytest.raises(PermissionDenied):
            violations.competent_authorities(denied, get_enterprise(ANONYMOUS, rec["uscc"]))
    # Only regulators record violations, or preview one.
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        violations.record_violation(ENTERPRISE, uow, {"uscc": rec["uscc"]})
    for denied in (ANONYMOUS, ENTERPRISE):
        with pytest.raises(PermissionDenied):
            violations.preview_violation(denied, {"uscc": rec["uscc"]})
    # Only a regulator of an authority has an overview of its jurisdiction.
    unbound = Identity(IdentityKind.REGULATOR, "r", jurisdiction=frozenset({"320000"}))
    for denied in (ANONYMOUS, ENTERPRISE, unbound):
        with pytest.raises(PermissionDenied):
            overview.jurisdiction_overview(denied)
        with pytest.raises(PermissionDenied):
            overview.search_records(denied, {})
        with pytest.raises(PermissionDenied):
            overview.export_records(denied, {})
    # Regulators and the anonymous public cannot file pledges (object-level: kind).
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        pledges.create_pledge(REGULATOR, uow, {"template_id": "x"})
    with pytest.raises(PermissionDenied), unit_of_work() as uow:
        pledges.file_for_merchant(ANONYMOUS, uow, rec["uscc"], {}, True)
    with pytest.raises(PermissionDenied):
        pledges.file_batch(REGULATOR, [])
    outside = Identity(IdentityKind.REGULATOR, "r", jurisdiction=frozenset({"321300"}))
    if rec["city_code"] != "321300":
        with pytest.raises(NotFound):
            enterprises.get_enterprise_contact(outside, rec["uscc"])
