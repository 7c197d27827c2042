"""Checks for CLI runs under typer's CliRunner.

CliRunner catches every exception: a crash does not print a traceback into the output, it
lands in `result.exception` with exit code 1, the same code as a clean error exit. So
"Traceback" not in result.output holds even for a crash; this is the check that does not.
"""

from __future__ import annotations

import traceback
from typing import Literal

from click.testing import Result


def assert_clean_exit(
    result: Result,
    code: int,
    *messages: str,
    stream: Literal["stdout", "stderr", "output"] = "stderr",
) -> None:
    """The command ended by exiting with `code` (no uncaught exception) and each of
    `messages` is in its `stream`."""
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        crash = "".join(traceback.format_exception(exc))
        raise AssertionError(f"the command crashed instead of exiting:\n{crash}")
    assert result.exit_code == code, f"exit code {result.exit_code}, expected {code}:\n" + (
        result.output
    )
    text = getattr(result, stream)
    for message in messages:
        assert message in text, f"{message!r} not in {stream}:\n{text}"
