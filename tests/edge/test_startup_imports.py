"""What `sitewarden replay` and `run` import before they start: nothing a sub-command they do
not run needs (the start-up is part of replay's measured time, benchmarks/replay.py)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import edge.cli
import edge.replay
import edge.core.detect
heavy = ("scipy", "paho", "tqdm", "sqlalchemy", "alembic", "boto3", "fastapi", "uvicorn")
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))))
"""


def test_the_cli_and_replay_start_without_other_commands_libraries() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []
