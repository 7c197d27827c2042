"""API tokens for machine clients (integrations, the centre's own services).

`create_token` returns the token once ("swt_" + 43 random URL-safe characters); the table
keeps its SHA-256 only. A token has a unique name, a role and sites like a user, optionally
an expiry; `last_used_ts` is written at most once a minute. Creation and revocation are
audited (token_create, token_revoke).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.auth.sessions import hash_secret
from console.auth.users import admin_sees_all
from console.roles import Role, parse_role
from console.store import Actor, Conflict, InvalidInput, NotFound, Scope, Store
from console.store import audit as audit_log
from console.store.tables import api_tokens
from console.store.tx import Tx

PREFIX = "swt_"
_TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class ApiToken:
    name: str
    role: Role
    sites: frozenset[str] | None
    created_ts: float
    created_by: str
    last_used_ts: float | None
    expires_ts: float | None

    @property
    def actor(self) -> Actor:
        return Actor(f"token:{self.name}", self.role, Scope(self.sites))


def _token(row: Any) -> ApiToken:
    return ApiToken(
        name=row.name, role=Role(row.role),
        sites=None if row.all_sites else frozenset(row.sites), created_ts=row.created_ts,
        created_by=row.created_by, last_used_ts=row.last_used_ts, expires_ts=row.expires_ts,
    )


def create_token(
    store: Store, name: str, role: Role | str, sites: Iterable[str] | None = None, *,
    created_by: str = "system", expires_ts: float | None = None,
) -> str:
    """A new token; the returned plaintext is the only copy there will ever be."""
    if not name.strip():
        raise InvalidInput("a token needs a name")
    r = parse_role(str(role))
    chosen = sorted(set(sites)) if sites is not None else None
    admin_sees_all(r, chosen)
    token = PREFIX + secrets.token_urlsafe(32)

    def run(tx: Tx) -> None:
        if tx.conn.execute(select(exists().where(api_tokens.c.name == name))).scalar():
            raise Conflict(f"a token named {name!r} exists")
        tx.conn.execute(insert(api_tokens).values(
            token_hash=hash_secret(token), name=name, role=r.value,
            all_sites=chosen is None, sites=chosen or [], created_ts=tx.now_ts,
            created_by=created_by, expires_ts=expires_ts,
        ))
        audit_log.append(tx, actor=created_by, action="token_create",
                         detail={"name": name, "role": r.value, "sites": chosen})
    try:
        store.transact(run)
    except IntegrityError:
        raise Conflict(f"a token named {name!r} exists") from None
    return token


def verify_token(store: Store, token: str) -> ApiToken | None:
    """The token's identity, or None (unknown, revoked, expired)."""
    if not token.startswith(PREFIX):
        return None
    key = hash_secret(token)
    now = store.clock()
    with store.db.read() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == key)).first()
    if row is None or (row.expires_ts is not None and now >= row.expires_ts):
        return None
    if row.last_used_ts is None or now - row.last_used_ts >= _TOUCH_EVERY_S:
        store.transact(lambda tx: tx.conn.execute(
            update(api_tokens).where(api_tokens.c.token_hash == key).values(last_used_ts=now)))
    return _token(row)


def list_tokens(store: Store) -> list[ApiToken]:
    with store.db.read() as conn:
        return [_token(r) for r in conn.execute(select(api_tokens).order_by(api_tokens.c.name))]


def revoke_token(store: Store, name: str, *, actor: str = "system") -> None:
    def run(tx: Tx) -> None:
        gone = tx.conn.execute(delete(api_tokens).where(api_tokens.c.name == name)
                               .returning(api_tokens.c.name)).all()
        if not gone:
            raise NotFound(f"no token named {name!r}")
        audit_log.append(tx, actor=actor, action="token_revoke", detail={"name": name})
    store.transact(run)
