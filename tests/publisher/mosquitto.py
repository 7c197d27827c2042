"""A real Mosquitto broker on a free loopback port, for tests and the benchmark."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class BrokerTls:
    ca_file: Path
    cert_file: Path
    key_file: Path
    require_client_cert: bool = False


class Mosquitto:
    """Start/stop/kill one broker process; its config and data live in `workdir`."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: BrokerTls | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.users = users
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "data").mkdir(exist_ok=True)
        self.log_path = workdir / "mosquitto.log"
        self.conf_path = workdir / "mosquitto.conf"

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'false' if self.users else 'true'}",
            "persistence true",
            f"persistence_location {self.workdir / 'data'}/",
            f"log_dest file {self.log_path}",
            "log_type all" if os.environ.get("MOSQUITTO_DEBUG") else "log_type error",
            "max_queued_messages 100000",
        ]
        if os.geteuid() == 0:
            lines.append(f"user {getpass.getuser()}")
        if self.users:
            pw = self.workdir / "passwd"
            pw.unlink(missing_ok=True)
            for user, password in self.users.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", *(["-c"] if not pw.exists() else []), str(pw),
                     user, password], check=True, capture_output=True)
            lines.append(f"password_file {pw}")
        if self.tls:
            lines += [
                f"cafile {self.tls.ca_file}",
                f"certfile {self.tls.cert_file}",
                f"keyfile {self.tls.key_file}",
                f"require_certificate {'true' if self.tls.require_client_cert else 'false'}",
            ]
        self.conf_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout_s: float = 10.0) -> None:
        assert self.proc is None, "broker already running"
        self._write_config()
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                log = self.log_path.read_text() if self.log_path.exists() else ""
                self.proc = None
                raise RuntimeError(f"mosquitto exited at start: {err} {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Graceful stop (SIGTERM): the broker saves its persistence file."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
