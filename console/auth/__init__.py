"""Authentication and authorisation primitives of the console, on top of `console.store`.

    Passwords / DEFAULT                       Argon2id hashing (passwords.py)
    add_user(store, username, password, role, sites=None, *, actor) -> User
    set_password(store, username, password, *, actor)          ends the user's sessions
    set_role(store, username, role, sites=None, *, actor) -> User
    list_users(store) -> list[User];  get_user(store, username) -> User | None
    remove_user(store, username, *, actor)
    verify_password(store, username, password) -> User | None  same time for unknown names
    create_session(store, user, *, ttl_s, client) -> NewSession (session_id once + Session)
    lookup_session(store, session_id, *, idle_s) -> Session | None
    csrf_ok(session, token) -> bool;  logout(store, session_id) -> bool
    logout_everywhere(store, user) -> int;  purge_expired(store) -> int
    create_token(store, name, role, sites=None, *, created_by, expires_ts) -> str (once)
    verify_token(store, token) -> ApiToken | None;  list_tokens;  revoke_token
    LoginRateLimiter(per_user, per_address, window_s): check / failure / success
    can(role, action) -> bool    actions read | decide | zones | admin (console.roles)
    ensure_first_admin(store) -> password | None

`User.actor` / `ApiToken.actor` give the `console.store.Actor` (name, role, scope) that the
store's reads and writes take. A login, put together:

    verdict = limiter.check(name, addr)
    if not verdict.allowed: 429 with Retry-After: verdict.retry_after_s
    user = verify_password(store, name, password)
    if user is None: limiter.failure(name, addr); 401
    limiter.success(name, addr); new = create_session(store, user, client=addr)
    cookie = new.session_id (HttpOnly, Secure, SameSite=Lax); forms carry new.session.csrf_token
"""

from console.auth.bootstrap import ensure_first_admin
from console.auth.passwords import DEFAULT, PasswordRejected, Passwords
from console.auth.ratelimit import LoginRateLimiter, Verdict
from console.auth.sessions import (
    NewSession,
    Session,
    create_session,
    csrf_ok,
    logout,
    logout_everywhere,
    lookup_session,
    purge_expired,
)
from console.auth.tokens import ApiToken, create_token, list_tokens, revoke_token, verify_token
from console.auth.users import (
    User,
    add_user,
    get_user,
    list_users,
    remove_user,
    set_password,
    set_role,
    verify_password,
)
from console.roles import Action, Role, can

__all__ = [
    "DEFAULT", "Action", "ApiToken", "LoginRateLimiter", "NewSession", "PasswordRejected",
    "Passwords", "Role", "Session", "User", "Verdict", "add_user", "can", "create_session",
    "create_token", "csrf_ok", "ensure_first_admin", "get_user", "list_tokens", "list_users",
    "logout", "logout_everywhere", "lookup_session", "purge_expired", "remove_user",
    "revoke_token", "set_password", "set_role", "verify_password", "verify_token",
]
