"""`savepets serve` with a pause point, for the test that kills the server mid-push (tests/test_sync_faults.py):

    SAVEPETS_TEST_PAUSE_PUSH=N SAVEPETS_TEST_PAUSE_FILE=PATH python -m tests.server_child serve ...

The same command as `python -m kiosk.cli serve ...`, except that the N-th push this process receives stops inside its
transaction, its changes applied and not committed; it creates PATH to say so and waits there to be killed. So a
SIGKILL lands at a known point of a batch: pushes 1 .. N-1 committed, push N lost with the process. The hook lives
here, in the tests, and not in the server's code.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
from pathlib import Path

PAUSE_PUSH_ENV = "SAVEPETS_TEST_PAUSE_PUSH"
PAUSE_FILE_ENV = "SAVEPETS_TEST_PAUSE_FILE"


def install_pause(at: int, flag: Path) -> None:
    import core.replication.server as server

    real = server.note_server_state  # called once a push, inside its transaction, after its changes are applied
    lock, pushes = threading.Lock(), {"n": 0}

    def note_then_pause(s, dog_ids, stamp):
        real(s, dog_ids, stamp)
        with lock:
            pushes["n"] += 1
            here = pushes["n"]
        if here == at:
            flag.write_text(f"paused in push {here}, dogs {dog_ids}\n")
            while True:
                time.sleep(60)

    server.note_server_state = note_then_pause


def main() -> None:
    at = os.environ.get(PAUSE_PUSH_ENV)
    if at:
        install_pause(int(at), Path(os.environ[PAUSE_FILE_ENV]))
    sys.argv = ["savepets", *sys.argv[1:]]
    runpy.run_module("kiosk.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
