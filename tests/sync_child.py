"""A kiosk's sync in a process of its own, for the test that kills it (tests/test_sync_faults.py):

    python -m tests.sync_child KIOSK_DIR PAUSE http URL KEY
    python -m tests.sync_child KIOSK_DIR PAUSE core SERVER_DB_URL SERVER_DIR

One change a push, two changes a page. It prints a JSON line for every step ({"pushed": changes pending} after each
push batch is recorded, {"pulled": cursor} after each page is committed); at PAUSE it prints {"paused": PAUSE, ...}
and waits there to be killed:
    pushed:K    after the K-th push batch is recorded here (between transactions)
    answered:K  the server has applied the K-th push, before this kiosk records its answer
    pulling:K   inside the transaction of the K-th pulled page, its rows written, not committed
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def say(**what) -> None:
    print(json.dumps(what), flush=True)


def wait_to_be_killed(point: str, **what) -> None:
    say(paused=point, **what)
    while True:
        time.sleep(60)


def main(argv: list[str]) -> int:
    import core.replication.kiosk as kiosk_steps
    from sync.client import SyncClient
    from tests.sync_harness import make_kiosk
    from tests.sync_remote import CoreRemote

    folder, pause, kind = Path(argv[0]), argv[1], argv[2]
    what, n = pause.split(":")
    n = int(n)
    sp = make_kiosk(folder)
    steps = {"pushed": 0, "pulled": 0}
    last_cursor = {"value": kiosk_steps.cursor(sp)}

    def on_step(step: str, value: int) -> None:
        steps[step] += 1
        if step == "pulled":
            last_cursor["value"] = value
        say(**{step: value})
        if what == "pushed" and step == "pushed" and steps["pushed"] == n:
            wait_to_be_killed(pause, pending=value)

    if kind == "http":
        client = SyncClient(sp, argv[3], argv[4], push_batch=1, pull_limit=2, retries=3, max_wait_s=0.5)
    else:
        client = CoreRemote(argv[3], Path(argv[4])).client(sp, push_batch=1, pull_limit=2)
    client.sync.on_step = on_step

    if what == "answered":
        real_push = client.link.push
        pushes = {"n": 0}

        def push_then_pause(*args, **kwargs):
            answer = real_push(*args, **kwargs)
            pushes["n"] += 1
            if pushes["n"] == n:
                wait_to_be_killed(pause, change_ids=[r.change_id for r in answer.results])
            return answer

        client.link.push = push_then_pause
    if what == "pulling":
        real_apply = kiosk_steps.apply_page
        pages = {"n": 0}

        def apply_then_pause(s, changes):
            out = real_apply(s, changes)
            s.flush()
            pages["n"] += 1
            if pages["n"] == n:
                wait_to_be_killed(pause, committed_cursor=last_cursor["value"],
                                  uncommitted=[c.entity_id for c in changes])
            return out

        kiosk_steps.apply_page = apply_then_pause
    report = client.sync_once()
    say(finished=client.status.state, errors=report.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
