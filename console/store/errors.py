"""Errors the store raises to its callers; the web app maps them to HTTP statuses.

    NotFound      404  no such row, or it is outside the caller's scope (never says which)
    Forbidden     403  the role may not do this
    Conflict      409  someone else holds the claim, the row changed since it was read, ...
    InvalidInput  422  a bad decision, a missing reason, an unknown filter value
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors."""


class NotFound(StoreError):
    pass


class Forbidden(StoreError):
    pass


class Conflict(StoreError):
    """`holder` names who holds the claim when that is what conflicts."""

    def __init__(self, message: str, *, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class InvalidInput(StoreError):
    pass
