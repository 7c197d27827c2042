"""Who is asking, and may they: bearer tokens, session cookies, CSRF, roles and sites.

Nothing but /health (and the login page, static files) is served without authentication.
A request authenticates with `Authorization: Bearer <token>` (machine clients: an API token,
or the legacy token from `http.token_env`) or with the session cookie of a login. A state-
changing request made with a cookie must carry the session's CSRF token in `X-CSRF-Token`
(bearer requests cannot be forged by another site: browsers do not add the header).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from console.auth import Session, can, csrf_ok, lookup_session, verify_token
from console.roles import Action, Role
from console.store import Actor, Scope
from console.web.context import ConsoleContext

SESSION_COOKIE = "sw_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    scope: Scope
    session: Session | None = None  # None: a bearer token

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role, self.scope)

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session is not None else None

    def can(self, action: Action | str) -> bool:
        return can(self.role, action)


class NotAuthenticated(Exception):
    """No valid token or session: pages redirect to the login, the API answers 401."""


class NotAllowed(Exception):
    """Authenticated, but the role does not allow this, or the CSRF token is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def context(request: Request) -> ConsoleContext:
    ctx: ConsoleContext = request.app.state.ctx
    return ctx


def resolve(request: Request) -> Principal | None:
    """The principal of a request, or None. Cached on the request."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    ctx = context(request)
    principal = _from_bearer(ctx, request) or _from_cookie(ctx, request)
    request.state.principal = principal
    return principal


def _from_bearer(ctx: ConsoleContext, request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    if not token:
        return None
    legacy = ctx.http.env_token()
    if legacy and hmac.compare_digest(token.encode(), legacy.encode()):
        return Principal(f"token:{ctx.http.token_env}", Role(ctx.http.token_role), Scope.all())
    api = verify_token(ctx.store, token)
    if api is None:
        return None
    return Principal(api.actor.name, api.role, api.actor.scope)


def still_allowed(request: Request, principal: Principal) -> bool:
    """For a request that lasts (the live stream): is its caller still who it was, with
    the same role and sites? A revoked token, an ended or idle session, a user whose role
    or sites changed: no. Not cached, and it does not keep a session alive."""
    ctx = context(request)
    now = _from_bearer(ctx, request) or _from_cookie(ctx, request, touch=False)
    return now is not None and (now.name, now.role, now.scope) == \
        (principal.name, principal.role, principal.scope)


def _from_cookie(ctx: ConsoleContext, request: Request, *, touch: bool = True
                 ) -> Principal | None:
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    session = lookup_session(ctx.store, sid, idle_s=ctx.http.session_idle_s, touch=touch)
    if session is None:
        return None
    user = session.user
    return Principal(user.username, user.role, user.scope, session)


def require(action: Action) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller may do `action` (and sent the CSRF token when a
    cookie session changes something)."""

    def dependency(request: Request) -> Principal:
        principal = resolve(request)
        if principal is None:
            raise NotAuthenticated()
        if not principal.can(action):
            raise NotAllowed(f"role {principal.role.value} may not {action.value}")
        if action is Action.ADMIN and not principal.scope.is_all:
            # An admin row limited to sites (refused since; older stores may hold one):
            # managing accounts would let it lift its own limit.
            raise NotAllowed("an account limited to sites may not manage users or tokens")
        if request.method in _UNSAFE and principal.session is not None:
            sent = request.headers.get(CSRF_HEADER, "")
            if not csrf_ok(principal.session, sent):
                raise NotAllowed(f"missing or wrong {CSRF_HEADER}")
        return principal

    return dependency


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else ""
