"""Penalty records in the national "双公示" format: a 10,000-row import, the same file
again, and the export, on SQLite as ``make run`` sets it up.

A registry of ``--enterprises`` firms (the demo generator), one province-wide authority,
and ``--rows`` rows of the format generated from the registry (categories, penalty types
with their sums, decision dates over the past ten months). The import runs as an operator
runs it, ``flask --app wsgi credit exchange import-penalties`` (each row its own unit of
work, as POST /api/v1/violations records it; the consumers are left to the worker, as in a
deployment). Prints a table: wall time, rows per second, peak RSS. Asserts nothing.

    .venv/bin/python -m tests.bench.bench_exchange --rows 10000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from tests.bench.bench_pledges import FLASK, ROOT, _cli
from tests.bench.bench_registry import table

AUTHORITY = "江苏省市场监督管理局（基准测试）"
PENALTIES = [  # (CF_CFLB, CF_WFXW, sum column)
    ("罚款", "虚假宣传", "CF_NR_FK"),
    ("罚款", "刷单炒信", "CF_NR_FK"),
    ("没收违法所得", "售假/假冒伪劣", "CF_NR_WFFF"),
    ("警告", "未公示证照信息", None),
    ("罚款", "价格违法", "CF_NR_FK"),
    ("吊销许可证件", "食品安全", None),
]


def penalty_file(codes: list[str], rows: int, seed: int = 11) -> bytes:
    """``rows`` rows of the format for firms drawn from ``codes``, as CSV with a BOM."""
    from credit.exchange.penalties import COLUMNS

    rng = random.Random(seed)
    columns = [c.code for c in COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    today = date.today()
    for n in range(rows):
        kind, category, sum_column = PENALTIES[n % len(PENALTIES)]
        row = dict.fromkeys(columns, "")
        row.update(
            CF_XDR_SHXYM=rng.choice(codes),
            CF_WSH=f"苏市监罚〔2026〕B{n:06d}号",
            CF_WFXW=category,
            CF_SY=f"经查，当事人在网络交易中存在{category}行为，涉及商品{rng.randint(1, 500)}件",
            CF_YJ="《中华人民共和国电子商务法》第十七条",
            CF_CFLB=kind,
            CF_JDRQ=(today - timedelta(days=rng.randint(1, 300))).isoformat(),
            CF_CFJG=AUTHORITY,
        )
        if sum_column:
            row[sum_column] = f"{rng.randint(1, 500) / 100:.2f}"  # 万元
        writer.writerow([row[c] for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _timed(env: dict, *args: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the command, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [*FLASK, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 2):  # 2: some rows refused (reported)
        raise RuntimeError(done.stderr[-2000:])
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return wall, peak, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--enterprises", type=int, default=20_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="credit-bench-exchange-"))
    env = {
        **os.environ,
        "CREDIT_INSTANCE_DIR": str(work),
        "CREDIT_DATABASE_URL": f"sqlite:///{work / 'credit.db'}",
        "CREDIT_SEARCH_URL": "",
        "CREDIT_INDEX_AFTER_COMMIT": "false",
        "CREDIT_LOG_LEVEL": "WARNING",
        "TQDM_DISABLE": "1",
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        _cli(
            env,
            "demo",
            "--enterprises",
            str(args.enterprises),
            "--seed",
            "5",
            "--no-index",
            "--no-pledges",
        )
        _cli(
            env,
            "authorities",
            "create",
            "--code",
            "BENCH",
            "--name",
            AUTHORITY,
            "--jurisdiction",
            "320000",
            "--kind",
            "market_regulation",
        )
        sys.path.insert(0, str(ROOT))
        from credit.demo import generate

        codes = [r["uscc"] for r in generate(min(args.enterprises, 5000), seed=5)]
        source = work / "penalties.csv"
        source.write_bytes(penalty_file(codes, args.rows))
        out = work / "export.csv"
        runs = []
        for label, cmd in (
            (
                "import (new records)",
                ["exchange", "import-penalties", str(source), "--authority", "BENCH"],
            ),
            (
                "import again (all unchanged)",
                ["exchange", "import-penalties", str(source), "--authority", "BENCH"],
            ),
            ("export (public records, CSV)", ["exchange", "export-penalties", "-o", str(out)]),
        ):
            wall, peak, stdout = _timed(env, *cmd)
            summary = json.loads(stdout.strip().splitlines()[-1])
            n = summary["rows"]
            detail = ", ".join(f"{k} {v}" for k, v in summary.items() if k not in ("rows", "file"))
            runs.append([label, f"{n:,}", f"{wall:.1f}", f"{n / wall:.0f}", f"{peak:.0f}", detail])
        table(
            f"Penalty format (双公示) on SQLite, {args.enterprises:,} firms, {args.rows:,} rows "
            f"({source.stat().st_size / 1e6:.1f} MB CSV)",
            ["run", "rows", "seconds", "rows/s", "peak RSS MB", "outcomes"],
            runs,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
