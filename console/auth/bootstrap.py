"""The first administrator of a fresh console."""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import exists, select

from console.auth.passwords import DEFAULT, Passwords
from console.auth.users import add_user
from console.roles import Role
from console.store import Conflict, Store
from console.store.tables import users

log = logging.getLogger(__name__)

FIRST_ADMIN = "admin"


def ensure_first_admin(store: Store, *, passwords: Passwords = DEFAULT) -> str | None:
    """When no user exists: create `admin` (every site) with a random password and return
    that password, once (show it to whoever installs the console; only its hash is kept).
    None when users exist already, including when another replica just created the admin."""
    with store.db.read() as conn:
        if conn.execute(select(exists().where(users.c.user_id.is_not(None)))).scalar():
            return None
    password = secrets.token_urlsafe(18)
    try:
        add_user(store, FIRST_ADMIN, password, Role.ADMIN, None, actor="system",
                 passwords=passwords)
    except Conflict:
        return None
    log.info("created the first user %r (role admin); its password is shown once", FIRST_ADMIN)
    return password
