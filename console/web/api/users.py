"""People and machine clients (admins only): users with role and sites, API tokens. The
auth functions audit every change with the admin's name."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from console import auth
from console.auth import ApiToken, PasswordRejected, User
from console.roles import Action, Role
from console.store import Conflict, InvalidInput, NotFound
from console.web.api.models import NewToken, Ok, TokenIn, TokenOut, UserChange, UserIn, UserOut
from console.web.context import ConsoleContext
from console.web.security import Principal, context, require

router = APIRouter(prefix="/api", tags=["users"])
_ADMIN = require(Action.ADMIN)


def _user(u: User) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "created_ts": u.created_ts,
            "updated_ts": u.updated_ts, "sites": sorted(u.sites) if u.sites is not None else None}


def _token(t: ApiToken) -> dict[str, Any]:
    return {"name": t.name, "role": t.role, "created_ts": t.created_ts,
            "created_by": t.created_by, "last_used_ts": t.last_used_ts,
            "expires_ts": t.expires_ts, "sites": sorted(t.sites) if t.sites is not None else None}


def _not_self(principal: Principal, username: str, what: str) -> None:
    """An admin cannot lock themselves out (the last admin would leave nobody to fix it)."""
    if username.strip().lower() == principal.name:
        raise Conflict(f"you cannot {what} your own account")


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(_: Principal = Depends(_ADMIN),
               ctx: ConsoleContext = Depends(context)) -> list[dict[str, Any]]:
    return [_user(u) for u in auth.list_users(ctx.store)]


@router.post("/users", response_model=UserOut, summary="Add a user")
def add_user(body: UserIn, principal: Principal = Depends(_ADMIN),
             ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """409 when the name is taken; 422 for a bad name or a short password."""
    try:
        u = auth.add_user(ctx.store, body.username, body.password, body.role, body.sites,
                          actor=principal.name)
    except PasswordRejected as e:
        raise InvalidInput(str(e)) from None
    return _user(u)


@router.put("/users/{name}", response_model=UserOut, summary="Change a user")
def change_user(name: str, body: UserChange, principal: Principal = Depends(_ADMIN),
                ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """Role and sites change together (a role given without sites keeps the user's
    sites); a new password ends the user's sessions."""
    current = auth.get_user(ctx.store, name)
    if current is None:
        raise NotFound(f"no user {name!r}")
    fields = body.model_fields_set
    if "role" in fields or "sites" in fields:
        if body.role is not Role.ADMIN or "sites" in fields:
            _not_self(principal, current.username, "change the role or sites of")
        role = body.role or current.role
        sites = body.sites if "sites" in fields else current.sites
        auth.set_role(ctx.store, current.username, role, sites, actor=principal.name)
    if body.password is not None:
        try:
            auth.set_password(ctx.store, current.username, body.password,
                              actor=principal.name)
        except PasswordRejected as e:
            raise InvalidInput(str(e)) from None
    changed = auth.get_user(ctx.store, current.username)
    assert changed is not None
    return _user(changed)


@router.delete("/users/{name}", response_model=Ok, summary="Remove a user")
def remove_user(name: str, principal: Principal = Depends(_ADMIN),
                ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    _not_self(principal, name, "remove")
    auth.remove_user(ctx.store, name, actor=principal.name)
    return {"ok": True}


@router.get("/tokens", response_model=list[TokenOut], summary="List API tokens")
def list_tokens(_: Principal = Depends(_ADMIN),
                ctx: ConsoleContext = Depends(context)) -> list[dict[str, Any]]:
    return [_token(t) for t in auth.list_tokens(ctx.store)]


@router.post("/tokens", response_model=NewToken, summary="Create an API token")
def create_token(body: TokenIn, principal: Principal = Depends(_ADMIN),
                 ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """The plaintext token is in this answer only; the console keeps its hash."""
    token = auth.create_token(ctx.store, body.name, body.role, body.sites,
                              created_by=principal.name, expires_ts=body.expires_ts)
    return {"name": body.name, "token": token}


@router.delete("/tokens/{name}", response_model=Ok, summary="Revoke an API token")
def revoke_token(name: str, principal: Principal = Depends(_ADMIN),
                 ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    auth.revoke_token(ctx.store, name, actor=principal.name)
    return {"ok": True}
