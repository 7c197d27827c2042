"""`sitewarden users CONFIG ...`: the people of a console, on a site file's box (the local
store, <storage.directory>/console.db) or a centre's console file (its database)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from edge.cli.check import load_console_or_exit
from edge.cli.common import fail, load_or_exit
from edge.config.loader import file_kind

if TYPE_CHECKING:  # the store pulls SQLAlchemy and Alembic: loaded by these commands only
    from console.store import Store

app = typer.Typer(help="Console users: sitewarden users CONFIG add|passwd|list|remove ...",
                  no_args_is_help=True)


@app.callback()
def users(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="site file (the box's console, "
                                  "<storage.directory>/console.db) or console file (centre)"),
) -> None:
    """Add, change, list and remove the people who log in to a console."""
    ctx.obj = config


def database_url(config: Path) -> str:
    """The console database a site or console file names."""
    if file_kind(config) == "console":
        return load_console_or_exit(config).database.resolved_url()
    cfg = load_or_exit(config)
    return f"sqlite:///{Path(cfg.storage.directory) / 'console.db'}"


@contextmanager
def _store(config: Path) -> Iterator[Store]:
    from console.store import Store

    url = database_url(config)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        store = Store.open(url)
    except Exception as e:  # unreachable or unreadable database
        fail(f"cannot open the console database: {type(e).__name__}: {e}")
    try:
        yield store
    finally:
        store.close()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _read_password() -> str:
    """From the terminal (asked twice, not echoed) or the first line of stdin."""
    if sys.stdin.isatty():
        return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail("no password on stdin (give it as the first line)")
    return line


@contextmanager
def _errors() -> Iterator[None]:
    from console.auth import PasswordRejected
    from console.store import StoreError

    try:
        yield
    except (StoreError, PasswordRejected, ValueError) as e:
        fail(str(e))


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="user name (letters, digits, . _ @ -)"),
    role: str = typer.Option(..., "--role", help="viewer, operator, integrator or admin"),
    site: list[str] = typer.Option([], "--site", help="a site the user may see (repeat); "
                                   "none: every site"),
) -> None:
    """Add a user; the password is read from stdin."""
    from console.auth import add_user

    password = _read_password()
    with _store(ctx.obj) as store, _errors():
        user = add_user(store, name, password, role, site or None, actor=_actor())
    typer.echo(f"added {user.username} ({user.role.value}, {_sites(user.sites)})")


@app.command("passwd")
def passwd(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Set a user's password (read from stdin); their logins end."""
    from console.auth import set_password

    password = _read_password()
    with _store(ctx.obj) as store, _errors():
        set_password(store, name, password, actor=_actor())
    typer.echo(f"password of {name} changed; their sessions ended")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The users, their roles and sites."""
    from console.auth import list_users

    with _store(ctx.obj) as store:
        found = list_users(store)
    for u in found:
        typer.echo(f"{u.username}\t{u.role.value}\t{_sites(u.sites)}")


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a user (their logins end)."""
    from console.auth import remove_user

    with _store(ctx.obj) as store, _errors():
        remove_user(store, name, actor=_actor())
    typer.echo(f"removed {name}")


def _sites(sites: frozenset[str] | None) -> str:
    return "all sites" if sites is None else "sites " + ",".join(sorted(sites))
