"""Who runs the site: ``/about`` (operator, contact, privacy policy, terms of data use,
filing numbers) and the identifiers every page's footer shows.

Everything an operator must fill in comes from the settings table (``CREDIT_SITE_*`` in
credit/config.py); an empty value is said plainly ("演示环境，未备案 / demo, not filed")
rather than replaced by a made-up number. The laws the policy cites are data
(credit/data/site_policy.json, through credit.site_policy), each marked checked or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template

from api import urls
from api.auth import public
from api.pages.public import bp
from credit.site_policy import citations

#: The MIIT filing lookup every ICP number links to (工信部 ICP/IP 地址/域名信息备案管理系统).
ICP_LOOKUP = "https://beian.miit.gov.cn/"
#: The public-security filing lookup; the filing's digits go in ``code``.
PSB_LOOKUP = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"


@dataclass(frozen=True)
class Filing:
    """One identifier of the footer: its value (empty: none) and where it can be checked."""

    value: str
    link: str | None


@dataclass(frozen=True)
class Site:
    """What the footer and /about say about the site, read from the settings."""

    operator: str
    operator_en: str
    address: str
    phone: str
    email: str
    id_code: str
    icp: Filing
    psb: Filing
    log_months: int


def site() -> Site:
    """The configured identity of the site (``CREDIT_SITE_*``)."""
    c = current_app.config
    icp = c["CREDIT_SITE_ICP_FILING"]
    psb = c["CREDIT_SITE_PSB_FILING"]
    psb_digits = "".join(re.findall(r"\d", psb))
    return Site(
        operator=c["CREDIT_SITE_OPERATOR"],
        operator_en=c["CREDIT_SITE_OPERATOR_EN"] or c["CREDIT_SITE_OPERATOR"],
        address=c["CREDIT_SITE_CONTACT_ADDRESS"],
        phone=c["CREDIT_SITE_CONTACT_PHONE"],
        email=c["CREDIT_SITE_CONTACT_EMAIL"],
        id_code=c["CREDIT_SITE_ID_CODE"],
        icp=Filing(icp, ICP_LOOKUP if icp else None),
        psb=Filing(psb, PSB_LOOKUP.format(code=psb_digits) if psb_digits else None),
        log_months=c["CREDIT_SITE_LOG_RETENTION_MONTHS"],
    )


@bp.app_context_processor
def _site_identity() -> dict[str, Any]:
    """Every page's footer (layout.html) shows the operator and the filing numbers."""
    return {"site": site()}


@bp.get("/about")
@public
def about():
    return render_template(
        "public/about.html",
        cite=citations(),
        canonical=urls.external_url("pages.about"),
    )
