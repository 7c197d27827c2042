"""`sitewarden` command line: one module per sub-command, shared helpers in common.py."""

from __future__ import annotations

import logging
import sys

import typer

from edge.cli import check, console, detect, events, models, replay, run, users

app = typer.Typer(
    name="sitewarden",
    help="Edge video analytics for industrial safety: danger zones, duty posts, seals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(check.config_app, name="config")
app.add_typer(models.app, name="models")
app.add_typer(events.app, name="events")
app.add_typer(users.app, name="users")
app.command("check")(check.check)
app.command("console")(console.console)
app.command("detect")(detect.detect)
app.command("replay")(replay.replay)
app.command("run")(run.run)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
