"""Who is asking: `Scope` (which sites they may see) and `Actor` (name, role, scope).

Every read takes a `Scope`, every write an `Actor`; rows of sites outside the scope are
neither read nor written and look exactly like rows that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.roles import Role


@dataclass(frozen=True)
class Scope:
    """`sites` None means every site (admins, the box's own console)."""

    sites: frozenset[str] | None = None

    @classmethod
    def all(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, sites: Iterable[str]) -> Scope:
        return cls(frozenset(sites))

    @property
    def is_all(self) -> bool:
        return self.sites is None

    def allows(self, site_id: str) -> bool:
        return self.sites is None or site_id in self.sites


@dataclass(frozen=True)
class Actor:
    """A person or machine client acting on the store; `name` goes into the audit log."""

    name: str
    role: Role
    scope: Scope

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The console itself (overdue marking, ingest of decisions made elsewhere)."""
        return cls(name, Role.ADMIN, Scope.all())
