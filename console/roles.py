"""Roles and what each may do: one ladder, each role adds to the one before.

    viewer      read        (inbox, review pages, stats, cameras, boxes)
    operator    + decide    (claim, release, decide, reopen, comment)
    integrator  + zones     (zone editor, calibration)
    admin       + admin     (users, API tokens, forcing another operator's claim)

`can(role, action)` is the one check the web app and the store both use. It lives apart from
`console.auth` and `console.store` because both need it and neither should import the other
for it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "read"
    DECIDE = "decide"
    ZONES = "zones"
    ADMIN = "admin"


_LADDER = (Role.VIEWER, Role.OPERATOR, Role.INTEGRATOR, Role.ADMIN)
# The lowest role allowed to do each action.
_LOWEST = {
    Action.READ: Role.VIEWER,
    Action.DECIDE: Role.OPERATOR,
    Action.ZONES: Role.INTEGRATOR,
    Action.ADMIN: Role.ADMIN,
}


def parse_role(value: str) -> Role:
    """`Role` from its name; ValueError naming the valid roles otherwise."""
    try:
        return Role(value)
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r} (valid: {valid})") from None


def can(role: Role | str, action: Action | str) -> bool:
    """True when `role` may do `action`. Unknown roles or actions may do nothing."""
    try:
        r, a = Role(role), Action(action)
    except ValueError:
        return False
    return _LADDER.index(r) >= _LADDER.index(_LOWEST[a])
