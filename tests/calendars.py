"""Calendar documents for tests (``credit calendar load`` format)."""

from __future__ import annotations

import copy

from credit.workcalendar import store


def official_2027() -> dict:
    """A made-up "official" 2027 (tests only, never shipped): the statutory days with the
    National Day break stretched to 1-7 October and two make-up working days, the way a
    State Council notice usually arranges it."""
    doc = copy.deepcopy(dict(store.packaged_years()[2027].document))
    doc["status"] = "official"
    doc["source"] = {
        "title": "国务院办公厅关于2027年部分节假日安排的通知（测试用）",
        "published_on": "2026-11-01",
    }
    doc["holidays"][-1] = {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"}
    doc["makeup_workdays"] = ["2027-09-26", "2027-10-09"]
    doc.pop("notes", None)
    return doc
