"""`sitewarden run` as a child process, its output read as it comes (for the tests)."""

from __future__ import annotations

import re
import signal
import subprocess
import threading


class BoxProcess(subprocess.Popen[str]):
    """`sitewarden run` with its output read as it comes (the console's first password)."""

    def __init__(self, args: list[str]) -> None:
        super().__init__(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.stdout is not None
        for line in self.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def admin_password(self) -> str | None:
        m = re.search(r"log in as admin with the password (\S+)", self.output())
        return m.group(1) if m else None


def stop_box(proc: BoxProcess) -> str:
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(20)
    proc._reader.join(5)
    out = proc.output()
    assert rc == 0, out
    assert "Traceback" not in out, out
    return out
