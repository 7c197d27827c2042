"""Logging in and out: `POST /api/login` (JSON, returns the CSRF token), the login page's
form, `POST /api/logout`, `GET /api/me`."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from console.auth import NewSession, create_session, logout, verify_password
from console.roles import Action
from console.web.i18n import LANG_COOKIE, LANGUAGES
from console.web.pages_base import render
from console.web.security import (
    SESSION_COOKIE,
    Principal,
    client_address,
    context,
    require,
    resolve,
)

router = APIRouter()


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(BaseModel):
    csrf_token: str
    username: str
    role: str
    sites: list[str] | None


class LoginFailed(Exception):
    def __init__(self, status: int, retry_after_s: float = 0.0) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after_s = retry_after_s


async def _login(request: Request, username: str, password: str) -> NewSession:
    """Rate-limited password check and a new session (the hashing runs off the event loop)."""
    ctx = context(request)
    if request.headers.get("sec-fetch-site") == "cross-site":
        # Login CSRF: another site's form would log the victim in as the attacker, whose
        # account then collects what the victim does. Browsers say where a request comes
        # from (Fetch Metadata); scripts and proxies send no such header.
        raise LoginFailed(403)
    addr = client_address(request)
    verdict = ctx.limiter.check(username, addr)
    if not verdict.allowed:
        raise LoginFailed(429, verdict.retry_after_s)
    user = await asyncio.to_thread(verify_password, ctx.store, username, password)
    if user is None:
        ctx.limiter.failure(username, addr)
        raise LoginFailed(401)
    ctx.limiter.success(username, addr)
    return await asyncio.to_thread(create_session, ctx.store, user,
                                   ttl_s=ctx.http.session_ttl_s, client=addr)


def _set_cookie(request: Request, response: Response, new: NewSession) -> None:
    ctx = context(request)
    response.set_cookie(SESSION_COOKIE, new.session_id, max_age=int(ctx.http.session_ttl_s),
                        httponly=True, samesite="lax", secure=ctx.http.secure_cookies,
                        path="/")


@router.post("/api/login", response_model=LoginOut, tags=["auth"])
async def api_login(body: LoginIn, request: Request) -> Response:
    try:
        new = await _login(request, body.username, body.password)
    except LoginFailed as e:
        headers = {"Retry-After": str(math.ceil(e.retry_after_s))} if e.status == 429 else {}
        detail = {429: "too many attempts", 403: "a login from another site is refused"}.get(
            e.status, "wrong user name or password")
        return JSONResponse({"detail": detail}, status_code=e.status, headers=headers)
    user = new.session.user
    sites = sorted(user.sites) if user.sites is not None else None  # [] is no site, not all
    out = LoginOut(csrf_token=new.session.csrf_token, username=user.username,
                   role=user.role.value, sites=sites)
    response = JSONResponse(out.model_dump())
    _set_cookie(request, response, new)
    return response


@router.post("/api/logout", tags=["auth"])
def api_logout(request: Request,
               principal: Principal = Depends(require(Action.READ))) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        logout(context(request).store, sid)
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/me", tags=["auth"])
def api_me(principal: Principal = Depends(require(Action.READ))) -> dict[str, Any]:
    return {"username": principal.name, "role": principal.role.value,
            "sites": sorted(principal.scope.sites) if principal.scope.sites is not None else None,
            "csrf_token": principal.csrf_token}


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    if resolve(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login_form(request: Request, username: str = Form(""), password: str = Form(""),
                     next: str = Form("/")) -> Response:
    try:
        new = await _login(request, username, password)
    except LoginFailed as e:
        error = ("login.throttled", {"seconds": math.ceil(e.retry_after_s)}) \
            if e.status == 429 else ("login.failed", {})
        if e.status == 403:  # from another site's form: our own login page, to start over
            return render(request, "login.html", {"next": "/", "error": None}, status=403)
        return render(request, "login.html", {"next": _safe_next(next), "error": error,
                                              "username": username}, status=e.status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(request, response, new)
    return response


@router.get("/lang/{lang}", include_in_schema=False)
def switch_language(lang: str, request: Request) -> Response:
    """The language switch in the header (public: the login page has it too)."""
    back = request.headers.get("referer", "/")
    path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else back
    response = RedirectResponse(_safe_next(path), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def _safe_next(target: str) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
