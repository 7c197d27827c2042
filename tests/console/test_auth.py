"""Auth: password hashing, users, sessions with CSRF tokens, API tokens, the login rate
limiter, roles, the first admin."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from console.auth import (
    LoginRateLimiter,
    PasswordRejected,
    Passwords,
    add_user,
    can,
    create_session,
    create_token,
    csrf_ok,
    ensure_first_admin,
    get_user,
    list_tokens,
    list_users,
    logout,
    logout_everywhere,
    lookup_session,
    purge_expired,
    remove_user,
    revoke_token,
    set_password,
    set_role,
    verify_password,
    verify_token,
)
from console.auth.sessions import hash_secret
from console.roles import Role
from console.store import Conflict, InvalidInput, NotFound, Scope, Store
from console.store.tables import api_tokens, audit, sessions, users
from tests.console.helpers import Clock

PW = Passwords.cheap()
SECRET = "correct horse battery"

# ------------------------------------------------------------------ roles


@pytest.mark.parametrize(("role", "allowed"), [
    ("viewer", {"read"}),
    ("operator", {"read", "decide"}),
    ("integrator", {"read", "decide", "zones"}),
    ("admin", {"read", "decide", "zones", "admin"}),
    ("intruder", set()),
])
def test_role_ladder(role: str, allowed: set[str]) -> None:
    assert {a for a in ("read", "decide", "zones", "admin", "fly") if can(role, a)} == allowed


# ------------------------------------------------------------------ passwords


def test_argon2_hashes_verify_and_are_salted() -> None:
    h1, h2 = PW.hash(SECRET), PW.hash(SECRET)
    assert h1.startswith("$argon2id$") and h1 != h2
    assert PW.verify(h1, SECRET) and not PW.verify(h1, SECRET + "!")
    assert not PW.verify("not a hash", SECRET)
    assert Passwords().needs_rehash(h1)  # cheap parameters: would be upgraded at login


def test_unknown_users_take_as_long_as_wrong_passwords(store: Store) -> None:
    real = Passwords()  # the production cost: differences would show
    add_user(store, "alice", SECRET, Role.OPERATOR, passwords=real)

    def median_s(name: str) -> float:
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert verify_password(store, name, "wrong password", passwords=real) is None
            runs.append(time.perf_counter() - t0)
        return sorted(runs)[2]

    known, unknown = median_s("alice"), median_s("nobody")
    assert 0.5 < unknown / known < 2.0, (known, unknown)


# ------------------------------------------------------------------ users


def test_user_management(store: Store) -> None:
    alice = add_user(store, "Alice", SECRET, "operator", ["plant-7"], actor="root",
                     passwords=PW)
    assert (alice.username, alice.role, alice.sites) == ("alice", Role.OPERATOR,
                                                         frozenset({"plant-7"}))
    assert alice.actor.scope == Scope.of(["plant-7"])
    add_user(store, "bob", SECRET, Role.ADMIN, passwords=PW)
    assert [(u.username, u.sites) for u in list_users(store)] == [
        ("alice", frozenset({"plant-7"})), ("bob", None)]
    with pytest.raises(Conflict):
        add_user(store, "ALICE", SECRET, "viewer", passwords=PW)
    assert verify_password(store, "ALICE", SECRET, passwords=PW) == alice
    assert verify_password(store, "alice", "nope", passwords=PW) is None
    set_password(store, "alice", "another secret", actor="root", passwords=PW)
    assert verify_password(store, "alice", SECRET, passwords=PW) is None
    assert verify_password(store, "alice", "another secret", passwords=PW) is not None
    changed = set_role(store, "alice", "viewer", ["plant-7", "plant-9"], actor="root")
    assert changed.role == Role.VIEWER and changed.sites == {"plant-7", "plant-9"}
    remove_user(store, "alice", actor="root")
    assert get_user(store, "alice") is None
    with pytest.raises(NotFound):
        remove_user(store, "alice")


def test_a_login_upgrades_an_old_hash(store: Store) -> None:
    add_user(store, "alice", SECRET, "operator", passwords=PW)
    assert verify_password(store, "alice", SECRET, passwords=Passwords()) is not None
    with store.db.read() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert "m=65536" in stored and not Passwords().needs_rehash(stored)


@pytest.mark.parametrize(("name", "password", "role", "error"), [
    ("has space", SECRET, "viewer", InvalidInput),
    ("", SECRET, "viewer", InvalidInput),
    ("carol", "short", "viewer", PasswordRejected),
    ("carol", SECRET, "superuser", ValueError),
])
def test_bad_users_are_refused(
    store: Store, name: str, password: str, role: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        add_user(store, name, password, role, passwords=PW)
    assert list_users(store) == []


def test_user_changes_are_audited(store: Store) -> None:
    add_user(store, "alice", SECRET, "operator", actor="root", passwords=PW)
    set_role(store, "alice", "admin", actor="root")
    remove_user(store, "alice", actor="root")
    with store.db.read() as conn:
        rows = conn.execute(select(audit.c.actor, audit.c.action).order_by(audit.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("root", "user_add"), ("root", "user_role"), ("root", "user_remove")]


def test_only_hashes_are_stored(store: Store) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    new = create_session(store, user)
    token = create_token(store, "nvr-bridge", "viewer")
    with store.db.read() as conn:
        dump = " ".join(str(tuple(r)) for t in (users, sessions, api_tokens)
                        for r in conn.execute(t.select()))
    assert SECRET not in dump and new.session_id not in dump and token not in dump
    assert hash_secret(new.session_id) in dump


# ------------------------------------------------------------------ sessions


def test_sessions(store: Store, clock: Clock) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    new = create_session(store, user, ttl_s=3600, client="10.0.0.5")
    assert len(new.session_id) >= 43  # 32 random bytes
    s = lookup_session(store, new.session_id)
    assert s is not None and s.user == user and s.expires_ts == clock.now + 3600
    assert csrf_ok(s, s.csrf_token) and not csrf_ok(s, "forged") and not csrf_ok(s, None)
    other = create_session(store, user)
    assert other.session.csrf_token != s.csrf_token  # one token per session
    assert lookup_session(store, "made-up") is None
    assert logout(store, new.session_id)
    assert lookup_session(store, new.session_id) is None
    assert not logout(store, new.session_id)


def test_sessions_expire_and_idle_out(store: Store, clock: Clock) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    long = create_session(store, user, ttl_s=10 * 3600)
    short = create_session(store, user, ttl_s=60)
    clock.now += 61
    assert lookup_session(store, short.session_id) is None
    assert lookup_session(store, long.session_id) is not None  # touches last_seen
    clock.now += 3000
    assert lookup_session(store, long.session_id, idle_s=3600) is not None
    clock.now += 3601
    assert lookup_session(store, long.session_id, idle_s=3600) is None


def test_role_changes_apply_to_live_sessions(store: Store) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    new = create_session(store, user)
    set_role(store, "alice", "viewer", ["plant-7"])
    s = lookup_session(store, new.session_id)
    assert s is not None and s.user.role == Role.VIEWER and s.user.sites == {"plant-7"}


def test_password_change_and_removal_end_sessions(store: Store, clock: Clock) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    a, b = create_session(store, user), create_session(store, user)
    set_password(store, "alice", "a new secret!", passwords=PW)
    assert lookup_session(store, a.session_id) is None
    assert lookup_session(store, b.session_id) is None
    c = create_session(store, user)
    assert logout_everywhere(store, user) == 1
    d = create_session(store, user)
    remove_user(store, "alice")
    assert lookup_session(store, c.session_id) is None
    assert lookup_session(store, d.session_id) is None


def test_purge_expired(store: Store, clock: Clock) -> None:
    user = add_user(store, "alice", SECRET, "operator", passwords=PW)
    create_session(store, user, ttl_s=60)
    keep = create_session(store, user, ttl_s=3600)
    clock.now += 120
    assert purge_expired(store) == 1
    assert lookup_session(store, keep.session_id) is not None


# ------------------------------------------------------------------ API tokens


def test_api_tokens(store: Store, clock: Clock) -> None:
    token = create_token(store, "vms-bridge", "operator", ["plant-7"], created_by="root")
    assert token.startswith("swt_")
    t = verify_token(store, token)
    assert t is not None and t.actor.name == "token:vms-bridge"
    assert t.actor.scope == Scope.of(["plant-7"]) and t.role == Role.OPERATOR
    assert verify_token(store, token[:-1] + "x") is None and verify_token(store, "abc") is None
    with pytest.raises(Conflict):
        create_token(store, "vms-bridge", "viewer")
    assert [x.last_used_ts for x in list_tokens(store)] == [clock.now]
    revoke_token(store, "vms-bridge", actor="root")
    assert verify_token(store, token) is None
    with pytest.raises(NotFound):
        revoke_token(store, "vms-bridge")


def test_tokens_expire(store: Store, clock: Clock) -> None:
    token = create_token(store, "temp", "viewer", expires_ts=clock.now + 60)
    assert verify_token(store, token) is not None
    clock.now += 60
    assert verify_token(store, token) is None


# ------------------------------------------------------------------ rate limit


class Tick:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_per_user_sliding_window() -> None:
    tick = Tick()
    rl = LoginRateLimiter(per_user=3, per_address=100, window_s=60, clock=tick)
    for i in range(3):
        assert rl.check("alice", f"10.0.0.{i}").allowed  # different addresses: same user
        rl.failure("alice", f"10.0.0.{i}")
        tick.now += 10
    v = rl.check("Alice", "10.0.0.9")
    assert not v.allowed and v.retry_after_s == pytest.approx(30)  # first failure at 1000
    assert rl.check("bob", "10.0.0.9").allowed  # other users are not affected
    tick.now += 30
    assert rl.check("alice", "10.0.0.9").allowed  # the oldest left the window


def test_rate_limit_per_address_and_success() -> None:
    tick = Tick()
    rl = LoginRateLimiter(per_user=3, per_address=4, window_s=60, clock=tick)
    for name in ("a", "b", "c", "d"):
        rl.failure(name, "10.6.6.6")
    assert not rl.check("e", "10.6.6.6").allowed  # spraying many names from one address
    assert rl.check("e", "10.0.0.1").allowed
    rl.failure("alice", "10.0.0.1")
    rl.failure("alice", "10.0.0.2")
    rl.success("alice", "10.0.0.2")
    rl.failure("alice", "10.0.0.3")
    rl.failure("alice", "10.0.0.4")
    assert rl.check("alice", "10.0.0.5").allowed  # success cleared the name's count
    rl.success("a", "10.6.6.6")
    assert not rl.check("e", "10.6.6.6").allowed  # ... but never an address's


def test_rate_limit_memory_is_bounded() -> None:
    tick = Tick()
    rl = LoginRateLimiter(window_s=60, clock=tick, max_keys=100)
    for i in range(1000):
        rl.failure(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(rl._failures) <= 100


# ------------------------------------------------------------------ first admin


def test_first_admin_is_created_once(store: Store) -> None:
    password = ensure_first_admin(store, passwords=PW)
    assert password is not None and len(password) >= 20
    admin = verify_password(store, "admin", password, passwords=PW)
    assert admin is not None and admin.role == Role.ADMIN and admin.sites is None
    assert ensure_first_admin(store, passwords=PW) is None
    with store.db.read() as conn:
        stored = conn.execute(users.select()).one().password_hash
    assert password not in stored


def test_no_first_admin_when_users_exist(store: Store) -> None:
    add_user(store, "alice", SECRET, "viewer", passwords=PW)
    assert ensure_first_admin(store, passwords=PW) is None
    assert [u.username for u in list_users(store)] == ["alice"]
