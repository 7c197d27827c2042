"""Pure parts of the publisher: topics, backoff, settings, schema, outbox policy."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from publisher.backoff import Backoff
from publisher.events import Event, camera_event
from publisher.outbox import Evictable, Message, Outbox, OutboxError
from publisher.schema import EVENT_ADAPTER, CameraEvent, ViolationEvent, event_json_schema
from publisher.settings import MqttConfig
from publisher.topics import TopicError, Topics
from tests.publisher.conftest import BOX, SITE, make_event

# ------------------------------------------------------------------ topics


def test_event_topic_from_violation_and_camera_events() -> None:
    t = Topics("sitewarden", SITE, BOX)
    assert t.event(make_event(1, kind="duty_post", camera="gate-north")) == (
        "sitewarden/plant-7/edge-01/events/gate-north/duty_post")
    from datetime import UTC, datetime
    cam = camera_event(SITE, BOX, "gate-north", "offline", datetime.now(UTC))
    assert t.event(cam) == "sitewarden/plant-7/edge-01/events/gate-north/camera"
    assert t.status == "sitewarden/plant-7/edge-01/status"
    assert t.camera_status("c1") == "sitewarden/plant-7/edge-01/cameras/c1/status"
    assert t.events_filter() == "sitewarden/plant-7/edge-01/events/+/+"


@pytest.mark.parametrize("bad", ["a/b", "cam+", "#", ""])
def test_topic_levels_reject_wildcards_and_slashes(bad: str) -> None:
    t = Topics("sitewarden", SITE, BOX)
    ev = make_event(1)
    ev = dataclasses.replace(ev, data=ev.data.model_copy(update={"camera_id": bad}))
    with pytest.raises(TopicError, match="camera id"):
        t.event(ev)


def test_event_without_sitewarden_type_is_rejected() -> None:
    ev = dataclasses.replace(make_event(1), type="com.example.thing")
    with pytest.raises(TopicError, match="sitewarden"):
        Topics("p", SITE, BOX).event(ev)


# ------------------------------------------------------------------ backoff


def test_backoff_grows_is_capped_and_jittered() -> None:
    b = Backoff(0.5, 8.0, rng=random.Random(1))
    delays = [b.next_delay_s() for _ in range(12)]
    for n, d in enumerate(delays):
        cap = min(8.0, 0.5 * 2**n)
        assert cap / 2 <= d <= cap
    assert max(delays) <= 8.0
    assert len(set(delays)) == len(delays)  # jitter: no two equal
    b.reset()
    assert b.next_delay_s() <= 0.5


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)
    with pytest.raises(ValueError):
        Backoff(0.5, 1.0, jitter_frac=1.0)


# ------------------------------------------------------------------ settings, schema


def test_settings_reexported_from_edge_config_and_strict() -> None:
    from edge.config.mqtt import MqttConfig as EdgeMqtt

    assert EdgeMqtt is MqttConfig
    with pytest.raises(ValidationError, match="password"):
        MqttConfig.model_validate({"host": "h", "password": "secret"})
    with pytest.raises(ValidationError, match="reconnect_max_s"):
        MqttConfig(host="h", reconnect_initial_s=5, reconnect_max_s=1)


def test_publisher_does_not_import_edge() -> None:
    code = ("import sys, publisher.client, publisher.tail, publisher.schema; "
            "bad = [m for m in sys.modules if m == 'edge' or m.startswith('edge.')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_builders_validate_against_published_schema() -> None:
    from datetime import UTC, datetime

    v = EVENT_ADAPTER.validate_python(make_event(3, phase="ended").to_wire())
    assert isinstance(v, ViolationEvent)
    c = EVENT_ADAPTER.validate_python(
        camera_event(SITE, BOX, "cam-1", "tampered", datetime.now(UTC)).to_wire())
    assert isinstance(c, CameraEvent)
    schema = event_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"ViolationData", "CameraData"} <= set(schema["$defs"])


def test_docs_schema_file_is_current() -> None:
    import json

    path = Path(__file__).resolve().parents[2] / "docs" / "event.schema.json"
    assert json.loads(path.read_text()) == event_json_schema(), (
        "docs/event.schema.json is stale: sitewarden events schema > docs/event.schema.json")


# ------------------------------------------------------------------ outbox


def _put_event(ob: Outbox, ev: Event, size: int = 100) -> int:
    assert ev.violation is not None
    phase = ev.violation.phase
    return ob.put("t", b"x" * size, event_id=ev.id, violation_id=ev.violation.violation_id,
                  phase=phase,
                  cls=Evictable.UPDATE if phase == "updated" else Evictable.PROTECTED)


def test_outbox_survives_reopen_in_order_and_deletes(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", 10_000)
    seqs = [_put_event(ob, make_event(i)) for i in range(5)]
    ob.close()
    ob = Outbox(tmp_path / "o.db", 10_000)
    rows = ob.pending_after(0, 100)
    assert [r.seq for r in rows] == seqs
    assert [r.event_id for r in rows] == [make_event(i).id for i in range(5)]
    ob.delete(seqs[:2])
    assert [r.seq for r in ob.pending_after(0, 100)] == seqs[2:]
    assert ob.usage().depth == 3 and ob.usage().bytes == 300
    assert [r.seq for r in ob.pending_after(seqs[2], 1)] == [seqs[3]]
    assert ob.is_pending("v-00004") and not ob.is_pending("v-00000")
    ob.close()


def test_outbox_is_exclusive_per_process(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", 10_000)
    code = ("from publisher.outbox import Outbox; import sys; "
            f"Outbox(__import__('pathlib').Path({str(tmp_path / 'o.db')!r}), 100)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and "in use by another running publisher" in r.stderr
    ob.close()
    with pytest.raises(OutboxError):
        ob.put("t", b"x")


def test_budget_merges_superseded_updates_first_and_never_drops_started_or_ended(
    tmp_path: Path,
) -> None:
    ob = Outbox(tmp_path / "o.db", max_bytes=1000)
    _put_event(ob, make_event(0, phase="started", violation_id="A"))
    for k in range(3):
        _put_event(ob, make_event(0, phase="updated", violation_id="A", seq=k))
    _put_event(ob, make_event(0, phase="updated", violation_id="B"))  # B's latest: not merged
    ob.put("snap", b"j" * 100, violation_id="A", cls=Evictable.SNAPSHOT)
    _put_event(ob, make_event(0, phase="ended", violation_id="A"))  # 7 rows, 700 bytes
    for i in range(5):  # 5 more protected rows → 1200 bytes: two evictions needed
        _put_event(ob, make_event(10 + i, phase="started"))
    use = ob.usage()
    assert use.bytes <= 1000
    kept = ob.pending_after(0, 100)
    phases = [(r.violation_id, r.topic) for r in kept]
    # snapshot went first, then the oldest superseded updates of A (merged)
    assert ("A", "snap") not in phases
    assert ob.merged == 1 and ob.dropped == 1
    ids = {r.event_id for r in kept}
    assert make_event(0, phase="started", violation_id="A").id in ids
    assert make_event(0, phase="ended", violation_id="A").id in ids
    assert make_event(0, phase="updated", violation_id="B").id in ids
    a_updates = [make_event(0, phase="updated", violation_id="A", seq=k).id for k in range(3)]
    assert [u in ids for u in a_updates] == [False, True, True]  # the oldest was merged away
    # Only protected rows left once updates are gone: the budget is exceeded, never dropped.
    for i in range(10):
        _put_event(ob, make_event(20 + i, phase="ended"))
    use = ob.usage()
    assert use.over_budget and use.bytes > 1000
    kept_ids = {r.event_id for r in ob.pending_after(0, 1000)}
    assert all(make_event(20 + i, phase="ended").id in kept_ids for i in range(10))
    assert all(make_event(10 + i).id in kept_ids for i in range(5))
    assert ob.merged == 3 and ob.dropped == 2  # every update gone before anything protected
    ob.close()


def test_sequence_is_persisted_with_its_row_and_only_when_committed(tmp_path: Path) -> None:
    ob = Outbox(tmp_path / "o.db", 10_000)
    assert ob.last_sequence == 0
    ob.put("t", b"a", event_id="a", sequence=1)
    rows = ob.put_many([Message("t", b"b", event_id="b", sequence=2),
                        Message("t", b"c", event_id="c", sequence=3)])
    assert rows == sorted(rows) and len(rows) == 2
    # A transaction that fails (NOT NULL topic) stores neither its rows nor its number.
    with pytest.raises(OutboxError) as err:
        ob.put_many([Message("t", b"d", sequence=4), Message(None, b"e", sequence=5)])  # type: ignore[arg-type]
    assert not err.value.disk_full
    assert ob.last_sequence == 3 and ob.usage().depth == 3
    ob.delete(rows)  # delivered rows go, the number stays
    ob.save_sequence(2)  # never lowered
    ob.close()
    ob = Outbox(tmp_path / "o.db", 10_000)
    assert ob.last_sequence == 3
    assert [r.event_id for r in ob.pending_after(0, 10)] == ["a"]
    ob.save_sequence(7)
    ob.close()
    assert Outbox(tmp_path / "o.db", 10_000).last_sequence == 7


def test_outbox_errors_tell_a_full_disk_from_others(tmp_path: Path) -> None:
    import errno
    import sqlite3

    from publisher.outbox import _error

    assert _error("x", sqlite3.OperationalError("database or disk is full")).disk_full
    assert _error("x", OSError(errno.ENOSPC, "No space left on device")).disk_full
    assert not _error("x", sqlite3.OperationalError("disk I/O error")).disk_full
    assert not _error("x", OSError(errno.EACCES, "Permission denied")).disk_full
    # An outbox that cannot even be created is an OutboxError too (not a bare OSError).
    (tmp_path / "file").write_text("")
    with pytest.raises(OutboxError, match="cannot open outbox") as e:
        Outbox(tmp_path / "file" / "o.db", 1000)
    assert not e.value.disk_full


def test_state_event_detail_never_replaces_the_envelope_keys() -> None:
    from datetime import UTC, datetime

    from publisher.events import box_event

    ev = box_event(SITE, BOX, "degraded", datetime.now(UTC),
                   {"part": "evidence_storage", "camera_id": "cam-1", "state": "x"})
    data = ev.to_wire()["data"]
    assert (data["camera_id"], data["state"]) == ("_box", "degraded")
    assert (data["detail_camera_id"], data["detail_state"], data["part"]) == (
        "cam-1", "x", "evidence_storage")
