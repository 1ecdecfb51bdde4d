"""The transparency log's store at scale (issue 21): append throughput, and the latency of
roots, inclusion and consistency proofs at the size the issue names (10,000,000 entries).

    .venv/bin/python -m tests.bench.bench_translog --entries 10000000 [--postgresql]

Entries are 120 random bytes, the size of a log entry (event type, record id, time and a
commitment). They are appended through ``credit.translog.store.append`` in transactions of
``--batch`` entries, as the worker will, on SQLite (a file) and, with ``--postgresql``, on
the PostgreSQL of ``CREDIT_TEST_DATABASE_URL`` (a database made for the run and dropped).
Each proof is verified by the independent verifier of the tests as it is timed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credit.extensions import db
from credit.translog import store
from tests.bench.bench_registry import table
from tests.translog import rfc9162

TABLES = ("log_head", "log_leaf", "log_node")


def _engine(kind: str, workdir: Path) -> tuple[sa.Engine, object]:
    if kind == "sqlite":
        engine = sa.create_engine(f"sqlite:///{workdir / 'log.db'}")
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA journal_mode=WAL")
            c.exec_driver_sql("PRAGMA synchronous=NORMAL")
        return engine, None
    url = os.environ["CREDIT_TEST_DATABASE_URL"]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"credit_log_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(sa.engine.make_url(url).set(database=name))

    def drop() -> None:
        engine.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return engine, drop


def _ms(samples: list[float]) -> list[str]:
    qs = statistics.quantiles(samples, n=100)
    return [f"{qs[49]:.2f}", f"{qs[94]:.2f}", f"{qs[98]:.2f}"]


def run(kind: str, entries: int, batch: int, probes: int) -> list[list[object]]:
    rng = random.Random(9162)
    with tempfile.TemporaryDirectory(prefix="credit-log-bench-") as tmp:
        engine, drop = _engine(kind, Path(tmp))
        try:
            db.metadata.create_all(engine, tables=[db.metadata.tables[t] for t in TABLES])
            rows: list[list[object]] = []
            appended = 0
            started = time.perf_counter()
            with Session(engine) as session:
                while appended < entries:
                    n = min(batch, entries - appended)
                    store.append(session, [rng.randbytes(120) for _ in range(n)])
                    session.commit()
                    appended += n
            took = time.perf_counter() - started
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            rows.append(
                [
                    kind,
                    "append",
                    f"{entries:,}",
                    f"{entries / took:,.0f}/s",
                    "",
                    "",
                    "",
                    f"{rss} MB",
                ]
            )
            with Session(engine) as session:
                size = store.size(session)
                root = store.root(session, size)
                leaves, incl, cons, roots = [], [], [], []
                for _ in range(probes):
                    index = rng.randrange(size)
                    t = time.perf_counter()
                    proof = store.inclusion_proof(session, index, size)
                    incl.append((time.perf_counter() - t) * 1000)
                    leaves.append(store.leaf(session, index).leaf_hash)
                    assert rfc9162.verify_inclusion(index, size, leaves[-1], proof, root)
                    first = rng.randrange(1, size)
                    t = time.perf_counter()
                    older = store.root(session, first)
                    roots.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    proof = store.consistency_proof(session, first, size)
                    cons.append((time.perf_counter() - t) * 1000)
                    assert rfc9162.verify_consistency(first, size, older, root, proof)
                for name, samples in (
                    ("inclusion proof", incl),
                    ("consistency proof", cons),
                    ("root of an older size", roots),
                ):
                    rows.append(
                        [
                            kind,
                            name,
                            f"{size:,}",
                            f"{len(samples) / (sum(samples) / 1000):,.0f}/s",
                            *_ms(samples),
                            "",
                        ]
                    )
            return rows
        finally:
            engine.dispose()
            if drop:
                drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=2_000)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    rows = run("sqlite", args.entries, args.batch, args.probes)
    if args.postgresql and os.environ.get("CREDIT_TEST_DATABASE_URL"):
        rows += run("postgresql", args.entries, args.batch, args.probes)
    table(
        f"transparency log store: {args.entries:,} entries of 120 bytes, "
        f"appended {args.batch:,} per transaction; proofs verified as timed",
        ["db", "operation", "entries", "throughput", "p50 ms", "p95 ms", "p99 ms", "max RSS"],
        rows,
    )


if __name__ == "__main__":
    main()
