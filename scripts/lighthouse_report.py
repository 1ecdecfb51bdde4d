"""Run Lighthouse on the pages a consumer opens first and print a score table.

Called by scripts/lighthouse.sh (``make lighthouse``), which installs Lighthouse and makes
sure a platform answers at ``--base``. The pages: the home page, a search, the profile of
the first firm that search finds, and that firm's credit report. Lighthouse's default
profile is a phone (Moto G Power class, throttled 4G), which is what the targets are set
for. Exit status 1 when a page misses a target.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import requests

CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95}
SEARCH = "/search?q=%E5%85%AC%E5%8F%B8"  # 公司


def first_profile(base: str) -> str:
    """The profile path of the first firm the search page lists."""
    resp = requests.get(base + SEARCH, timeout=30)
    resp.raise_for_status()
    html = resp.text
    found = re.search(r'href="(/enterprises/[0-9A-Z]{18})"', html)
    if not found:
        sys.exit(f"the search page at {base}{SEARCH} lists no firm: is the demo data loaded?")
    return found.group(1)


def audit(lighthouse: str, url: str, report: Path) -> dict:
    """One Lighthouse run; the parsed JSON report."""
    # The executable is the pinned install scripts/lighthouse.sh made; the URL is an argument.
    subprocess.run(  # noqa: S603
        [
            lighthouse,
            url,
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox",
            "--only-categories=" + ",".join(CATEGORIES),
            "--output=json",
            f"--output-path={report}",
        ],
        check=True,
    )
    return json.loads(report.read_text(encoding="utf-8"))


def lost_points(result: dict, category: str) -> list[str]:
    """The weighted audits of a category that did not score full marks."""
    lost = []
    for ref in result["categories"][category]["auditRefs"]:
        item = result["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and item.get("score") is not None and item["score"] < 1:
            shown = item.get("displayValue") or ""
            lost.append(f"{ref['id']} {item['score']:.2f} {shown}".strip())
    return lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lighthouse", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    base = args.base.rstrip("/")
    if not base.startswith(("http://", "https://")):
        parser.error("--base must be an http(s) URL")
    profile = first_profile(base)
    pages = [
        ("home", "/"),
        ("search", SEARCH),
        ("profile", profile),
        ("report", profile + "/report"),
    ]
    rows, misses = [], []
    for name, path in pages:
        result = audit(args.lighthouse, base + path, args.out / f"{name}.json")
        scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
        rows.append((name, path, scores, result.get("lighthouseVersion", "?")))
        for category in CATEGORIES:
            if scores[category] < TARGETS[category]:
                misses.append(f"{name} {category} {scores[category]} < {TARGETS[category]}")
            for line in lost_points(result, category):
                print(f"  {name:8s} {category:15s} {line}")
    print()
    print(f"Lighthouse {rows[0][3]}, phone profile (default), {base}")
    print(f"{'page':8s} {'performance':>11s} {'accessibility':>13s} {'best practices':>14s}  path")
    for name, path, scores, _ in rows:
        print(
            f"{name:8s} {scores['performance']:>11d} {scores['accessibility']:>13d}"
            f" {scores['best-practices']:>14d}  {path}"
        )
    print(
        "targets: performance >= 90, accessibility >= 95, best practices >= 95;"
        f" reports in {args.out}/"
    )
    for miss in misses:
        print("BELOW TARGET:", miss)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
