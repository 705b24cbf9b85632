"""Global role checks by role names, for the portal modules that still ask this way.

Every rule lives in gates.authority: these are its permissions asked with a set of global
roles (the signed-in user's), kept so that callers can move to `authority` one at a time.
"""

from __future__ import annotations

from collections.abc import Collection

from gates.authority import ADMINISTER, AUDIT, PUBLISH, REGISTER
from gates.model import ADMIN, AUDITOR, GLOBAL_ROLES, PMO, PROJECT_MANAGER, SPONSOR

__all__ = [
    "ADMIN",
    "AUDITOR",
    "GLOBAL_ROLES",
    "PMO",
    "PROJECT_MANAGER",
    "SPONSOR",
    "can_administer",
    "can_audit",
    "can_publish",
    "can_register",
]


def can_register(roles: Collection[str]) -> bool:
    """Project managers and the PMO register projects."""
    return REGISTER.allows_roles(frozenset(roles))


def can_audit(roles: Collection[str]) -> bool:
    """Auditors, the PMO and admins read, verify and export the audit trail."""
    return AUDIT.allows_roles(frozenset(roles))


def can_publish(roles: Collection[str]) -> bool:
    """The PMO publishes policy versions and moves projects to a newer version."""
    return PUBLISH.allows_roles(frozenset(roles))


def can_administer(roles: Collection[str]) -> bool:
    """Admins add users, grant and revoke roles."""
    return ADMINISTER.allows_roles(frozenset(roles))
