"""The change-feed worker: ``flask --app wsgi credit worker``.

One process runs every registered consumer (ratings, the search indexer, any later one)
and the time-driven sweeps (credit/sweeps.py); web processes only commit rows and their
change events. Several workers may run, on several hosts:

- **Leases** (credit/leases.py). A heartbeat thread takes or renews, every third of
  ``CREDIT_WORKER_LEASE_SECONDS``, the lease of each consumer and of the sweeps. The main
  loop runs a consumer only while its lease is held (counted from before the renewal that
  granted it, so a worker cut off from the database stops before another may take over).
  When a worker dies its leases expire and another worker takes them within the lease
  time. The cursor compare-and-set still guards correctness: a batch is recorded once.
- **Wake-ups.** On PostgreSQL every transaction that appends events also issues
  ``NOTIFY credit_changes`` (credit/uow.py), delivered at commit; the worker ``LISTEN``s on
  a connection of its own and wakes within milliseconds. When that connection drops it
  polls, and reconnects. On SQLite it polls ``max(change_event.id)`` every
  ``CREDIT_WORKER_POLL_SECONDS``.
- **Open data.** With ``open_data_dir`` set (the CLI sets CREDIT_OPEN_DATA_DIR), the
  worker holding the ``open-data`` lease builds today's snapshot (credit/opendata/) when
  it is missing, in a thread of its own; it looks every ``OPEN_DATA_CHECK_SECONDS``.
- **Sweeps.** The worker holding the ``sweep`` lease runs them every
  ``CREDIT_WORKER_SWEEP_SECONDS``, in a thread of their own, beside the deliveries.
- **Webhooks.** The worker holding the ``webhooks-sender`` lease POSTs the deliveries that
  are due, in a thread of its own (credit/webhooks/sender.py); the ``webhooks`` consumer
  queues them from the change feed like any other consumer.
- **Search warming.** With ``search_warm`` set (the CLI sets it when the search backend is
  Elasticsearch: search/warming.py), the worker holding the ``search-warm`` lease asks
  every ``search_warm_seconds`` whether a node of the cluster started since it last
  looked, and if one did, searches the serving indices as a rebuild does before its swap.
- **Log checkpoints.** The worker holding the ``log-checkpoint`` lease signs a checkpoint
  of the transparency log every ``CREDIT_LOG_CHECKPOINT_SECONDS`` while it grows
  (credit/translog/); the ``transparency-log`` consumer appends the entries.
- **Shutdown.** SIGTERM or SIGINT: the batch in hand is finished and committed, the leases
  are released at once (another worker takes over without waiting for them to expire),
  and the process exits 0.
- **Logs.** One line per delivered batch: consumer, event range, count, holder.

Runs inside an application context (the CLI gives one): consumers use ``db.session``.
"""

from __future__ import annotations

import functools
import logging
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from credit import changes, clock, leases, sweeps, uow
from credit.errors import Conflict, PreconditionFailed
from credit.exchange import jobs
from credit.extensions import db
from credit.opendata import snapshots
from credit.translog import service as log_service
from credit.translog.notes import Signer
from credit.uow import CHANGES_CHANNEL
from credit.webhooks import sender
from credit.webhooks.sender import SenderSettings

log = logging.getLogger(__name__)

#: Longest a wait lasts before the worker looks again (new leases, a stop request, and a
#: NOTIFY lost with a dropped connection).
MAX_WAIT = 1.0
#: The lease of the log's checkpoint signer (credit/translog/service.py).
CHECKPOINT_LEASE = "log-checkpoint"
#: The lease of the daily open-data build, and how often its holder looks for today's.
OPEN_DATA_LEASE = "open-data"
OPEN_DATA_CHECK_SECONDS = 60.0
#: The lease of the search warmer (``WorkerSettings.search_warm``).
SEARCH_WARM_LEASE = "search-warm"


@dataclass
class WorkerSettings:
    lease_seconds: float = 10.0
    poll_seconds: float = 0.05
    sweep_seconds: float = 600.0
    #: Where the daily open-data snapshots go (None: this worker builds none).
    open_data_dir: str | None = None
    open_data_keep: int = 7
    #: The webhook sender's settings; None: this worker sends no webhooks.
    webhooks: SenderSettings | None = None
    #: The transparency log's signing keys; None: this worker signs no checkpoints.
    log_signers: Sequence[Signer] | None = None
    checkpoint_seconds: float = 30.0
    #: Warms the search engine when one of its nodes has started (returns what it did, or
    #: None when nothing started); None: this worker warms nothing.
    search_warm: Callable[[], dict | None] | None = None
    search_warm_seconds: float = 30.0


class _Waiter:
    """Blocks until new change events may have been committed, or a timeout passes."""

    def wait(self, timeout: float, interrupt: threading.Event) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Poller(_Waiter):
    """SQLite (or PostgreSQL while LISTEN is down): a cheap ``max(id)`` every ``interval``."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self.last: int | None = None

    def _high_water(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.max(changes.ChangeEvent.id)))

    def wait(self, timeout: float, interrupt: threading.Event) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            try:
                top = self._high_water()
            except sa.exc.DBAPIError:
                log.warning("worker: change_event poll failed; retrying", exc_info=True)
                top = self.last
            if top != self.last:
                self.last = top
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or interrupt.wait(min(self.interval, remaining)):
                return False


class _Listener(_Waiter):
    """PostgreSQL: ``LISTEN credit_changes`` on a dedicated autocommit connection; polls
    (and tries to reconnect every few seconds) while that connection is down."""

    RECONNECT_SECONDS = 2.0

    def __init__(self, engine: Engine, poll_interval: float) -> None:
        self.engine = engine
        self.poller = _Poller(engine, poll_interval)
        self.conn = None
        self.next_attempt = 0.0

    def _connect(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        self.conn.execute(f"LISTEN {CHANGES_CHANNEL}")
        log.info("worker: listening for commits on channel %s", CHANGES_CHANNEL)

    def wait(self, timeout: float, interrupt: threading.Event) -> bool:
        if self.conn is None and time.monotonic() >= self.next_attempt:
            try:
                self._connect()
                return True  # anything committed while we were not listening
            except Exception as exc:
                self.conn = None
                self.next_attempt = time.monotonic() + self.RECONNECT_SECONDS
                log.warning("worker: cannot LISTEN (%s); polling meanwhile", exc)
        if self.conn is None:
            return self.poller.wait(timeout, interrupt)
        deadline = time.monotonic() + timeout
        try:
            while not interrupt.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Short slices, so a stop request or a new lease is seen promptly.
                ready, _, _ = select.select([self.conn.fileno()], [], [], min(remaining, 0.25))
                if ready:
                    woke = False
                    for _ in self.conn.notifies(timeout=0, stop_after=1000):
                        woke = True
                    if woke:
                        return True
                    self.conn.execute("SELECT 1")  # a dead socket raises here
            return False
        except Exception as exc:
            log.warning("worker: the LISTEN connection dropped (%s); reconnecting", exc)
            self.close()
            self.next_attempt = time.monotonic()
            return True

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception as exc:  # already broken: nothing more to do
                log.debug("closing the LISTEN connection: %s", exc)
            self.conn = None


class Worker:
    """Runs the registered consumers of ``engine`` and the sweeps under leases."""

    def __init__(
        self,
        engine: Engine,
        settings: WorkerSettings,
        holder: str | None = None,
        sweep: Callable[[threading.Event], int] | None = None,
        context: Callable[[], AbstractContextManager] | None = None,
    ) -> None:
        """``context``: makes the context the consumers run in (the Flask app's
        ``app_context``); given, the sweeps run in a thread of their own in one, so a long
        sweep never holds up deliveries, and a long one gives way to them (each step waits
        for the last one's events to be delivered). Without it they run between batches.
        ``sweep``: what a sweep runs (default ``credit.sweeps.sweep``)."""
        self.engine = engine
        self.settings = settings
        self.holder = holder or leases.new_holder_id()
        self.kick = threading.Event()  # a lease was just taken, or a sweep step committed
        self.sweep = sweep or functools.partial(
            sweeps.sweep, give_way=context is not None, on_step=self.kick.set
        )
        self.context = context
        self.stop = threading.Event()
        self._valid_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._last_sweep = float("-inf")
        if engine.dialect.name == "postgresql":
            self.waiter: _Waiter = _Listener(engine, max(settings.poll_seconds, 0.5))
        else:
            self.waiter = _Poller(engine, settings.poll_seconds)

    # -- leases --------------------------------------------------------------------------

    def lease_names(self) -> list[str]:
        names = [c.name for c in changes.registered(self.engine)] + [sweeps.LEASE_NAME]
        if self.context is None:
            return names
        names.append(jobs.LEASE_NAME)
        names += [OPEN_DATA_LEASE] if self.settings.open_data_dir else []
        names += [CHECKPOINT_LEASE] if self.settings.log_signers else []
        names += [SEARCH_WARM_LEASE] if self.settings.search_warm is not None else []
        return names + ([sender.LEASE_NAME] if self.settings.webhooks is not None else [])

    def holds(self, name: str) -> bool:
        with self._lock:
            return self._valid_until.get(name, 0.0) > time.monotonic()

    def renew_leases(self) -> None:
        """Take or renew every lease once (the heartbeat calls this)."""
        ttl = self.settings.lease_seconds
        for name in self.lease_names():
            started = time.monotonic()
            try:
                held = leases.acquire(self.engine, name, self.holder, ttl)
            except Exception as exc:
                log.warning("worker %s: cannot renew lease %s (%s)", self.holder, name, exc)
                continue  # it lapses on its own when its time is up
            with self._lock:
                had = self._valid_until.get(name, 0.0) > started
                if held:
                    self._valid_until[name] = started + ttl
                else:
                    self._valid_until.pop(name, None)
            if held and not had:
                log.info("worker %s took the lease of %s", self.holder, name)
                self.kick.set()
            elif had and not held:
                log.warning("worker %s lost the lease of %s", self.holder, name)

    def release_leases(self) -> None:
        with self._lock:
            names = list(self._valid_until)
            self._valid_until.clear()
        for name in names:
            try:
                leases.release(self.engine, name, self.holder)
                log.info("worker %s released the lease of %s", self.holder, name)
            except Exception as exc:
                log.warning("worker %s: cannot release lease %s (%s)", self.holder, name, exc)

    def _heartbeat(self) -> None:
        interval = self.settings.lease_seconds / 3
        while True:
            self.renew_leases()
            if self.stop.wait(interval):
                return

    # -- work ----------------------------------------------------------------------------

    def _batch_done(self, name: str, first: int, last: int, count: int) -> None:
        log.info(
            "worker %s: consumer %s delivered events %d-%d (%d events)",
            self.holder,
            name,
            first,
            last,
            count,
        )

    def run_once(self) -> int:
        """One round: a batch for each consumer held, and the sweep when due. Returns how
        many events were delivered."""
        delivered = 0
        for consumer in changes.registered(self.engine):
            if self.stop.is_set() or not self.holds(consumer.name):
                continue
            try:
                delivered += changes.run_consumer(
                    db.session, consumer, max_batches=1, on_batch=self._batch_done
                )
            except Exception:
                db.session.rollback()
                log.exception(
                    "worker %s: consumer %s failed; it retries from its cursor",
                    self.holder,
                    consumer.name,
                )
                self.stop.wait(1.0)  # the service behind it may be down: do not spin
            finally:
                db.session.remove()
        if self.context is None and self.holds(sweeps.LEASE_NAME) and not self.stop.is_set():
            self._maybe_sweep()
        return delivered

    def _sweeper(self) -> None:
        """The sweeps' own thread (with ``context``): whenever this worker holds the
        ``sweep`` lease and a sweep is due."""
        assert self.context is not None
        while not self.stop.wait(0.5):
            if self.holds(sweeps.LEASE_NAME):
                with self.context():
                    self._maybe_sweep()

    def _jobs(self) -> None:
        """The import jobs' own thread (with ``context``): whenever this worker holds the
        ``exchange-jobs`` lease, the oldest unfinished job (credit/exchange/jobs.py)."""
        assert self.context is not None
        while not self.stop.wait(0.5):
            while self.holds(jobs.LEASE_NAME) and not self.stop.is_set():
                with self.context():
                    try:
                        if not jobs.run_next_job(self.stop):
                            break
                    except Exception:
                        log.exception("worker %s: import job failed; retrying", self.holder)
                        self.stop.wait(5.0)
                    finally:
                        db.session.rollback()
                        db.session.remove()

    def _open_data(self) -> None:
        """The open-data thread (with ``context`` and ``open_data_dir``): whenever this
        worker holds the ``open-data`` lease and today's snapshot is missing, build it."""
        assert self.context is not None and self.settings.open_data_dir
        root = Path(self.settings.open_data_dir)
        wait = 0.5
        while not self.stop.wait(wait):
            wait = 0.5
            if not self.holds(OPEN_DATA_LEASE):
                continue
            wait = OPEN_DATA_CHECK_SECONDS
            if snapshots.has_snapshot(root, clock.today()):
                continue
            with self.context():
                try:
                    manifest = snapshots.build_snapshot(
                        root, keep=self.settings.open_data_keep, stop=self.stop
                    )
                    log.info(
                        "worker %s: open-data snapshot %s built (%s)",
                        self.holder,
                        manifest["date"],
                        ", ".join(f"{d['name']} {d['rows']}" for d in manifest["datasets"]),
                    )
                except snapshots.BuildStopped:
                    log.info("worker %s: open-data build abandoned on stop", self.holder)
                except Exception:
                    log.exception("worker %s: open-data build failed; retrying", self.holder)
                finally:
                    db.session.rollback()
                    db.session.remove()

    def _checkpoints(self) -> None:
        """The checkpoint signer's thread (with ``context`` and ``log_signers``): while this
        worker holds the ``log-checkpoint`` lease, sign a checkpoint every
        ``checkpoint_seconds`` when the log grew since the last one."""
        assert self.context is not None and self.settings.log_signers
        wait = 0.5
        while not self.stop.wait(wait):
            wait = 0.5
            if not self.holds(CHECKPOINT_LEASE):
                continue
            wait = self.settings.checkpoint_seconds
            with self.context():
                try:
                    signed = log_service.sign_checkpoint(db.session, self.settings.log_signers)
                    db.session.commit()
                    if signed is not None:
                        log.info("worker %s: log checkpoint at size %d", self.holder, signed.size)
                except Exception:
                    log.exception("worker %s: signing a log checkpoint failed", self.holder)
                    wait = min(wait, 5.0)
                finally:
                    db.session.rollback()
                    db.session.remove()

    def _search_warm(self) -> None:
        """The search warmer's thread (with ``context`` and ``search_warm``): while this
        worker holds the ``search-warm`` lease, every ``search_warm_seconds``. A search
        engine that does not answer is asked again at the next look."""
        assert self.context is not None and self.settings.search_warm is not None
        wait = 0.5
        while not self.stop.wait(wait):
            wait = 0.5
            if not self.holds(SEARCH_WARM_LEASE):
                continue
            wait = self.settings.search_warm_seconds
            try:
                warmed = self.settings.search_warm()
            except Exception as exc:
                log.warning("worker %s: search warming failed (%s)", self.holder, exc)
                continue
            if warmed is not None:
                log.info("worker %s: search warmed after a node started: %s", self.holder, warmed)

    def _webhooks(self) -> None:
        """The webhook sender's own thread (with ``context`` and webhook settings): while
        this worker holds the ``webhooks-sender`` lease, the deliveries that are due
        (credit/webhooks/sender.py); it looks again every half second."""
        assert self.context is not None and self.settings.webhooks is not None
        settings = self.settings.webhooks

        def keep_going() -> bool:
            return self.holds(sender.LEASE_NAME) and not self.stop.is_set()

        while not self.stop.wait(0.5):
            while keep_going():
                with self.context():
                    try:
                        if not sender.send_due(db.session, settings, keep_going):
                            break
                    except Exception:
                        log.exception("worker %s: webhook sending failed; retrying", self.holder)
                        self.stop.wait(5.0)
                    finally:
                        db.session.rollback()
                        db.session.remove()

    def _maybe_sweep(self) -> None:
        if time.monotonic() - self._last_sweep < self.settings.sweep_seconds:
            return
        try:
            changed = self.sweep(self.stop)  # a stop ends it after the step in hand
            self._last_sweep = time.monotonic()
            log.info("worker %s: sweep recorded %d changes", self.holder, changed)
        except (PreconditionFailed, Conflict):
            log.info("worker %s: sweep met a concurrent write; retrying", self.holder)
        except Exception:
            self._last_sweep = time.monotonic()  # retried a sweep interval later
            log.exception("worker %s: sweep failed", self.holder)
        finally:
            db.session.rollback()
            db.session.remove()

    def run(self, install_signals: bool = True) -> None:
        """Work until ``stop`` is set (SIGTERM/SIGINT when ``install_signals``)."""
        uow.clear_after_commit_hooks(self.engine)  # consumers run here, under leases only
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop.set())
        log.info(
            "worker %s starting: consumers %s, lease %.1f s, wake-ups by %s",
            self.holder,
            ", ".join(c.name for c in changes.registered(self.engine)) or "-",
            self.settings.lease_seconds,
            "LISTEN/NOTIFY" if isinstance(self.waiter, _Listener) else "polling",
        )
        heartbeat = threading.Thread(target=self._heartbeat, name="lease-heartbeat", daemon=True)
        heartbeat.start()
        sweeper = importer = publisher = hooks = signer = warmer = None
        if self.context is not None:
            sweeper = threading.Thread(target=self._sweeper, name="sweeps", daemon=True)
            sweeper.start()
            importer = threading.Thread(target=self._jobs, name="import-jobs", daemon=True)
            importer.start()
            if self.settings.open_data_dir:
                publisher = threading.Thread(target=self._open_data, name="open-data", daemon=True)
                publisher.start()
            if self.settings.webhooks is not None:
                hooks = threading.Thread(target=self._webhooks, name="webhooks", daemon=True)
                hooks.start()
            if self.settings.log_signers:
                signer = threading.Thread(
                    target=self._checkpoints, name="log-checkpoints", daemon=True
                )
                signer.start()
            if self.settings.search_warm is not None:
                warmer = threading.Thread(target=self._search_warm, name="search-warm", daemon=True)
                warmer.start()
        try:
            while not self.stop.is_set():
                if self.run_once() > 0:
                    continue  # more may be waiting: no sleep while there is a backlog
                if self.kick.is_set():
                    self.kick.clear()
                    continue
                self.waiter.wait(MAX_WAIT, self._interrupt())
        finally:
            self.stop.set()
            heartbeat.join(timeout=self.settings.lease_seconds)
            if sweeper is not None:
                sweeper.join(timeout=60)  # a sweep in hand commits its chunk first
            if importer is not None:
                importer.join(timeout=60)  # a job in hand records its step first
            if publisher is not None:
                publisher.join(timeout=60)  # a build in hand stops at its next row
            if hooks is not None:
                hooks.join(timeout=60)  # an attempt in hand is recorded first
            if signer is not None:
                signer.join(timeout=60)  # a checkpoint in hand is committed first
            if warmer is not None:
                warmer.join(timeout=5)  # searches only: nothing to finish
            self.release_leases()
            self.waiter.close()
            log.info("worker %s stopped", self.holder)

    def _interrupt(self) -> threading.Event:
        """An event set by a stop request or a newly taken lease."""
        if self.stop.is_set():
            return self.stop
        return _Either(self.stop, self.kick)


class _Either(threading.Event):
    """Set when either of two events is (checked on each wait slice)."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        super().__init__()
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or self.b.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            remaining = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if remaining <= 0:
                return False
            time.sleep(remaining)
        return True


def report(session: Session | None = None) -> dict[str, dict]:
    """For ``/readyz``: each consumer's holder, lease expiry, whether the lease has lapsed
    and its backlog (events committed and not yet delivered), and the sweep lease. A
    stopped worker shows as a lapsed lease and a growing backlog."""
    session = db.session if session is None else session
    engine = session.get_bind()
    with engine.connect() as conn:
        states = leases.states(conn)
    out: dict[str, dict] = {}
    for name in [c.name for c in changes.registered(engine)] + [sweeps.LEASE_NAME]:
        state = states.get(name)
        entry: dict = {
            "holder": state.holder if state and not state.expired else None,
            "lease_expires_at": state.expires_at.isoformat() if state else None,
            "lease_expired": state is None or state.expired,
        }
        if name != sweeps.LEASE_NAME:
            entry["backlog"] = changes.backlog(session, name)
        out[name] = entry
    return out
