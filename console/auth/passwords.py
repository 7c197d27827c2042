"""Password hashing with Argon2id (argon2-cffi).

The defaults are argon2-cffi's (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4), about
50 ms per hash on a small box: slow for an attacker with a stolen table, fine for a login.
`dummy_verify` spends the same time for a user that does not exist, so a login's duration
does not tell whether the name is known.
"""

from __future__ import annotations

import logging

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

log = logging.getLogger(__name__)

MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing cost does not depend on length much, but refuse megabytes


class PasswordRejected(ValueError):
    """A new password does not meet the minimum rules; the message says which."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"a password may have at most {MAX_LENGTH} characters")


class Passwords:
    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher()
        self._dummy: str | None = None  # made on first use: importing should not hash

    @classmethod
    def cheap(cls) -> Passwords:
        """Minimal cost, for tests only."""
        return cls(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            log.warning("stored password hash is not a valid Argon2 hash")
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than today's."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def dummy_verify(self, password: str) -> None:
        """As long as a real verification; for names that do not exist."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a password of anyone")
        self.verify(self._dummy, password)


DEFAULT = Passwords()
