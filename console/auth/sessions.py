"""Server-side login sessions, in the database so that every replica sees them.

The cookie holds a random 32-byte id (URL-safe base64); the table holds only its SHA-256,
so a copy of the database does not let anyone in. Each session has its own CSRF token
(send it in forms/headers, check with `csrf_ok`), an absolute expiry (`ttl_s`, default a
12-hour shift) and an idle timeout (`idle_s`, default 2 h, measured from the last lookup;
last_seen is written at most once a minute, not on every request). Expired sessions are
deleted when looked up and by `purge_expired`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from console.auth.users import User, get_user
from console.store import Store
from console.store.tables import sessions, users
from console.store.tx import Tx

DEFAULT_TTL_S = 12 * 3600.0
DEFAULT_IDLE_S = 2 * 3600.0
_TOUCH_EVERY_S = 60.0


def hash_secret(secret: str) -> str:
    """SHA-256 hex: enough for random 256-bit secrets (nothing to brute-force)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    created_ts: float
    last_seen_ts: float
    expires_ts: float


@dataclass(frozen=True)
class NewSession:
    session_id: str  # for the cookie; never stored, never shown again
    session: Session


def create_session(
    store: Store, user: User, *, ttl_s: float = DEFAULT_TTL_S, client: str = ""
) -> NewSession:
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)

    def run(tx: Tx) -> Session:
        tx.conn.execute(insert(sessions).values(
            session_hash=hash_secret(session_id), user_id=user.user_id, csrf_token=csrf,
            created_ts=tx.now_ts, last_seen_ts=tx.now_ts, expires_ts=tx.now_ts + ttl_s,
            client=client[:500],
        ))
        return Session(user, csrf, tx.now_ts, tx.now_ts, tx.now_ts + ttl_s)
    return NewSession(session_id, store.transact(run))


def lookup_session(
    store: Store, session_id: str, *, idle_s: float | None = DEFAULT_IDLE_S,
    touch: bool = True,
) -> Session | None:
    """The live session for a cookie value, or None (unknown, expired or idle too long).
    `touch` False: a check that is not the user's doing (an open stream's) and must not
    keep the session from going idle."""
    key = hash_secret(session_id)
    now = store.clock()
    with store.db.read() as conn:
        row = conn.execute(
            select(sessions, users.c.username).join(users, users.c.user_id == sessions.c.user_id)
            .where(sessions.c.session_hash == key)).first()
    if row is None:
        return None
    if now >= row.expires_ts or (idle_s is not None and now - row.last_seen_ts > idle_s):
        _delete(store, key)
        return None
    user = get_user(store, row.username)
    if user is None:
        return None
    last_seen = row.last_seen_ts
    if touch and now - last_seen >= _TOUCH_EVERY_S:
        last_seen = now
        store.transact(lambda tx: tx.conn.execute(
            update(sessions).where(sessions.c.session_hash == key).values(last_seen_ts=now)))
    return Session(user, row.csrf_token, row.created_ts, last_seen, row.expires_ts)


def csrf_ok(session: Session, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf_token, token)


def _delete(store: Store, key: str) -> bool:
    def run(tx: Tx) -> bool:
        gone = tx.conn.execute(delete(sessions).where(sessions.c.session_hash == key)
                               .returning(sessions.c.session_hash)).all()
        return bool(gone)
    return store.transact(run)


def logout(store: Store, session_id: str) -> bool:
    """End one session; False when there was none."""
    return _delete(store, hash_secret(session_id))


def logout_everywhere(store: Store, user: User) -> int:
    def run(tx: Tx) -> int:
        return len(tx.conn.execute(delete(sessions).where(sessions.c.user_id == user.user_id)
                                   .returning(sessions.c.session_hash)).all())
    return store.transact(run)


def purge_expired(store: Store, *, idle_s: float | None = DEFAULT_IDLE_S) -> int:
    def run(tx: Tx) -> int:
        stale = sessions.c.expires_ts <= tx.now_ts
        if idle_s is not None:
            stale = stale | (sessions.c.last_seen_ts < tx.now_ts - idle_s)
        return len(tx.conn.execute(delete(sessions).where(stale)
                                   .returning(sessions.c.session_hash)).all())
    return store.transact(run)
