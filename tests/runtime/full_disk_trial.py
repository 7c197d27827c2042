"""Full-disk trial (issue 15), as root: `sitewarden run` with its storage (outbox, evidence,
console store) on a 4 MiB tmpfs, filled 6 s after start, freed at 36 s, stopped at 75 s; a
real Mosquitto; events written (--events-out, on another disk) against events delivered (a
subscriber), and the box's degraded/ok events. Prints one JSON object.

    python tests/runtime/full_disk_trial.py [WORKDIR]

tests/runtime/test_full_disk.py checks the same in CI; this is the long form, for figures.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.assets import assets_dir  # noqa: E402
from tests.publisher.mosquitto import Mosquitto  # noqa: E402

TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]
FILL_AT_S, FREE_AT_S, STOP_AT_S = 6.0, 36.0, 75.0


def site(store: Path, port: int) -> dict[str, Any]:
    assets = assets_dir()
    return {
        "site_id": "plant-7", "box_id": "edge-01",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
        "cameras": [{"id": "desk", "analysis_fps": 5,
                     "url": str(assets / "video" / "one-by-one-person-detection.mp4")}],
        "zones": [{"id": "post", "camera": "desk", "kind": "duty_post", "absence_s": 4.5,
                   "return_s": 2, "points": TABLE},
                  {"id": "table", "camera": "desk", "kind": "danger_zone",
                   "min_duration_s": 1, "clear_s": 2, "points": TABLE}],
        "mqtt": {"host": "127.0.0.1", "port": port},
        "storage": {"directory": str(store), "min_free_bytes": 0,
                    "evidence": {"pre_s": 2, "post_s": 2}},
    }


class Subscriber:
    """Every event that reaches the broker, first copy by id."""

    def __init__(self, port: int) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="platform")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("sitewarden/#", qos=1)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            ev = json.loads(msg.payload)
        except ValueError:
            return
        if isinstance(ev, dict) and "id" in ev and "type" in ev:
            with self._lock:
                self.events.setdefault(ev["id"], ev)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def run_box(work: Path, disk: Path) -> tuple[int, Path]:
    """`sitewarden run` through the fill and the release of the disk; its exit code."""
    out = work / "events.jsonl"
    with open(work / "run.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", str(work / "site.yaml"),
             "--events-out", str(out)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        t0 = time.monotonic()

        def at(t_s: float) -> None:
            time.sleep(max(0.0, t0 + t_s - time.monotonic()))

        at(FILL_AT_S)
        subprocess.run(["dd", "if=/dev/zero", f"of={disk}/filler", "bs=64k"],
                       capture_output=True, check=False)
        at(FREE_AT_S)
        os.unlink(disk / "filler")
        at(STOP_AT_S)
        proc.send_signal(signal.SIGTERM)
        return proc.wait(30), out


def report(rc: int, written: list[dict[str, Any]], delivered: dict[str, Any]) -> dict[str, Any]:
    violations = [e for e in written if e["type"].startswith("sitewarden.violation.")]
    return {
        "exit_code": rc, "written": len(written), "delivered": len(delivered),
        "written_not_delivered": sum(1 for e in written if e["id"] not in delivered),
        "violation_events": len(violations),
        "evidence_ready": sum(1 for e in violations
                              if e["data"].get("reason") == "evidence_ready"),
        "box_events": [{"type": e["type"].rsplit(".", 1)[-1], **e["data"]}
                       for e in written if e["type"].startswith("sitewarden.box.")],
    }


def main() -> None:
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sitewarden-full-disk")
    subprocess.run(["rm", "-rf", str(work)], check=True)
    disk = work / "disk"
    disk.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
    broker = Mosquitto(work / "broker")
    broker.start()
    sub = Subscriber(broker.port)
    try:
        (work / "site.yaml").write_text(yaml.safe_dump(site(disk / "store", broker.port)))
        rc, out = run_box(work, disk)
        time.sleep(2)  # the last PUBLISHes reach the subscriber
        written = [json.loads(line) for line in out.read_text().splitlines()]
        sys.stdout.write(json.dumps(report(rc, written, sub.events), indent=1) + "\n")
    finally:
        sub.close()
        broker.stop()
        subprocess.run(["umount", str(disk)], check=False)


if __name__ == "__main__":
    main()
