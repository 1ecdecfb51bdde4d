"""The legal texts the site's /about page cites, loaded from ``credit/data/site_policy.json``.

The privacy policy and the terms of data use rest on laws; each citation is data (document,
article, what it says, whether its wording was checked), so an operator corrects a citation
without touching a template, and an unchecked one is shown as such rather than passed off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATH = Path(__file__).parent / "data" / "site_policy.json"


@dataclass(frozen=True)
class Citation:
    """One cited provision: the document and article in zh and en, what it says, checked?"""

    key: str
    document: str
    document_en: str
    article: str | None
    article_en: str | None
    says: str
    says_en: str
    verified: bool
    where: str


@cache
def citations() -> dict[str, Citation]:
    """Every citation by key; a malformed file fails loudly (at start-up in the tests)."""
    data = json.loads(PATH.read_text(encoding="utf-8"))
    out: dict[str, Citation] = {}
    for key, row in data["citations"].items():
        citation = Citation(key=key, **row)
        if not citation.verified and citation.article:
            # An unchecked article number would read as a fact: leave it out instead.
            raise ValueError(f"{key}: an unverified citation must not name an article")
        out[key] = citation
    return out
