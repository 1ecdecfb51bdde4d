"""The real server answers as deployed: gunicorn with deploy/gunicorn.conf.py."""

from __future__ import annotations


def test_server_serves_health_and_the_openapi_document(live) -> None:
    assert live.get("/healthz").json() == {"status": "ok"}
    doc = live.get("/api/v1/openapi.json")
    assert doc.status_code == 200 and doc.json()["openapi"].startswith("3.")


def test_each_worker_answers(live) -> None:
    """Both workers booted and serve (connections land on either)."""
    assert len(live.server.worker_pids()) == 2
    statuses = {
        live.get("/healthz", headers={"Connection": "close"}).status_code for _ in range(20)
    }
    assert statuses == {200}


def test_each_worker_freezes_its_start_up_objects_and_hands_the_gil_over_every_ms(live) -> None:
    """deploy/gunicorn.conf.py's post_worker_init froze what each worker loaded at start
    and set the GIL's switch interval to 1 ms (api/longlived.py), before it served: every
    running worker said so in the log."""
    import re
    import time

    pids = live.server.worker_pids()
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while True:
        froze = {
            int(pid): int(count)
            for pid, count in re.findall(
                r"\[(\d+)\] \[INFO\] froze (\d+) start-up objects.*switch interval 1\.0 ms",
                live.server.log_text(),
            )
        }
        if all(pid in froze for pid in pids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(pids) <= set(froze), live.server.log_tail()
    # the app, its mappers and schemas: far more than an empty interpreter holds
    assert all(froze[pid] > 50_000 for pid in pids), froze
