"""People: add, change password or role, list, remove, and verify a login.

Names are case-insensitive (stored lower case): letters, digits and . _ @ -, at most 64.
A user sees every site (`sites` None) or only the listed ones. Every change is logged in the
audit (actions user_add, user_passwd, user_role, user_remove) with who made it; a password
change or removal also ends that user's sessions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.auth.passwords import DEFAULT, Passwords, check_new_password
from console.roles import Role, parse_role
from console.store import Actor, Conflict, InvalidInput, NotFound, Scope, Store
from console.store import audit as audit_log
from console.store.tables import sessions, user_sites, users
from console.store.tx import Tx

_NAME = re.compile(r"^[a-z0-9._@-]{1,64}$")


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: Role
    sites: frozenset[str] | None  # None: every site
    created_ts: float
    updated_ts: float

    @property
    def scope(self) -> Scope:
        return Scope(self.sites)

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.scope)


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not _NAME.match(name):
        raise InvalidInput(
            "a user name has 1-64 letters, digits or . _ @ - (no spaces)")
    return name


def admin_sees_all(role: Role, sites: Collection[str] | None) -> None:
    """An admin manages users and tokens, which span sites: limiting one to sites would be
    a limit it could lift itself (a new admin token for every site). Refused instead. An
    empty list is refused too: pages show "no limit" as an empty field, and saving that
    field would turn "no site" into "every site"."""
    if sites is not None and not sites:
        raise InvalidInput("give at least one site, or none at all for every site")
    if role is Role.ADMIN and sites is not None:
        raise InvalidInput("an admin sees every site; limit an account to sites with another "
                           "role (viewer, operator, integrator)")


def _sites(sites: Iterable[str] | None) -> frozenset[str] | None:
    if sites is None:
        return None
    chosen = frozenset(s.strip() for s in sites)
    if "" in chosen:
        raise InvalidInput("empty site id")
    return chosen


def _load(conn: Connection, where: Any) -> list[User]:
    rows = conn.execute(select(users).where(where).order_by(users.c.username)).all()
    ids = [r.user_id for r in rows]
    scoped: dict[int, set[str]] = {}
    for uid, site in conn.execute(select(user_sites.c.user_id, user_sites.c.site_id)
                                  .where(user_sites.c.user_id.in_(ids))):
        scoped.setdefault(uid, set()).add(site)
    return [
        User(user_id=int(r.user_id), username=r.username, role=Role(r.role),
             sites=None if r.all_sites else frozenset(scoped.get(r.user_id, ())),
             created_ts=r.created_ts, updated_ts=r.updated_ts)
        for r in rows
    ]


def _one(conn: Connection, username: str) -> User:
    found = _load(conn, users.c.username == normalize_username(username))
    if not found:
        raise NotFound(f"no user {username!r}")
    return found[0]


def _write_sites(tx: Tx, user_id: int, sites: frozenset[str] | None) -> None:
    tx.conn.execute(delete(user_sites).where(user_sites.c.user_id == user_id))
    if sites:
        tx.conn.execute(insert(user_sites), [
            {"user_id": user_id, "site_id": s} for s in sorted(sites)])


def _log(tx: Tx, actor: str, action: str, **detail: Any) -> None:
    audit_log.append(tx, actor=actor, action=action, detail=detail)


def add_user(
    store: Store, username: str, password: str, role: Role | str,
    sites: Iterable[str] | None = None, *, actor: str = "system",
    passwords: Passwords = DEFAULT,
) -> User:
    """Create a user; Conflict when the name is taken."""
    name, r, chosen = normalize_username(username), parse_role(str(role)), _sites(sites)
    admin_sees_all(r, chosen)
    check_new_password(password)
    password_hash = passwords.hash(password)

    def run(tx: Tx) -> User:
        if tx.conn.execute(select(exists().where(users.c.username == name))).scalar():
            raise Conflict(f"user {name!r} exists")
        uid = tx.conn.execute(insert(users).values(
            username=name, role=r.value, password_hash=password_hash,
            all_sites=chosen is None, created_ts=tx.now_ts, updated_ts=tx.now_ts,
        ).returning(users.c.user_id)).scalar_one()
        _write_sites(tx, uid, chosen)
        _log(tx, actor, "user_add", username=name, role=r.value,
             sites=sorted(chosen) if chosen is not None else None)
        return _one(tx.conn, name)
    try:
        return store.transact(run)
    except IntegrityError:  # created by another replica between our check and insert
        raise Conflict(f"user {name!r} exists") from None


def set_password(
    store: Store, username: str, password: str, *, actor: str = "system",
    passwords: Passwords = DEFAULT,
) -> None:
    """New password; the user's sessions end (log in again everywhere)."""
    check_new_password(password)
    password_hash = passwords.hash(password)

    def run(tx: Tx) -> None:
        user = _one(tx.conn, username)
        tx.conn.execute(update(users).where(users.c.user_id == user.user_id)
                        .values(password_hash=password_hash, updated_ts=tx.now_ts))
        tx.conn.execute(delete(sessions).where(sessions.c.user_id == user.user_id))
        _log(tx, actor, "user_passwd", username=user.username)
    store.transact(run)


def set_role(
    store: Store, username: str, role: Role | str, sites: Iterable[str] | None = None, *,
    actor: str = "system",
) -> User:
    """Change role and sites (sites None: every site)."""
    r, chosen = parse_role(str(role)), _sites(sites)
    admin_sees_all(r, chosen)

    def run(tx: Tx) -> User:
        before = _one(tx.conn, username)
        tx.conn.execute(update(users).where(users.c.user_id == before.user_id).values(
            role=r.value, all_sites=chosen is None, updated_ts=tx.now_ts))
        _write_sites(tx, before.user_id, chosen)
        _log(tx, actor, "user_role", username=before.username,
             before={"role": before.role.value,
                     "sites": sorted(before.sites) if before.sites is not None else None},
             after={"role": r.value, "sites": sorted(chosen) if chosen is not None else None})
        return _one(tx.conn, before.username)
    return store.transact(run)


def list_users(store: Store) -> list[User]:
    with store.db.read() as conn:
        return _load(conn, users.c.user_id.is_not(None))


def get_user(store: Store, username: str) -> User | None:
    with store.db.read() as conn:
        try:
            return _one(conn, username)
        except (NotFound, InvalidInput):
            return None


def remove_user(store: Store, username: str, *, actor: str = "system") -> None:
    def run(tx: Tx) -> None:
        user = _one(tx.conn, username)
        tx.conn.execute(delete(users).where(users.c.user_id == user.user_id))
        _log(tx, actor, "user_remove", username=user.username)
    store.transact(run)


def verify_password(
    store: Store, username: str, password: str, *, passwords: Passwords = DEFAULT
) -> User | None:
    """The user when the password is right, else None. Takes as long for an unknown name
    as for a wrong password. Re-hashes a correct password made with old parameters."""
    try:
        name = normalize_username(username)
    except InvalidInput:
        passwords.dummy_verify(password)
        return None
    with store.db.read() as conn:
        row = conn.execute(select(users.c.password_hash).where(users.c.username == name)).first()
    if row is None:
        passwords.dummy_verify(password)
        return None
    if not passwords.verify(row.password_hash, password):
        return None
    if passwords.needs_rehash(row.password_hash):
        new_hash = passwords.hash(password)
        store.transact(lambda tx: tx.conn.execute(
            update(users).where(users.c.username == name).values(password_hash=new_hash)))
    return get_user(store, name)
