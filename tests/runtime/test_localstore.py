"""The box's own store on a disk that fills and frees: events held in memory and written
later, one degraded/ok episode per outage (no flapping while the disk stays tight). Pure:
a store that fails on demand and a hand-driven clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.runtime.localstore import LocalStore
from publisher.events import Event
from tests.console.helpers import T0, lifecycle


class TightDisk:
    """Writes fail while `full`; what got through is kept."""

    def __init__(self) -> None:
        self.full = False
        self.ids: list[str] = []

    def ingest(self, event: Event) -> None:
        self.ingest_many([event])

    def ingest_many(self, events: list[Event]) -> None:
        if self.full:
            raise OSError("database or disk is full")
        self.ids += [e.id for e in events]

    def close(self) -> None:
        pass


def test_one_episode_while_the_disk_stays_tight(tmp_path: Path) -> None:
    now = [0.0]
    reports: list[tuple[str, dict[str, Any]]] = []
    ls = LocalStore(tmp_path / "console.db", lambda part, state, d: reports.append((state, d)),
                    ok_after_s=10.0, clock=lambda: now[0])
    disk = TightDisk()
    ls.store = disk  # type: ignore[assignment]
    events = [Event.from_wire(e) for e in lifecycle("v1", T0, [1, 2, 3])]

    def tick(dt_s: float) -> None:  # the 1 Hz housekeeping
        now[0] += dt_s
        ls.retry()

    ls(events[0])
    disk.full = True
    ls(events[1])  # held, degraded
    tick(1.0)
    disk.full = False  # the sweep freed a few kilobytes
    tick(1.0)  # the held event is written...
    assert disk.ids == [events[0].id, events[1].id]
    disk.full = True
    ls(events[2])  # ...and the next one fails again
    disk.full = False
    for _ in range(9):
        tick(1.0)
    assert [s for s, _ in _transitions(reports)] == ["degraded"]  # still one episode
    tick(1.0)  # ten quiet seconds after the last failure
    assert [s for s, _ in _transitions(reports)] == ["degraded", "ok"]
    assert _transitions(reports)[0][1]["reason"] == "disk_full"
    assert disk.ids == [e.id for e in events[:3]] and ls.stats()["held_in_memory"] == 0
    tick(30.0)
    assert [s for s, _ in _transitions(reports)] == ["degraded", "ok"]


def _transitions(reports: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """What BoxHealth makes of the reports: a repeated state is not a change."""
    out: list[tuple[str, dict[str, Any]]] = []
    for state, detail in reports:
        if not out or out[-1][0] != state:
            out.append((state, detail))
    return out


def test_a_failure_while_ok_goes_out_leaves_the_state_degraded(tmp_path: Path) -> None:
    """A write fails on the dispatcher just as the housekeeping says ok: BoxHealth drops
    that "degraded" as a repeat (the state is still degraded), then takes the "ok"; the
    store must say degraded once more."""
    now = [0.0]
    state = ["ok"]
    disk = TightDisk()
    events = [Event.from_wire(e) for e in lifecycle("v1", T0, [1])]

    def box_health(part: str, new: str, detail: dict[str, Any]) -> None:
        if new == "ok" and state[0] == "degraded" and not disk.full:
            disk.full = True
            ls(events[1])  # the dispatcher's write fails meanwhile
        if new != state[0]:  # BoxHealth: a repeated state is not a change
            state[0] = new

    ls = LocalStore(tmp_path / "console.db", box_health, ok_after_s=10.0,
                    clock=lambda: now[0])
    ls.store = disk  # type: ignore[assignment]
    disk.full = True
    ls(events[0])
    assert state == ["degraded"]
    disk.full = False
    now[0] = 11.0
    ls.retry()  # writes the held event, then says ok... while the next write fails
    assert state == ["degraded"]
    assert ls.stats()["held_in_memory"] == 1
