"""Escalation: violations nobody decided in time become overdue, once each, and leave as
`sitewarden.violation.overdue` events.

    watcher = OverdueWatcher(ctx)     # every http.review.overdue_check_s
    watcher.start()                   # a thread; or run() in one of the caller's own
    ...
    watcher.stop()

Whoever runs the app starts it (the box; at a centre, any number of replicas: the store's
row locks mark each violation once). It is not tied to the app's lifespan because
ConsoleServer runs uvicorn without one, and a console may well run with the watcher
elsewhere. The store's change notification then updates open pages; the event goes out
through ctx.emit (the box: MQTT, where a centre's store accepts it).
"""

from __future__ import annotations

import logging
import threading

from console.store import Violation
from console.web.context import ConsoleContext
from publisher.events import OverdueData, overdue_event

log = logging.getLogger(__name__)
BATCH = 500


class OverdueWatcher:
    def __init__(self, ctx: ConsoleContext) -> None:
        self.ctx = ctx
        self.after_s = ctx.http.review.overdue_after_s
        self.every_s = ctx.http.review.overdue_check_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.marked = 0  # violations this watcher marked (stats, tests)

    def check(self) -> list[Violation]:
        """Mark what is overdue now and emit each once; the violations marked. The time is
        the store's clock (a settable one in tests)."""
        now = self.ctx.store.clock()
        marked: list[Violation] = []
        while True:
            due = self.ctx.store.mark_overdue(now, self.after_s, limit=BATCH)
            marked += due
            for v in due:
                self._emit(v)
            if len(due) < BATCH:
                break
        self.marked += len(marked)
        if marked:
            log.info("%d violation(s) overdue (unhandled for %.0f s)", len(marked), self.after_s)
        return marked

    def _emit(self, v: Violation) -> None:
        if self.ctx.emit is None:
            return
        data = OverdueData(violation_id=v.violation_id, site_id=v.site_id, box_id=v.box_id,
                           camera_id=v.camera_id, zone_id=v.zone_id, kind=v.kind,
                           started_at=v.started_at, overdue_at=v.overdue_at or "",
                           after_s=self.after_s)
        try:
            self.ctx.emit(overdue_event(data))
        except Exception:  # marked already: the console shows it even if the event is lost
            log.exception("could not publish the overdue event of %s", v.violation_id)

    def run(self) -> None:
        """Check every overdue_check_s until stop(); a failing check (the database away)
        is logged and tried again next time."""
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:
                log.exception("overdue check failed")
            self._stop.wait(self.every_s)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="console-overdue",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
