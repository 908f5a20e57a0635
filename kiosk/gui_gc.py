"""Python's cyclic garbage collector, run on the GUI thread only while a kiosk runs.

Why: collected on a worker thread (the controller's jobs: recognition, the registry), an unreachable Qt wrapper's
C++ destructor takes a Qt lock and then waits for the GIL, while the GUI thread, holding the GIL in an event filter,
waits for that same lock in another destructor: both stop for good. (Seen in the test run: py-spy showed
QObject::~QObject under gc_collect_main on the job thread, and under IdleWatch.eventFilter on the GUI thread.)
So automatic collection is off while a kiosk runs, and a timer on the GUI thread collects instead: the young
generations every second, everything every minute. Reference counting still frees what is not in a cycle at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

YOUNG_EVERY_MS = 1000
FULL_EVERY = 60  # ticks


class GuiThreadCollector(QObject):
    _running = 0  # kiosks running in this process (tests make several): collection returns with the last

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.ticks = 0
        self.timer = QTimer(self, interval=YOUNG_EVERY_MS)
        self.timer.timeout.connect(self.collect)
        self.started = False

    def start(self) -> GuiThreadCollector:
        if not self.started:
            self.started = True
            GuiThreadCollector._running += 1
            gc.disable()
            self.timer.start()
        return self

    def collect(self) -> None:
        self.ticks += 1
        gc.collect(2 if self.ticks % FULL_EVERY == 0 else 1)

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        self.timer.stop()
        gc.collect()  # here, on the GUI thread, before collection may run on any thread again
        GuiThreadCollector._running -= 1
        if GuiThreadCollector._running == 0:
            gc.enable()
