"""Who may do what, as predicates over the roles a person holds on a project.

Global roles: pmo, auditor, admin (and project_manager, for registering projects).
Project roles: sponsor, project_manager, and the approver roles a policy names.
"""

from __future__ import annotations

from collections.abc import Collection

PMO, AUDITOR, ADMIN = "pmo", "auditor", "admin"
SPONSOR, PROJECT_MANAGER = "sponsor", "project_manager"
GLOBAL_ROLES = (PMO, AUDITOR, ADMIN, PROJECT_MANAGER)


def can_register(roles: Collection[str]) -> bool:
    """Project managers and the PMO register projects."""
    return bool({PMO, PROJECT_MANAGER} & set(roles))


def can_manage(roles: Collection[str]) -> bool:
    """The project's manager and the PMO attach evidence, update facts, submit and withdraw."""
    return bool({PMO, PROJECT_MANAGER} & set(roles))


def can_decide(roles: Collection[str]) -> bool:
    """The project's sponsor and the PMO record gate decisions, hold, resume and kill."""
    return bool({PMO, SPONSOR} & set(roles))


def can_read(roles: Collection[str]) -> bool:
    """Anyone with a role on the project, and auditors, PMO and admins everywhere."""
    return bool(roles)


def can_audit(roles: Collection[str]) -> bool:
    """Auditors, the PMO and admins read, verify and export the audit trail."""
    return bool({AUDITOR, PMO, ADMIN} & set(roles))


def can_publish(roles: Collection[str]) -> bool:
    """The PMO publishes policy versions and moves projects to a newer version."""
    return PMO in roles


def can_administer(roles: Collection[str]) -> bool:
    """Admins add users, grant and revoke roles."""
    return ADMIN in roles


def refusal(action: str, needed: str) -> str:
    """A refusal in words: 'Only the project manager or the PMO may attach evidence.'"""
    return f"Only {needed} may {action}."
